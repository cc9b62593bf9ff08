/**
 * Cap leases, the pure part (routing README, "Shared counters"): what one traffic node knows
 * about one lease — a block of a cap's budget granted by Redis — and the decisions on it:
 * spend a click? sync now? ask for how much? give back what? Every function here is a pure
 * function of its arguments (it returns a new state, never mutates one); the shell
 * (`shared-counters.ts`) sends the plans to Redis and feeds the replies back.
 *
 * One lease exists per (destination, cap kind, day key for daily caps). Its budget moves
 * like this: Redis grants → `remaining` → spent by a click (`unreported` until a sync's reply
 * acknowledges the report) or given back (`unreturned` until acknowledged). Every sync
 * carries a sequence number and the last acknowledged one, so a sync whose reply was lost is
 * neither applied twice nor forgotten (the Lua script re-credits its grant; see
 * `cap-lease.lua.ts`).
 */

/** Which cap a lease is a block of. */
export type CapKind = 'daily' | 'total'

/** One node's view of one lease. All counts are clicks (non-negative integers). */
export interface LeaseState {
  /** The cap this lease was opened under (a changed cap retires the lease). */
  readonly cap: number
  /** Granted and neither spent nor given back: what this node may still spend. */
  readonly remaining: number
  /** Clicks spent since the last acknowledged sync (reported by every sync until acknowledged). */
  readonly unreported: number
  /** Budget given back since the last acknowledged sync (sent by every sync until acknowledged). */
  readonly unreturned: number
  /** Sequence number of the next sync (1, 2, …). */
  readonly seq: number
  /** Sequence number of the last sync whose reply arrived (0 = none). */
  readonly ackSeq: number
  /** A sync is on the wire: never two at once per lease (the script's lost-reply check relies on it). */
  readonly inFlight: boolean
  /** Node-clock ms when the last acknowledged sync was sent (−Infinity = never). */
  readonly lastSentAckedMs: number
  /** Node-clock ms of the last attempt (sent or failed; −Infinity = never). */
  readonly lastAttemptMs: number
  /** The last acknowledged refill was granted less than it asked: the cap is (nearly) used up. */
  readonly exhausted: boolean
  /** No longer wanted (destination left the snapshot, the day rolled, the cap changed, the node stops): give everything back. */
  readonly retired: boolean
}

/** Tuning of the lease decisions; every duration in ms of the node's clock. */
export interface LeasePolicy {
  /** Clicks asked for per refill (CAP_LEASE_BLOCK). */
  readonly block: number
  /** Refill when `remaining` falls below this (default half a block, at least 1). */
  readonly lowWater: number
  /** Sync at least this often while holding a lease: reports spends and renews its expiry. */
  readonly heartbeatMs: number
  /** Wait this long after a failed sync before the next attempt. */
  readonly retryMs: number
  /** After a refill granted less than asked (cap reached), wait this long before asking again. */
  readonly exhaustedRetryMs: number
  /** Redis reclaims a lease not synced for this long (the script's expiry). */
  readonly leaseTtlMs: number
  /** The node stops spending a lease this long before Redis may reclaim it (clock rate differences, RTT). */
  readonly expiryMarginMs: number
}

/**
 * The default policy for a block size.
 * @param block clicks per refill, an integer ≥ 1.
 * @throws RangeError when `block` is not an integer ≥ 1.
 */
export function defaultLeasePolicy(block: number, overrides: Partial<LeasePolicy> = {}): LeasePolicy {
  if (!Number.isInteger(block) || block < 1)
    throw new RangeError(`lease block must be an integer ≥ 1, got ${block}`)
  return {
    block,
    lowWater: Math.max(1, Math.ceil(block / 2)),
    heartbeatMs: 1_000,
    retryMs: 500,
    exhaustedRetryMs: 1_000,
    leaseTtlMs: 60_000,
    expiryMarginMs: 5_000,
    ...overrides,
  }
}

/** A new lease under `cap`: nothing held, nothing sent. */
export function newLease(cap: number): LeaseState {
  return {
    cap,
    remaining: 0,
    unreported: 0,
    unreturned: 0,
    seq: 1,
    ackSeq: 0,
    inFlight: false,
    lastSentAckedMs: Number.NEGATIVE_INFINITY,
    lastAttemptMs: Number.NEGATIVE_INFINITY,
    exhausted: false,
    retired: false,
  }
}

/** True while the node may spend this lease: budget left and not retired. */
export function canSpend(s: LeaseState): boolean {
  return s.remaining > 0 && !s.retired
}

/**
 * True when Redis may reclaim this lease soon: its last acknowledged sync was sent at least
 * `leaseTtlMs − expiryMarginMs` ago (a lease never acknowledged holds nothing and is not
 * expired). The shell retires such a lease at its next tick, so the margin must exceed the
 * tick; the check stays off the hot path (no clock reading per click).
 */
