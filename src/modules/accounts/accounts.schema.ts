/**
 * zod schemas of the accounts API's request bodies and queries (snake_case on the wire),
 * and the mapping of profile fields to the `users` columns.
 */
import { z } from 'zod'
import { isCountryCode } from './accounts.core.ts'
import type { ProfileFields } from './accounts.repository.ts'

/** Passwords: at least 10 characters (NIST SP 800-63B length rule, no composition rules), at most 1024. */
export const PASSWORD_MIN = 10
/** A new password (sign-up, change, reset). */
export const newPassword = z
  .string()
  .min(PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`)
  .max(1024)
/** An email address; trimmed (stored lower case by the service). */
export const emailInput = z.string().trim().max(320).pipe(z.email())

/** Optional free text: trimmed; an empty string clears the field (null). */
const optText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .transform((v) => (v === '' ? null : v))
    .nullable()

/** ISO 3166-1 alpha-2 country, any case on input, stored upper case; empty clears. */
const country = z
  .string()
  .trim()
  .transform((v) => v.toUpperCase())
  .refine((v) => v === '' || isCountryCode(v), 'must be an ISO 3166-1 alpha-2 country code, e.g. "DE"')
  .transform((v) => (v === '' ? null : v))
  .nullable()
  .describe('ISO 3166-1 alpha-2, e.g. "DE"')

/** The editable profile fields of a user; all optional, null or "" clears one. */
export const profileShape = {
  name: optText(200),
  phone: z
    .string()
    .trim()
    .max(40)
    .regex(/^$|^\+?[0-9 ().\-/]{3,40}$/, 'digits, spaces and + ( ) . - / only')
    .transform((v) => (v === '' ? null : v))
    .nullable(),
  company: optText(200),
  vat_id: optText(40),
  address: optText(500),
  city: optText(200),
  country,
}

/** `PATCH /auth/me`: profile fields only (email, role and status are not editable here). */
export const profilePatch = z.strictObject(profileShape).partial()
export type ProfilePatch = z.output<typeof profilePatch>

/** `POST /auth/signup`. */
export const signupBody = z
  .strictObject({
    email: emailInput,
    password: newPassword,
    ...profileShape,
  })
  .partial({
    name: true,
    phone: true,
    company: true,
    vat_id: true,
    address: true,
    city: true,
    country: true,
  })
export type SignupInput = z.output<typeof signupBody>

/** `POST /auth/password`. */
export const passwordChangeBody = z.strictObject({
  current_password: z.string().min(1).max(1024),
  new_password: newPassword,
})

/** `POST /auth/password-reset/request`. */
export const resetRequestBody = z.strictObject({ email: z.string().trim().min(3).max(320) })

/** `POST /auth/password-reset/confirm`. */
export const resetConfirmBody = z.strictObject({
  token: z.string().min(1).max(200),
  password: newPassword,
})

/** `GET /admin/users` query: filters and paging (page/page_size, or limit/offset). */
export const adminUsersQuery = z.object({
  status: z.enum(['pending', 'active', 'suspended']).optional(),
  q: z.string().trim().max(200).optional().describe('substring of email, name or company'),
  page: z.coerce.number().int().min(1).default(1).describe('1-based page number'),
  page_size: z.coerce.number().int().min(1).max(500).default(50).describe('rows per page, 1–500'),
  limit: z.coerce.number().int().min(1).max(500).optional().describe('instead of page_size'),
  offset: z.coerce.number().int().min(0).optional().describe('instead of page'),
})

/** `POST /workspace/invitations`: whom to invite, with which role. */
export const inviteBody = z.strictObject({
  email: emailInput,
  role: z.enum(['admin', 'member']).default('member'),
})

/** `POST /invitations/accept|decline`: the token from the emailed link. */
export const invitationTokenBody = z.strictObject({ token: z.string().min(1).max(200) })

/** `PATCH /workspace/members/:userId`. */
export const memberRoleBody = z.strictObject({ role: z.enum(['owner', 'admin', 'member']) })

/** `POST /auth/workspace`. */
export const switchWorkspaceBody = z.strictObject({ workspace_id: z.uuid() })

const profileColumns = {
  name: 'name',
  phone: 'phone',
  company: 'company',
  vat_id: 'vatId',
  address: 'address',
  city: 'city',
  country: 'country',
} as const satisfies Record<keyof typeof profileShape, keyof ProfileFields>

/** Maps the wire profile fields that are present (undefined = unchanged) to `users` columns. */
export function profileToColumns(input: Partial<Record<keyof typeof profileShape, string | null>>) {
  const out: Partial<ProfileFields> = {}
  for (const [k, col] of Object.entries(profileColumns)) {
    const v = input[k as keyof typeof profileColumns]
    if (v !== undefined) out[col] = v
  }
  return out
}
