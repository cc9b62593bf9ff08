/** JSON shapes (zod, snake_case) the accounts routes answer with, and row → JSON mappers. */
import { z } from 'zod'
import type { InvitationView, MemberRow, UserRow } from './accounts.repository.ts'

export { errorBody } from '../../platform/http/schemas.ts'

/** Role inside a workspace. */
export const memberRoleOut = z.enum(['owner', 'admin', 'member'])

/** A user with profile, as the user sees themselves (`GET /auth/me`). */
export const userOut = z.object({
  id: z.uuid(),
  email: z.string(),
  role: z.enum(['user', 'admin']).describe('global role; admins manage users'),
  status: z.enum(['pending', 'active', 'suspended']),
  name: z.string().nullable(),
  phone: z.string().nullable(),
  company: z.string().nullable(),
  vat_id: z.string().nullable(),
  address: z.string().nullable(),
  city: z.string().nullable(),
  country: z.string().nullable().describe('ISO 3166-1 alpha-2'),
  created_at: z.string(),
  approved_at: z.string().nullable(),
})

/** A user as admins list it: {@link userOut} plus who approved it. */
export const adminUserOut = userOut.extend({ approved_by: z.uuid().nullable() })

/** A user row as {@link userOut} JSON (never the password hash). */
export function userJson(u: UserRow): z.infer<typeof userOut> {
  return {
    id: u.id,
    email: u.email,
    role: u.role,
    status: u.status,
    name: u.name,
    phone: u.phone,
    company: u.company,
    vat_id: u.vatId,
    address: u.address,
    city: u.city,
    country: u.country,
    created_at: u.createdAt.toISOString(),
    approved_at: u.approvedAt?.toISOString() ?? null,
  }
}

/** A user row as {@link adminUserOut} JSON. */
export function adminUserJson(u: UserRow): z.infer<typeof adminUserOut> {
  return { ...userJson(u), approved_by: u.approvedBy }
}

/** A workspace member. */
export const memberOut = z.object({
  user_id: z.uuid(),
  email: z.string(),
  name: z.string().nullable(),
  status: z.enum(['pending', 'active', 'suspended']),
  role: memberRoleOut,
  joined_at: z.string(),
})

/** A member row as {@link memberOut} JSON. */
export function memberJson(m: MemberRow): z.infer<typeof memberOut> {
  return {
    user_id: m.userId,
    email: m.email,
    name: m.name,
    status: m.status,
    role: m.role,
    joined_at: m.joinedAt.toISOString(),
  }
}

/**
 * An invitation to a workspace. The same shape whether or not the invited address has an
 * account: it names the address, never a user.
 */
export const invitationOut = z.object({
  id: z.uuid(),
  email: z.string().describe('the invited address'),
  role: z.enum(['admin', 'member']),
  workspace: z.object({ id: z.uuid(), name: z.string() }),
  invited_by: z.object({ email: z.string(), name: z.string().nullable() }).nullable(),
  created_at: z.string(),
  expires_at: z.string(),
  expired: z.boolean(),
})

/** An invitation row as {@link invitationOut} JSON; `now` decides `expired`. */
export function invitationJson(i: InvitationView, now: Date): z.infer<typeof invitationOut> {
  return {
    id: i.id,
    email: i.email,
    role: i.role,
    workspace: { id: i.workspaceId, name: i.workspaceName },
    invited_by: i.inviterEmail ? { email: i.inviterEmail, name: i.inviterName } : null,
    created_at: i.createdAt.toISOString(),
    expires_at: i.expiresAt.toISOString(),
    expired: i.expiresAt.getTime() <= now.getTime(),
  }
}