export function isExpiredLocally(s: LeaseState, p: LeasePolicy, nowMs: number): boolean {
  return s.remaining > 0 && !s.retired && nowMs - s.lastSentAckedMs >= p.leaseTtlMs - p.expiryMarginMs
}

/** One click spent: `remaining` − 1, `unreported` + 1. Undefined when {@link canSpend} is false (the caller counts an overspend). */
export function spend(s: LeaseState): LeaseState | undefined {
  if (!canSpend(s)) return undefined
  return { ...s, remaining: s.remaining - 1, unreported: s.unreported + 1 }
}

/** What one sync sends (besides the node and key): see `cap-lease.lua.ts` for its effect. */
export interface SyncPlan {
  readonly seq: number
  readonly ackSeq: number
  /** Clicks spent since the last acknowledged sync. */
  readonly spent: number
  /** Budget given back since the last acknowledged sync. */
  readonly give: number
  /** Clicks asked for (0 = report and renew only). */
  readonly want: number
  /** The node drops the lease after this sync: Redis forgets the node's fields. */
  readonly final: boolean
}

/**
 * The sync to send now, or undefined. Never while one is in flight; after a failure, not
 * before `retryMs`. A retired lease sends its report and all its budget back (`final`)
 * until settled. A live one asks for a block when below the low-water mark (after a refill
 * that came up short, not before `exhaustedRetryMs`), and reports/renews every
 * `heartbeatMs` while it holds budget or has spends to report.
 */
export function planSync(s: LeaseState, p: LeasePolicy, nowMs: number): SyncPlan | undefined {
  if (s.inFlight) return undefined
  const failedLast = s.lastAttemptMs > s.lastSentAckedMs
  if (failedLast && nowMs - s.lastAttemptMs < p.retryMs) return undefined
  const base = { seq: s.seq, ackSeq: s.ackSeq, spent: s.unreported, give: s.unreturned }
  if (s.retired) {
    if (isSettled(s)) return undefined
    return { ...base, give: s.unreturned + s.remaining, want: 0, final: true }
  }
  const sinceAck = nowMs - s.lastSentAckedMs
  const refill = s.remaining < p.lowWater && (!s.exhausted || sinceAck >= p.exhaustedRetryMs)
  if (refill) return { ...base, want: p.block, final: false }
  const holds = s.remaining > 0 || s.unreported > 0 || s.unreturned > 0
  if (holds && sinceAck >= p.heartbeatMs) return { ...base, want: 0, final: false }
  return undefined
}

/**
 * A report-only sync (want 0) when there are spends or give-backs to report, else
 * undefined; same in-flight and retry rules as {@link planSync}. Sent before a
 * reconciliation, so this node's own spends are not counted twice (once in the
 * authoritative count, once in its outstanding budget).
 */
export function planReport(s: LeaseState, p: LeasePolicy, nowMs: number): SyncPlan | undefined {
  if (s.inFlight || !needsReport(s)) return undefined
  if (s.lastAttemptMs > s.lastSentAckedMs && nowMs - s.lastAttemptMs < p.retryMs) return undefined
  const base = { seq: s.seq, ackSeq: s.ackSeq, spent: s.unreported, want: 0 }
  if (s.retired) return { ...base, give: s.unreturned + s.remaining, final: true }
  return { ...base, give: s.unreturned, final: false }
}

/**
 * Redis does not know everything this node did with the lease yet: spends or give-backs
 * not acknowledged, a retired lease not settled, a sync in flight or one that failed (its
 * effect unknown). A reconciliation waits until no lease needs a report.
 */
export function needsReport(s: LeaseState): boolean {
  return (
    s.inFlight ||
    s.unreported > 0 ||
    s.unreturned > 0 ||
    s.lastAttemptMs > s.lastSentAckedMs ||
    (s.retired && !isSettled(s))
  )
}

/** The plan went on the wire at `nowMs`. */
export function markSent(s: LeaseState, plan: SyncPlan, nowMs: number): LeaseState {
  // A final plan gives back what is left now: from here the budget is no longer spendable.
  const moved = plan.final ? s.remaining : 0
  return {
    ...s,
    inFlight: true,
    seq: plan.seq + 1,
    lastAttemptMs: nowMs,
    remaining: s.remaining - moved,
    unreturned: s.unreturned + moved,
  }
}

/** The script's answer to one sync. */
export interface SyncReply {
  /** Clicks granted by this sync (≤ want, ≤ cap − used). */
  readonly granted: number
  /** Grants of earlier syncs whose replies were lost, credited now. */
  readonly lost: number
  /** Redis had forgotten this node's lease (reclaimed after expiry): the budget it held there is gone. */
  readonly reclaimedSelf: boolean
}

/**
 * Applies the reply of `plan` (sent at `sentMs`). The reported spends and given-back budget
 * are acknowledged; grants are added to `remaining` — or, on a retired lease, given back by
 * the next sync. If Redis had reclaimed the lease, the budget still held locally was
 * returned to the pool by that reclaim, so it is dropped (never given back twice).
 */
