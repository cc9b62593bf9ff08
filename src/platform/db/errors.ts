/**
 * PostgreSQL error codes as thrown by either driver (PGlite, `pg`), also when drizzle-orm
 * (≥ 0.44) wrapped the driver error in a `DrizzleQueryError` whose `cause` is the original.
 */

/** The SQLSTATE (`23505` unique_violation, `23514` check_violation, …) and constraint, when present. */
export function pgError(err: unknown): { code?: string; constraint?: string } {
  let e: unknown = err
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const o = e as { code?: unknown; constraint?: unknown; cause?: unknown }
    if (typeof o.code === 'string' && /^[0-9A-Z]{5}$/.test(o.code)) {
      return {
        code: o.code,
        ...(typeof o.constraint === 'string' ? { constraint: o.constraint } : {}),
      }
    }
    e = o.cause
  }
  return {}
}

/** True for unique_violation (23505), optionally of one named constraint. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = pgError(err)
  return e.code === '23505' && (constraint === undefined || e.constraint === constraint)
}
