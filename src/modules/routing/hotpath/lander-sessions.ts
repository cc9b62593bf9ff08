/**
 * Lander sessions: what a traffic process remembers of each visit it sent to a lander, so the
 * lander's call to action (`GET /lp/:alias/click`) finds the click it belongs to — its
 * campaign, stream, lander and sub IDs — and, once chosen, the offer (a second CTA click goes
 * to the same offer). Bounded by count (oldest forgotten first) and by age (24 h by default,
 * the lander cookie's lifetime). In memory, per process; a CTA on another process falls back
 * to the `tfx_lp` cookie (README "Landers"). Only visits sent to a lander allocate here.
 */

/** One visit sent to a lander. */
export interface LanderSession {
  campaignId: string
  streamId: string
  /** "" when the lander is unknown (a CTA tied to its click by `cid` alone). */
  landerId: string
  /** Epoch ms of the click (the visit to the lander). */
  clickTs: number
  /**
   * The click's non-empty `external_id` and `sub1`…`sub10`, rendered into the offer URL
   * (null-prototype object; null when the click had none).
   */
  params: Record<string, string> | null
  /** The offer once the CTA was clicked; "" before. */
  destinationId: string
  /** The offer URL the CTA was sent to (the same on a repeat click); "" before. */
  url: string
}

/** The default age limit (ms). */
export const LANDER_SESSION_MAX_AGE_MS = 24 * 3600_000

/** A bounded map click ID → {@link LanderSession}. */
export interface LanderSessions {
  /** The session of `clickId` unless missing or older than the age limit at `nowMs`. */
  get(clickId: string, nowMs: number): LanderSession | undefined
  /** Remembers a session (replacing one of the same click), forgetting the oldest over the bound. */
  set(clickId: string, session: LanderSession): void
  readonly size: number
}

/**
 * @param max sessions kept at most (≥ 1; `LANDER_SESSIONS_MAX`).
 * @param maxAgeMs a session whose click is older than this is forgotten (default 24 h).
 * @throws RangeError when `max` is not a finite number ≥ 1.
 */
export function createLanderSessions(max: number, maxAgeMs = LANDER_SESSION_MAX_AGE_MS): LanderSessions {
  if (!Number.isFinite(max) || max < 1) throw new RangeError(`lander sessions must be ≥ 1, got ${max}`)
  // A Map iterates in insertion order: its first entry is the oldest (sessions are added as
  // clicks happen, so also the earliest click, give or take a clock step).
  const map = new Map<string, LanderSession>()
  return {
    get(clickId, nowMs) {
      const s = map.get(clickId)
      if (s === undefined) return undefined
      if (nowMs - s.clickTs > maxAgeMs) {
        map.delete(clickId)
        return undefined
      }
      return s
    },
    set(clickId, session) {
      map.delete(clickId)
      map.set(clickId, session)
      // Drop the oldest over the count bound, and expired ones at the front (bounded work:
      // each session is dropped once).
      for (const [k, v] of map) {
        if (map.size > max || session.clickTs - v.clickTs > maxAgeMs) map.delete(k)
        else break
      }
    },
    get size() {
      return map.size
    },
  }
}

/** The lander cookie's name. */
export const LANDER_COOKIE = 'tfx_lp'

/** What the `tfx_lp` cookie carries: `<clickId>.<streamId>.<landerId>`. */
export interface LanderCookie {
  clickId: string
  streamId: string
  landerId: string
}

/**
 * The `Set-Cookie` value sent with the redirect to a lander: scoped to the campaign's lander
 * click path, HttpOnly, SameSite=Lax (sent on the top-level navigation from the lander's
 * CTA), one day; Secure when the request came over https.
 */
export function landerCookie(alias: string, c: LanderCookie, secure: boolean): string {
  return `${LANDER_COOKIE}=${c.clickId}.${c.streamId}.${c.landerId}; Path=/lp/${alias}/; Max-Age=86400; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`
}

/** The `tfx_lp` cookie of a `Cookie` header, or undefined when absent or malformed. */
export function parseLanderCookie(header: string | undefined): LanderCookie | undefined {
  if (!header) return undefined
  const at = header.indexOf(`${LANDER_COOKIE}=`)
  if (at === -1 || (at > 0 && header[at - 1] !== ' ' && header[at - 1] !== ';')) return undefined
  const end = header.indexOf(';', at)
  const value = header.slice(at + LANDER_COOKIE.length + 1, end === -1 ? header.length : end).trim()
  const parts = value.split('.')
  if (parts.length !== 3) return undefined
  const [clickId, streamId, landerId] = parts as [string, string, string]
  if (!/^[0-9A-Za-z]{1,40}$/.test(clickId) || !/^[0-9a-f-]{36}$/.test(streamId)) return undefined
  if (!/^[0-9a-f-]{36}$/.test(landerId)) return undefined
  return { clickId, streamId, landerId }
}
