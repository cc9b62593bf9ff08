/**
 * The pure conversion rules: what one postback does to one conversion.
 *
 * `decide(existing, postback, now)` takes the stored state of the conversion the postback
 * addresses (or `undefined` when there is none yet) and returns the outcome, the next state
 * and the event to record. No I/O, no clock of its own, never throws.
 *
 * Identity (which conversion a postback addresses; the shell looks it up, see README):
 * - with a transaction ID: (network, transaction ID);
 * - without one: (network, click ID) — one conversion per click per network, whose status
 *   moves lead → sale → rejected. A postback repeating a (network, click ID, status) that
 *   conversion already went through is a duplicate.
 *
 * Statuses and transitions:
 * - `lead → sale`, `lead → rejected`, `sale → rejected`, and `rebill → rejected` (a refund or
 *   chargeback of a rebill, with the same meaning as sale → rejected);
 * - the same status again, or a status the conversion already went through (a replayed lead
 *   after the sale), is a **duplicate**: nothing changes, the answer is 2xx;
 * - any other change (sale → lead when no lead was ever recorded, rejected → sale, …) is
 *   **bad_status**: nothing changes, the answer is 4xx so the network sees it was refused;
 * - `rebill` always creates its own conversion and needs its own transaction ID: a rebill
 *   without one, or with the transaction ID of an existing non-rebill conversion, is bad_status;
 * - a first postback with status `rejected` creates the conversion as rejected (revenue 0).
 *
 * Money: integer **micros** (millionths of a currency unit) everywhere. `revenueMicros` is
 * what the conversion currently counts: the payout of its current status, or 0 when rejected.
 * Every accepted change emits an event whose `revenueDeltaMicros` is new revenue − old
 * revenue, so the sum of a conversion's deltas is always its current revenue and reports
 * can `sum()` raw events (no FINAL, no updates in ClickHouse).
 */

/** Conversion statuses. */
export const CONVERSION_STATUSES = ['lead', 'sale', 'rejected', 'rebill'] as const
/** A conversion status (see the transition rules above). */
export type ConversionStatus = (typeof CONVERSION_STATUSES)[number]

/**
 * Outcome of one inbound postback, as logged in `postback_log.outcome`:
 * - `accepted` a conversion was created or changed;
 * - `duplicate` replay of something already recorded (nothing changed);
 * - `unknown_click` the click ID matches no click of the network's workspace;
 * - `bad_secret` secret/token missing or wrong;
 * - `bad_status` unknown status value, or a transition the rules refuse;
 * - `malformed` a required field missing or unparsable (click ID, payout, currency, …);
 * - `unknown_network` no such network;
 * - `ip_not_allowed` the client IP is outside the network's allowlist;
 * - `rate_limited` too many refused postbacks from this IP, or refused ones for this network
 *   (see {@link UNAUTHENTICATED_OUTCOMES});
 * - `error` an infrastructure failure (database, ClickHouse); the network should retry.
 */
export const POSTBACK_OUTCOMES = [
  'accepted',
  'duplicate',
  'unknown_click',
  'bad_secret',
  'bad_status',
  'malformed',
  'unknown_network',
  'ip_not_allowed',
  'rate_limited',
  'error',
] as const
/** One of {@link POSTBACK_OUTCOMES}. */
export type PostbackOutcome = (typeof POSTBACK_OUTCOMES)[number]

/**
 * HTTP status answered for each outcome. Networks retry on non-2xx, so:
 * accepted and duplicate are 200 (stop retrying); unknown_click is 404 because the click may
 * still be on its way to ClickHouse from another node (a retry a few seconds later matches);
 * bad_secret and ip_not_allowed 403; unknown_network 404; malformed and bad_status 400
 * (a retry after the operator fixed the template or status map succeeds); rate_limited 429;
 * error 503.
 */
export const OUTCOME_HTTP_STATUS: Readonly<Record<PostbackOutcome, number>> = {
  accepted: 200,
  duplicate: 200,
  unknown_click: 404,
  bad_secret: 403,
  bad_status: 400,
  malformed: 400,
  unknown_network: 404,
  ip_not_allowed: 403,
  rate_limited: 429,
  error: 503,
}

/**
 * Refusals of a caller that did not authenticate (no such network, IP outside the allowlist,
 * wrong secret) and the answer to one that kept trying (`rate_limited`). Anyone on the
 * internet can produce them at any rate, so they must cost almost nothing: they are counted,
 * only a sample of them is written to the postback log ({@link sampleRefusalLog}), and they
 * use up the per-IP and per-network refusal budgets (README "Refused postbacks").
 */
