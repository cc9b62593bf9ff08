/**
 * Form schemas of the sign-in, sign-up and password pages. They mirror the API's
 * `src/modules/accounts/accounts.schema.ts`, which cannot be imported here (it reaches the
 * Node-only repository through its type imports); the API validates again and its field
 * errors are shown on the same fields (`applyApiErrors`).
 */
import { z } from 'zod'

/** Same rule as the API: at least 10 characters (NIST SP 800-63B: length, no composition rules). */
export const PASSWORD_MIN = 10

const email = z
  .string()
  .trim()
  .min(1, 'Enter your email')
  .max(320)
  .pipe(z.email('Enter a valid email address'))
const newPassword = z
  .string()
  .min(PASSWORD_MIN, `Use at least ${PASSWORD_MIN} characters`)
  .max(1024, 'At most 1024 characters')

/** Sign-in form. */
export const loginSchema = z.object({
  email: z.string().trim().min(1, 'Enter your email').max(320),
  password: z.string().min(1, 'Enter your password').max(1024),
})
export type LoginValues = z.infer<typeof loginSchema>

const optional = (max: number) => z.string().trim().max(max, `At most ${max} characters`)

/** Sign-up form; optional fields may stay empty (sent as absent). */
export const signupSchema = z.object({
  email,
  password: newPassword,
  name: z.string().trim().min(1, 'Enter your name').max(200),
  phone: optional(40).regex(/^$|^\+?[0-9 ().\-/]{3,40}$/, 'Digits, spaces and + ( ) . - / only'),
  company: optional(200),
  vat_id: optional(40),
  address: optional(500),
  city: optional(200),
  country: z
    .string()
    .trim()
    .regex(/^$|^[A-Za-z]{2}$/, 'Two-letter country code, e.g. DE')
    .transform((v) => v.toUpperCase()),
})
export type SignupValues = z.input<typeof signupSchema>

/** The sign-up request body: empty optional fields left out. */
export function signupBody(v: z.output<typeof signupSchema>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, value] of Object.entries(v)) if (value !== '') out[k] = value
  return out
}

/** "Forgot password" form. */
export const resetRequestSchema = z.object({ email })
export type ResetRequestValues = z.infer<typeof resetRequestSchema>

/** New password form of the reset link. */
export const resetConfirmSchema = z
  .object({ password: newPassword, confirm: z.string() })
  .refine((v) => v.password === v.confirm, { path: ['confirm'], message: 'The passwords do not match' })
export type ResetConfirmValues = z.infer<typeof resetConfirmSchema>
