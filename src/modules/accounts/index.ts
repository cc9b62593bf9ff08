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
  type Principal,
  setUserStatus,
  type UserRow,
  type WorkspaceRow,
} from './accounts.repository.ts'
export { type AccountsRoutesDeps, accountsRoutes } from './accounts.routes.ts'
export {
  API_KEY_PREFIX,
  API_KEY_TOUCH_INTERVAL_MS,
  type ApiKeyInfo,
  authenticateApiKey,
  authenticateSession,
  type BootstrapResult,
  bootstrapAdmin,
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
  verifyPassword,
} from './accounts.service.ts'