export const UNAUTHENTICATED_OUTCOMES = [
  'unknown_network',
  'ip_not_allowed',
  'bad_secret',
  'rate_limited',
] as const satisfies readonly PostbackOutcome[]

/** True when `outcome` is one of {@link UNAUTHENTICATED_OUTCOMES}. */
export function isUnauthenticatedOutcome(
  outcome: PostbackOutcome,
): outcome is (typeof UNAUTHENTICATED_OUTCOMES)[number] {
  return (UNAUTHENTICATED_OUTCOMES as readonly PostbackOutcome[]).includes(outcome)
}

/** How many refusals of one key are written to the postback log per window. */
export interface RefusalLogPolicy {
  /** Window length, ms (> 0). */
  windowMs: number
  /** Log rows per key per window (0 = none; they are still counted). */
  perWindow: number
}

/** The sampling state of one key: the current window and what happened in it. */
export interface RefusalLogWindow {
  /** Epoch ms the window started. */
  start: number
  /** Refusals of this key written to the log in this window. */
  logged: number
  /** Refusals of this key not written since its last logged one (counted only). */
  suppressed: number
}

/** What {@link sampleRefusalLog} decides for one refusal. */
export interface RefusalLogDecision {
  /** Write this refusal's postback_log row. */
  log: boolean
  /**
   * When `log`: refusals of this key left out of the log since its previous logged one
   * (reported in the row's reason, so the log shows the flood's size); else 0.
   */
  suppressedBefore: number
  next: RefusalLogWindow
}

/**
 * The sampling key of a refusal: its outcome and network. Not the network *parameter* of an
 * unknown network (a flood of random IDs would make every key new) nor the client IP (the
 * same for an IP spread): the number of keys is bounded by the outcomes × the known networks.
 */
export function refusalLogKey(outcome: PostbackOutcome, networkId: string | null): string {
  return `${outcome}:${networkId ?? ''}`
}

/**
 * Whether one more refusal of a key is written to the postback log: the first
 * `policy.perWindow` of each fixed window of `policy.windowMs` (starting at the first refusal
 * after the previous window ended) are, the rest are only counted. A clock that went back
 * starts a new window. Pure; never throws.
 * @param state the key's window (undefined for a key not seen, or forgotten).
 * @param now epoch ms of the refusal.
 */
export function sampleRefusalLog(
  state: RefusalLogWindow | undefined,
  now: number,
  policy: RefusalLogPolicy,
): RefusalLogDecision {
  const current = state !== undefined && now >= state.start && now < state.start + policy.windowMs
  // A new window keeps the count of what was left out since the last logged row.
  const w = current ? state : { start: now, logged: 0, suppressed: state?.suppressed ?? 0 }
  if (w.logged < policy.perWindow) {
    return {
      log: true,
      suppressedBefore: w.suppressed,
      next: { start: w.start, logged: w.logged + 1, suppressed: 0 },
    }
  }
  return {
    log: false,
    suppressedBefore: 0,
    next: { start: w.start, logged: w.logged, suppressed: w.suppressed + 1 },
  }
}

/** A postback after template parsing and status mapping (see `postback.parse.ts`). */
export interface NormalizedPostback {
  /** traffoflex click ID (26-char ULID-style). */
  clickId: string
  /** Network's transaction ID, '' when the network sent none. Max 200 chars. */
  transactionId: string
  status: ConversionStatus
  /** The status value as received, before mapping ('' when absent and defaulted). */
  rawStatus: string
  /** Payout in micros of `currency`; undefined when the postback carried none. */
  payoutMicros: number | undefined
  /** ISO 4217 code (upper case); undefined when the postback carried none. */
  currency: string | undefined
  /** Sub values sent by the network (`sub1`..`sub10`), only those present. */
  subs: Partial<Record<SubKey, string>>
}

/** `sub1` … `sub10`. */
export type SubKey = `sub${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10}`
/** The ten sub keys in order. */
export const SUB_KEYS: readonly SubKey[] = [
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'sub5',
  'sub6',
  'sub7',
  'sub8',
  'sub9',
  'sub10',
]

/** The decision-relevant state of one stored conversion. */
export interface ConversionState {
  clickId: string
  /** '' when the conversion is keyed by click ID. */
  transactionId: string
  status: ConversionStatus
  /** Every status this conversion has been in, in order of acceptance (first = creation). */
  seenStatuses: readonly ConversionStatus[]
  /** Payout in micros of the last accepted non-rejected status (kept when rejected, for the record). */
  payoutMicros: number
  /** Revenue currently counted, micros: `payoutMicros`, or 0 when `status` is rejected. */
  revenueMicros: number
  /** ISO 4217 code; fixed at creation (deltas in mixed currencies could not be summed). */
  currency: string
  /** 1 at creation, +1 per accepted change; the event of version n has `seq = n`. */
  version: number
  /** Epoch ms of creation and of the last accepted change. */
  createdAt: number
  updatedAt: number
}

