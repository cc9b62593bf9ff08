/**
 * Attempt limiter for login, sign-up, password change and password reset: fixed windows
 * counted by `rate-limiter-flexible`. Two counts: attempts per key (login: IP + email, 10
 * per 15 minutes — guessing one account's password) and failed logins per client IP across
 * every email (30 per 15 minutes — password spraying: one password tried on many accounts). The server's limiter keeps its counters in the
 * configuration database (`RateLimiterPostgres`), so every process over the same database
 * shares them; a limiter in memory is only for apps built without one (tests, tools).
 *
 * Keys are stored as SHA-256 hex (64 chars): no email or IP address lands in the table, and
 * an email of up to 320 characters still fits the library's `varchar(255)` key column.
 *
 * Time: the library reads the system time itself (`Date.now()`, milliseconds) to start and
 * end windows — it takes no clock. The window lengths are this module's; the instants are
 * the library's. Several nodes therefore need synchronised clocks (NTP), as for sessions.
 */
import { createHash } from 'node:crypto'
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRes,
} from 'rate-limiter-flexible'
import type { SqlExecutor } from '../../platform/db/client.ts'

/** Counts attempts per key (e.g. `ip|email`) in fixed windows. */
export interface LoginLimiter {
  /**
   * Counts an attempt for `key`.
   * @returns `allowed: false` and the whole seconds until the window ends (≥ 1) once more
   *   than `max` attempts were made inside the window.
   * @throws the store's error when the database cannot be reached (the request then fails
   *   with 500, as the login itself would).
   */
  consume(key: string): Promise<{ allowed: boolean; retryAfterSeconds: number }>
  /** Forgets `key` (call after a successful login or password change). */
  reset(key: string): Promise<void>
  /**
   * Counts a login attempt from client address `ip`, whatever the email; call
   * {@link LoginLimiter.refundIp} when it succeeds, so only failures add up.
   * @returns like {@link LoginLimiter.consume}, against `ipMax` per window.
   * @throws the store's error when the database cannot be reached.
   */
  consumeIp(ip: string): Promise<{ allowed: boolean; retryAfterSeconds: number }>
  /** Gives back the attempt {@link LoginLimiter.consumeIp} counted for a login that succeeded. */
  refundIp(ip: string): Promise<void>
}

/** Limiter sizing: `max` attempts per key per `windowMs` milliseconds (a whole number of seconds). */
export interface LoginLimitOptions {
  /** Attempts allowed per window; default 10. */
  max?: number
  /** Window length in milliseconds, a multiple of 1000; default 15 minutes. */
  windowMs?: number
  /** Failed logins allowed per client IP across all emails per window; default 30. */
  ipMax?: number
}

/** Table the PostgreSQL limiter keeps its counters in (created by the library when missing). */
export const LOGIN_LIMIT_TABLE = 'accounts_attempt_limits'

const DEFAULT_MAX = 10
const DEFAULT_IP_MAX = 30
const DEFAULT_WINDOW_MS = 15 * 60_000

function sizing(opts: LoginLimitOptions, points: number): { points: number; duration: number } {
  const windowMs = opts.windowMs ?? DEFAULT_WINDOW_MS
  if (!Number.isInteger(windowMs / 1000) || windowMs <= 0)
    throw new Error(`login limiter: windowMs must be a positive multiple of 1000, got ${windowMs}`)
  return { points, duration: windowMs / 1000 }
}

const storedKey = (key: string) => createHash('sha256').update(key).digest('hex')

async function consumeFrom(rl: RateLimiterAbstract, key: string) {
  try {
    await rl.consume(storedKey(key))
    return { allowed: true, retryAfterSeconds: 0 }
  } catch (err) {
    // The library rejects with a RateLimiterRes when the points are used up, with an
    // Error when the store fails.
    if (err instanceof RateLimiterRes)
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(err.msBeforeNext / 1000)) }
    throw err
  }
}