export function applyAck(s: LeaseState, plan: SyncPlan, reply: SyncReply, sentMs: number): LeaseState {
  const credited = reply.granted + reply.lost
  const next = {
    ...s,
    inFlight: false,
    ackSeq: plan.seq,
    lastSentAckedMs: sentMs,
    unreported: s.unreported - plan.spent,
    unreturned: s.unreturned - plan.give,
    exhausted: plan.want > 0 ? reply.granted < plan.want : s.exhausted,
  }
  // Reclaimed: what this node held there went back to the pool with the reclaim.
  const remaining = reply.reclaimedSelf ? 0 : next.remaining
  const unreturned = reply.reclaimedSelf ? 0 : next.unreturned
  if (s.retired) return { ...next, remaining: 0, unreturned: unreturned + remaining + credited }
  return { ...next, remaining: remaining + credited, unreturned }
}

/** The sync failed or its reply was lost: nothing is known to be applied; retried after `retryMs`. */
export function applyFailure(s: LeaseState, nowMs: number): LeaseState {
  return { ...s, inFlight: false, lastAttemptMs: nowMs }
}

/**
 * Retires the lease: it is no longer spendable and the next sync gives back its budget.
 * A lease past its local expiry is retired the same way (the script tells then whether
 * Redis reclaimed it already — {@link applyAck}).
 */
export function retire(s: LeaseState): LeaseState {
  if (s.retired) return s
  return { ...s, retired: true, remaining: 0, unreturned: s.unreturned + s.remaining }
}

/**
 * A retired lease with nothing left to report or give back, no reply outstanding, and no
 * failed sync whose grant may have been applied unseen: forget it.
 */
export function isSettled(s: LeaseState): boolean {
  return (
    s.retired &&
    !s.inFlight &&
    s.remaining === 0 &&
    s.unreported === 0 &&
    s.unreturned === 0 &&
    !(s.lastAttemptMs > s.lastSentAckedMs)
  )
}

/**
 * Redis key of a lease: `<prefix>cap:<destinationId>:total` or
 * `<prefix>cap:<destinationId>:d:<YYYY-MM-DD>` (the day in the destination's cap timezone).
 */
export function leaseKey(prefix: string, destinationId: string, kind: CapKind, day: string | null): string {
  return kind === 'total' ? `${prefix}cap:${destinationId}:total` : `${prefix}cap:${destinationId}:d:${day}`
}

/** A capped destination the node should hold leases for, from the snapshot. */
export interface WantedCap {
  readonly destinationId: string
  readonly timezone: string
  readonly dailyCap: number | null
  readonly totalCap: number | null
}

/** What changes between held leases and wanted caps: identities are `leaseKey`s. */
export interface LeaseDiff {
  /** Held and no longer wanted (gone, day rolled, cap changed): retire. */
  readonly retire: readonly string[]
  /** Wanted and not held: open, with this cap. */
  readonly open: readonly {
    key: string
    destinationId: string
    kind: CapKind
    day: string | null
    cap: number
  }[]
}

/**
 * Compares held leases (key → cap, retired ones excluded) with the caps wanted at `nowMs`
 * (`dayOf(timezone, ms)` gives the day key). A lease whose cap changed is retired and a new
 * one opened under the same key only after — so the old budget is given back before the new
 * cap is leased — by listing it in `retire` now and in `open` at a later call, once settled
 * (`settling` holds the keys of retired leases not yet settled).
 */
export function diffLeases(
  prefix: string,
  held: ReadonlyMap<string, number>,
  settling: ReadonlySet<string>,
  wanted: readonly WantedCap[],
  nowMs: number,
  dayOf: (timezone: string, ms: number) => string,
): LeaseDiff {
  const want = new Map<string, { destinationId: string; kind: CapKind; day: string | null; cap: number }>()
  for (const w of wanted) {
    if (w.dailyCap !== null) {
      const day = dayOf(w.timezone, nowMs)
      want.set(leaseKey(prefix, w.destinationId, 'daily', day), {
        destinationId: w.destinationId,
        kind: 'daily',
        day,
        cap: w.dailyCap,
      })
    }
    if (w.totalCap !== null)
      want.set(leaseKey(prefix, w.destinationId, 'total', null), {
        destinationId: w.destinationId,
        kind: 'total',
        day: null,
        cap: w.totalCap,
      })
  }
  const retireKeys: string[] = []
  for (const [key, cap] of held) {
    const w = want.get(key)
    if (!w || w.cap !== cap) retireKeys.push(key)
  }
  const open: LeaseDiff['open'][number][] = []
  for (const [key, w] of want) {
    if (held.has(key) || settling.has(key)) continue
    open.push({ key, ...w })
  }
  return { retire: retireKeys, open }
}