/** One accepted change, as written to `conversion_events` and then to ClickHouse. */
export interface ConversionEvent {
  /** The conversion's version after this change (1 = creation). */
  seq: number
  /** Epoch ms of the change. */
  ts: number
  status: ConversionStatus
  /** '' for the creation event. */
  previousStatus: ConversionStatus | ''
  /** +1 for the event that creates the conversion, 0 for a status change. */
  conversionsDelta: 0 | 1
  /** New revenue − old revenue, micros (negative when a sale is rejected). */
  revenueDeltaMicros: number
  /** The conversion's payout after the change, micros. */
  payoutMicros: number
  currency: string
}

/** Result of {@link decide}. `next` and `event` are set only when `outcome` is accepted. */
export interface Decision {
  outcome: 'accepted' | 'duplicate' | 'bad_status' | 'malformed'
  /** Human-readable reason (stored in `postback_log.reason`). */
  reason: string
  next?: ConversionState
  event?: ConversionEvent
}

/** Defaults the shell resolves from the click's destination. */
export interface DecideDefaults {
  /** Payout (micros) used when the postback carries none (the destination's default payout). */
  payoutMicros?: number | undefined
  /** Currency used when a new conversion's postback carries none (default 'USD'). */
  currency?: string | undefined
}

/** Query/body parameter naming the network (its ID): `/postback?network=<uuid>&…`. */
export const NETWORK_PARAM = 'network'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** True when `ref` (the trimmed {@link NETWORK_PARAM} value) can name a network, so it is worth a lookup. */
export function isNetworkRef(ref: string): boolean {
  return UUID.test(ref)
}

/** Why a postback is refused before its conversion is decided. */
export interface Refusal {
  outcome: Exclude<PostbackOutcome, 'accepted' | 'duplicate'>
  /** Human-readable reason (stored in `postback_log.reason`). */
  reason: string
}

/** Admission facts when no network was found: the parameter was missing, or names none. */
export interface NoNetworkFacts {
  network: 'missing' | 'unknown'
}

/** Admission facts of a postback whose network was found (the shell gathers them all first). */
export interface KnownNetworkFacts {
  network: 'known'
  /** Client IP, for the reason text ('' when the socket had none). */
  ip: string
  /** The network's IP allowlist admits `ip` (an empty list admits everyone). */
  ipAllowed: boolean
  /** `none` when the network has no secret; else whether the presented one matches. */
  secret: 'none' | 'match' | 'mismatch'
  /** Whether the body could be read (`postbackFields`). */
  body: { ok: true } | { ok: false; reason: string }
  /**
   * The template parse (`parsePostback`); `clickIdValid` is whether the click ID is one of
   * ours, `clickIdFuture` whether the time it embeds is too far ahead ({@link isFutureClickTime}).
   */
  parsed:
    | { ok: true; clickId: string; clickIdValid: boolean; clickIdFuture?: boolean }
    | { ok: false; outcome: 'malformed' | 'bad_status'; reason: string }
}

/** What {@link admitPostback} decides on. */
export type AdmissionFacts = NoNetworkFacts | KnownNetworkFacts

/**
 * The checks of an inbound postback, in the order they are applied: the first that fails
 * decides the outcome. The network comes first (nothing else can be judged without its
 * settings), then the IP allowlist. A body or parameter that cannot be read at all (broken
 * JSON, a NUL, an unpaired surrogate) is a 400 `malformed` even behind a wrong secret: the
 * request is broken whoever sent it, and saying so reveals nothing about a valid postback.
 * The secret comes before anything about the content's meaning (template fields, click ID),
 * so an unauthenticated caller learns nothing about what a valid postback looks like.
 */
export const ADMISSION_ORDER = ['network', 'ip_allowlist', 'body', 'secret', 'fields', 'click_id'] as const

/** One of {@link ADMISSION_ORDER}. */
export type AdmissionCheck = (typeof ADMISSION_ORDER)[number]

/** A refusal by {@link admitPostback}, naming the check that failed. */
export interface AdmissionRefusal extends Refusal {
  check: AdmissionCheck
  /**
   * True when the caller has not shown the network's secret (an unreadable body behind a
   * missing or wrong secret): the refusal is then treated like the
   * {@link UNAUTHENTICATED_OUTCOMES} (refusal budgets, sampled log) whatever its outcome.
   */
  unauthenticated?: boolean
}