function wrap(rl: RateLimiterAbstract, perIp: RateLimiterAbstract): LoginLimiter {
  return {
    consume: (key) => consumeFrom(rl, key),
    async reset(key) {
      await rl.delete(storedKey(key))
    },
    consumeIp: (ip) => consumeFrom(perIp, ip),
    async refundIp(ip) {
      await perIp.reward(storedKey(ip), 1)
    },
  }
}

/**
 * The limiter the server uses: counters in PostgreSQL or PGlite through `sql` (the app's own
 * connection, `DbHandle.raw`), shared by every process over that database. Creates its table
 * ({@link LOGIN_LIMIT_TABLE}: `key varchar(255) PRIMARY KEY, points integer, expire bigint`
 * — epoch ms) when missing, safely when several processes start at once; every 5 minutes
 * (an unref'd timer) each process deletes rows expired more than an hour ago.
 * @param opts.sql the database; @param opts.tableName default {@link LOGIN_LIMIT_TABLE}.
 * @throws when the table cannot be created (database unreachable), or on a bad `windowMs`.
 */
export async function createLoginLimiter(
  opts: LoginLimitOptions & { sql: SqlExecutor; tableName?: string },
): Promise<LoginLimiter> {
  // The library calls `query({ text, values, name })` and reads `rows` and `rowCount`; the
  // statement name (a node-postgres prepared-statement cache key) is not needed here.
  // `rowCount` is the number of returned rows: the library only uses it on SELECT (found or
  // not) and for the boolean `delete()` result, which `reset` ignores.
  const client = {
    async query(q: { text: string; values?: unknown[] }) {
      const r = await opts.sql.executeSql(q.text, q.values)
      return { rows: r.rows, rowCount: r.rows.length }
    },
  }
  const open = (keyPrefix: string, points: number, clearExpiredByTimeout: boolean) =>
    new Promise<RateLimiterPostgres>((resolve, reject) => {
      const limiter: RateLimiterPostgres = new RateLimiterPostgres(
        {
          ...sizing(opts, points),
          storeClient: client,
          storeType: 'client',
          tableName: opts.tableName ?? LOGIN_LIMIT_TABLE,
          keyPrefix,
          clearExpiredByTimeout,
        },
        (err?: unknown) => (err ? reject(err) : resolve(limiter)),
      )
    })
  // Processes starting together race on the library's `CREATE TABLE IF NOT EXISTS`, which
  // PostgreSQL does not serialise: the loser gets a duplicate table/type error (42P07, 42710,
  // or 23505 on pg_type). By then the table exists, so a second attempt succeeds.
  const openRetrying = async (keyPrefix: string, points: number, clearExpiredByTimeout: boolean) => {
    try {
      return await open(keyPrefix, points, clearExpiredByTimeout)
    } catch (err) {
      const code = (err as { code?: unknown }).code
      if (code !== '42P07' && code !== '42710' && code !== '23505') throw err
      return open(keyPrefix, points, clearExpiredByTimeout)
    }
  }
  // One table, two key prefixes; the first limiter's timer clears expired rows of both.
  const rl = await openRetrying('attempts', opts.max ?? DEFAULT_MAX, true)
  const perIp = await openRetrying('ip-attempts', opts.ipMax ?? DEFAULT_IP_MAX, false)
  return wrap(rl, perIp)
}

/**
 * A limiter in this process's memory only (the same windows, nothing shared): the default of
 * an API app built without a limiter — tests and tools. The server passes
 * {@link createLoginLimiter}'s.
 * @throws on a bad `windowMs`.
 */
export function createMemoryLoginLimiter(opts: LoginLimitOptions = {}): LoginLimiter {
  return wrap(
    new RateLimiterMemory(sizing(opts, opts.max ?? DEFAULT_MAX)),
    new RateLimiterMemory(sizing(opts, opts.ipMax ?? DEFAULT_IP_MAX)),
  )
}
