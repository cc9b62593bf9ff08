/**
 * Public surface of the accounts module: users, workspaces, sessions, API keys, the first
 * admin. Other modules and the platform import from here only.
 */
export {
  findUserByEmail,
  findUserById,
  findWorkspace,
  insertMember as addWorkspaceMember,
  insertWorkspace as createWorkspace,
  type MemberRole,
  type MemberRow,
  type Principal,
  type ProfileFields,
  setUserStatus,
  type UserRow,
  type UserStatus,
  type WorkspaceRow,
} from './accounts.repository.ts'
export { adminListUsers, changeUserStatus } from './accounts.admin.ts'
export {
  checkMemberChange,
  isCountryCode,
  nextStatus,
  type StatusAction,
  type WorkspaceAccess,
  workspaceAccess,
} from './accounts.core.ts'
export { createMailer, type MailMessage, type Mailer } from './accounts.mailer.ts'
export {
  addMember,
  getWorkspaceAccess,
  getWorkspaceView,
  listMyWorkspaces,
  removeMember,
  type SwitchableWorkspace,
  setMemberRole,
  switchWorkspace,
  type WorkspaceView,
} from './accounts.members.ts'
export {
  confirmPasswordReset,
  RESET_TOKEN_TTL_MS,
  type ResetDeps,
  requestPasswordReset,
  resetLink,
} from './accounts.reset.ts'
export { type AccountsRoutesDeps, accountsRoutes } from './accounts.routes.ts'
export { PASSWORD_MIN } from './accounts.schema.ts'
export {
  API_KEY_PREFIX,
  API_KEY_TOUCH_INTERVAL_MS,
  type ApiKeyInfo,
  authenticateApiKey,
  authenticateSession,
  type BootstrapResult,
  bootstrapAdmin,
  changePassword,
  CSRF_HEADER,
  CSRF_HEADER_VALUE,
  createAccount,
  createApiKey,
  createLoginLimiter,
  generatePassword,
  hashPassword,
  type LoginLimiter,
  type LoginResult,
  listApiKeys,
  login,
  logout,
  normaliseEmail,
  revokeApiKey,
  SESSION_COOKIE,
  sha256Hex,
  signup,
  updateProfile,
  verifyPassword,
} from './accounts.service.ts'