/**
 * Admission of one postback, checks in {@link ADMISSION_ORDER}: the first refusal, or
 * undefined when the postback may go on to the click lookup. Pure; never throws.
 */
export function admitPostback(facts: NoNetworkFacts): AdmissionRefusal
export function admitPostback(facts: AdmissionFacts): AdmissionRefusal | undefined
export function admitPostback(facts: AdmissionFacts): AdmissionRefusal | undefined {
  const refuse = (check: AdmissionCheck, outcome: Refusal['outcome'], reason: string) => ({
    check,
    outcome,
    reason,
  })
  if (facts.network !== 'known') {
    return refuse(
      'network',
      'unknown_network',
      facts.network === 'missing' ? `missing ${NETWORK_PARAM} parameter` : 'no such network',
    )
  }
  if (!facts.ipAllowed) {
    return refuse(
      'ip_allowlist',
      'ip_not_allowed',
      `IP ${facts.ip || '(none)'} is not in the network's allowlist`,
    )
  }
  if (!facts.body.ok) {
    const r: AdmissionRefusal = refuse('body', 'malformed', facts.body.reason)
    return facts.secret === 'mismatch' ? { ...r, unauthenticated: true } : r
  }
  if (facts.secret === 'mismatch') return refuse('secret', 'bad_secret', 'secret missing or wrong')
  const p = facts.parsed
  if (!p.ok) return refuse('fields', p.outcome, p.reason)
  if (!p.clickIdValid) {
    const shown = JSON.stringify(p.clickId.slice(0, 40))
    return refuse('click_id', 'malformed', `click ID ${shown} is not a traffoflex click ID`)
  }
  if (p.clickIdFuture) {
    const shown = JSON.stringify(p.clickId.slice(0, 40))
    return refuse(
      'click_id',
      'malformed',
      `click ID ${shown} carries a time in the future; no such click exists`,
    )
  }
  return undefined
}

/**
 * How far ahead of now the time embedded in a click ID may be, ms (1 hour): clock skew
 * between the node that made the click and the one receiving its postback. A later one
 * (`7ZZZ…` decodes to the year 10889) names no click that can exist, and is refused as
 * `malformed` (400) before any lookup rather than sent to ClickHouse, whose date range
 * ends in 2299.
 */
export const MAX_CLICK_ID_LEAD_MS = 3600_000

/**
 * True when a click ID's embedded time (epoch ms; undefined when it has none) is more than
 * {@link MAX_CLICK_ID_LEAD_MS} after `now` (epoch ms).
 */
export function isFutureClickTime(clickMs: number | undefined, now: number): boolean {
  return clickMs !== undefined && clickMs > now + MAX_CLICK_ID_LEAD_MS
}

/**
 * The refusal after the click lookup of an admitted postback: `failed` (ClickHouse
 * unreachable) → error (503, the network retries); `absent` → unknown_click (404: the click
 * may still be on its way from another node).
 */
export function clickRefusal(lookup: 'found' | 'absent' | 'failed'): Refusal | undefined {
  if (lookup === 'failed') return { outcome: 'error', reason: 'click lookup unavailable; retry later' }
  if (lookup === 'absent')
    return { outcome: 'unknown_click', reason: 'no such click in this workspace (yet)' }
  return undefined
}

/** Whether {@link decide} may need the click's destination defaults (payout or currency missing). */
export function needsDestinationDefaults(
  postback: Pick<NormalizedPostback, 'payoutMicros' | 'currency'>,
): boolean {
  return postback.payoutMicros === undefined || postback.currency === undefined
}

/**
 * The {@link DecideDefaults} of a click's destination: its default payout (`payout_cents`,
 * converted to micros: × 10,000) when above 0 — a destination without a default payout
 * leaves a status change's payout unchanged — and its currency. No destination (gone, or
 * another workspace's): no defaults, so a new conversion gets payout 0 in USD.
 */
export function destinationDefaults(
  dest: { payoutCents: number; currency: string } | undefined,
): DecideDefaults {
  return {
    payoutMicros: dest && dest.payoutCents > 0 ? dest.payoutCents * 10_000 : undefined,
    currency: dest?.currency,
  }
}

/** Allowed status changes of an existing conversion (`from → to`). */
export const ALLOWED_TRANSITIONS: Readonly<Record<ConversionStatus, readonly ConversionStatus[]>> = {
  lead: ['sale', 'rejected'],
  sale: ['rejected'],
  rebill: ['rejected'],
  rejected: [],
}

/** True when an existing conversion in `from` may move to `to`. */
export function canTransition(from: ConversionStatus, to: ConversionStatus): boolean {
  return ALLOWED_TRANSITIONS[from].includes(to)
}

const revenueOf = (status: ConversionStatus, payoutMicros: number) =>
  status === 'rejected' ? 0 : payoutMicros

/**
 * Applies one postback to one conversion.
 * @param existing the stored conversion the postback addresses (same network and
 *   transaction ID, or same network and click ID when it has none), or undefined.
 * @param postback the parsed postback.
 * @param now epoch ms of the decision (event time).
 * @param defaults payout/currency when the postback has none (see {@link DecideDefaults}).
 *   Payout resolution: the postback's payout, else `defaults.payoutMicros`, else 0 for a new
 *   conversion / the current payout for a status change. A rejection keeps the payout
 *   on record but counts 0 revenue.
 */
export function decide(
  existing: ConversionState | undefined,
  postback: NormalizedPostback,
  now: number,
  defaults: DecideDefaults = {},
): Decision {
  const { status } = postback
  if (!existing) {
    if (status === 'rebill' && postback.transactionId === '') {
      return { outcome: 'bad_status', reason: 'a rebill needs its own transaction ID' }
    }
    const payoutMicros = postback.payoutMicros ?? defaults.payoutMicros ?? 0
    const currency = postback.currency ?? defaults.currency ?? 'USD'
    const revenueMicros = revenueOf(status, payoutMicros)
    const next: ConversionState = {
      clickId: postback.clickId,
      transactionId: postback.transactionId,
      status,
      seenStatuses: [status],
      payoutMicros,
      revenueMicros,
      currency,
      version: 1,
      createdAt: now,
      updatedAt: now,
    }
    return {
      outcome: 'accepted',
      reason: `new ${status}`,
      next,
      event: {
        seq: 1,
        ts: now,
        status,
        previousStatus: '',
        conversionsDelta: 1,
        revenueDeltaMicros: revenueMicros,
        payoutMicros,
        currency,
      },
    }
  }

  // A transaction ID is the network's name for one sale; reusing it for another click is
  // a network-side bug (or a forgery) that must not move someone else's money.
  if (existing.clickId !== postback.clickId) {
    return {
      outcome: 'malformed',
      reason: `transaction ID ${postback.transactionId} already belongs to another click`,
    }
  }
  if (existing.status === status || existing.seenStatuses.includes(status)) {
    return { outcome: 'duplicate', reason: `already recorded as ${status} (now ${existing.status})` }
  }
  if (status === 'rebill') {
    return {
      outcome: 'bad_status',
      reason: `a rebill needs its own transaction ID (this one is a ${existing.status})`,
    }
  }
  if (!canTransition(existing.status, status)) {
    return { outcome: 'bad_status', reason: `transition ${existing.status} → ${status} not allowed` }
  }
  if (postback.currency !== undefined && postback.currency !== existing.currency) {
    return {
      outcome: 'malformed',
      reason: `currency ${postback.currency} differs from the conversion's ${existing.currency}`,
    }
  }
  const payoutMicros =
    status === 'rejected'
      ? existing.payoutMicros
      : (postback.payoutMicros ?? defaults.payoutMicros ?? existing.payoutMicros)
  const revenueMicros = revenueOf(status, payoutMicros)
  const version = existing.version + 1
  const next: ConversionState = {
    ...existing,
    status,
    seenStatuses: [...existing.seenStatuses, status],
    payoutMicros,
    revenueMicros,
    version,
    updatedAt: now,
  }
  return {
    outcome: 'accepted',
    reason: `${existing.status} → ${status}`,
    next,
    event: {
      seq: version,
      ts: now,
      status,
      previousStatus: existing.status,
      conversionsDelta: 0,
      revenueDeltaMicros: revenueMicros - existing.revenueMicros,
      payoutMicros,
      currency: existing.currency,
    },
  }
}

/**
 * An accepted change as the live feed (`GET /api/v1/live`, `event: conversion`) carries it:
 * what the dashboard shows, nothing about the visitor. Money in micros of `currency`.
 */
export type LiveConversion = {
  type: 'conversion'
  conversion_id: string
  click_id: string
  campaign_id: string
  network_id: string
  /** Status after the change. */
  status: ConversionStatus
  /** '' when the change created the conversion. */
  previous_status: ConversionStatus | ''
  /** Payout on record after the change (a rejection keeps it), micros. */
  payout_micros: number
  /** Revenue the change added (negative when a sale is rejected), micros. */
  revenue_delta_micros: number
  currency: string
  /** Time of the change, ISO 8601 UTC. */
  ts: string
}
