/**
 * Random interleavings of postbacks for the group-commit property tests — two committers in
 * one process (conversions.batch.test.ts) and a committer in a child process
 * (conversions.batch.processes.test.ts): the scenario generator, the one-by-one reference,
 * what the database holds for a scenario, and the check that it is explained by applying the
 * postbacks one by one in some order.
 *
 * Per key the payout is fixed and the statuses are lead / sale / rejected, so the one-by-one
 * FINAL state does not depend on the order (lead+sale → sale, anything+rejected → rejected):
 * any interleaving must store exactly the reference's status, payout and revenue. The events
 * do depend on the order (sale then lead: one event, lead then sale: two), so they are checked
 * against the serial order the database itself committed (the events' `seq`).
 */
import fc from 'fast-check'
import { z } from 'zod'
import type { ClickEvent } from '../src/modules/analytics/index.ts'
import type { ClickInfo } from '../src/modules/conversions/click.lookup.ts'
import {
  type ConversionState,
  type ConversionStatus,
  decide,
  type NormalizedPostback,
  OUTCOME_HTTP_STATUS,
  type PostbackOutcome,
} from '../src/modules/conversions/conversions.core.ts'
import { conversionKeyOf } from '../src/modules/conversions/postback.batch.core.ts'
import type { SqlExecutor } from '../src/platform/db/client.ts'

/** Micros per currency unit. */
export const M = 1_000_000

const STATUSES = ['lead', 'sale', 'rejected'] as const satisfies readonly ConversionStatus[]

/** One generated step: `copies` identical postbacks, sent through the first committer or the second. */
export interface Step {
  /** Which of the scenario's three clicks. */
  click: number
  /** '' = keyed by click ID; 'A' / 'B' = two transaction IDs of the same click. */
  tid: '' | 'A' | 'B'
  status: (typeof STATUSES)[number]
  first: boolean
  copies: number
  /**
   * When it is sent, in waves after the start (0 = at once): lets the two-process test
   * spread each side's postbacks so that later ones meet stored rows the other side is
   * changing. Shapes interleavings only; nothing waits on it to be exact.
   */
  wave: number
}

/** Scenarios: 1..`maxLength` steps over 3 clicks × 3 keys each, duplicates and any order. */
export function interleavingScenario(maxLength = 40): fc.Arbitrary<Step[]> {
  return fc.array(
    fc.record({
      click: fc.integer({ min: 0, max: 2 }),
      tid: fc.constantFrom('' as const, 'A' as const, 'B' as const),
      status: fc.constantFrom(...STATUSES),
      first: fc.boolean(),
      copies: fc.integer({ min: 1, max: 3 }),
      wave: fc.integer({ min: 0, max: 2 }),
    }),
    { minLength: Math.min(8, maxLength), maxLength },
  )
}

/** One postback of a scenario, in generation order. */
export interface Send {
  clickId: string
  transactionId: string
  status: ConversionStatus
  /** Fixed per key (see file comment), micros of a whole number of units. */
  payoutMicros: number
  /** Sent through the first committer (else the second). */
  first: boolean
  /** {@link Step.wave}. */
  wave: number
  /** {@link conversionKeyOf} of the postback. */
  key: string
}

/**
 * The postbacks of `steps`, copies expanded, for the scenario's clicks (3) of `networkId`.
 * @param tag makes the transaction IDs unique to this scenario (a tid of another click would be `malformed`).
 */
export function expandSteps(
  steps: readonly Step[],
  clickIds: readonly string[],
  networkId: string,
  tag: string,
) {
  return steps.flatMap((x): Send[] => {
    const clickId = clickIds[x.click]!
    const transactionId = x.tid === '' ? '' : `${tag}-${x.click}-${x.tid}`
    const send: Send = {
      clickId,
      transactionId,
      status: x.status,
      payoutMicros: (1 + ((clickId.charCodeAt(25) + transactionId.length) % 7)) * M,
      first: x.first,
      wave: x.wave,
      key: conversionKeyOf(networkId, clickId, transactionId),
    }
    return Array.from({ length: x.copies }, () => send)
  })
}

/** The query parameters of `s` for the default template (`subid_tid_payout_status`). */
export function postbackParams(s: Send): Record<string, string> {
  return { subid: s.clickId, tid: s.transactionId, status: s.status, payout: String(s.payoutMicros / M) }
}

/** `s` as the parser makes it of {@link postbackParams} (no currency, no subs). */
export function normalized(s: Send): NormalizedPostback {
  return {
    clickId: s.clickId,
    transactionId: s.transactionId,
    status: s.status,
    rawStatus: s.status,
    payoutMicros: s.payoutMicros,
    currency: undefined,
    subs: {},
  }
}

/** The reference: `sends` applied one by one in generation order through `decide`; each key's final state. */
export function oneByOne(sends: readonly Send[]): Map<string, ConversionState> {
  const store = new Map<string, ConversionState>()
  let now = 0
  for (const s of sends) {
    const d = decide(store.get(s.key), normalized(s), ++now)
    if (d.outcome === 'accepted' && d.next) store.set(s.key, d.next)
  }
  return store
}

/** A stored conversion, as {@link readStored} reads it (money in micros). */
export interface StoredConversion {
  key: string
  status: string
  seenStatuses: string[]
  payoutMicros: number
  revenueMicros: number
  version: number
}

/** A stored conversion event, as {@link readStored} reads it. */
export interface StoredEvent {
  key: string
  seq: number
  status: string
  previousStatus: string
  conversionsDelta: number
  revenueDeltaMicros: number
  payoutMicros: number
}

/** What the database holds for the clicks of a scenario. */
export interface Stored {
  conversions: StoredConversion[]
  /** Ordered by key, then seq. */
  events: StoredEvent[]
  /** `postback_log` rows of these clicks. */
  logRows: number
}

/** Reads the conversions, their events and the log rows of `clickIds` (PostgreSQL or PGlite). */
export async function readStored(raw: SqlExecutor, clickIds: readonly string[]): Promise<Stored> {
  const ids = [...new Set(clickIds)]
  const keyOf = (r: Record<string, unknown>) =>
    conversionKeyOf(String(r.network_id), String(r.click_id), String(r.transaction_id))
  const conversions = (
    await raw.executeSql(
      `SELECT network_id, click_id, transaction_id, status, seen_statuses, payout_micros, revenue_micros, version
         FROM conversions WHERE click_id = ANY($1)`,
      [ids],
    )
  ).rows.map(
    (r): StoredConversion => ({
      key: keyOf(r),
      status: String(r.status),
      // text[] arrives parsed from both drivers; the text form is accepted all the same.
      seenStatuses: Array.isArray(r.seen_statuses)
        ? r.seen_statuses.map(String)
        : String(r.seen_statuses)
            .replace(/^\{|\}$/g, '')
            .split(',')
            .filter(Boolean),
      payoutMicros: Number(r.payout_micros),
      revenueMicros: Number(r.revenue_micros),
      version: Number(r.version),
    }),
  )
  const events = (
    await raw.executeSql(
      `SELECT c.network_id, c.click_id, c.transaction_id, e.seq, e.status, e.previous_status,
              e.conversions_delta, e.revenue_delta_micros, e.payout_micros
         FROM conversion_events e JOIN conversions c ON c.id = e.conversion_id
        WHERE c.click_id = ANY($1)`,
      [ids],
    )
  ).rows
    .map(
      (r): StoredEvent => ({
        key: keyOf(r),
        seq: Number(r.seq),
        status: String(r.status),
        previousStatus: String(r.previous_status),
        conversionsDelta: Number(r.conversions_delta),
        revenueDeltaMicros: Number(r.revenue_delta_micros),
        payoutMicros: Number(r.payout_micros),
      }),
    )
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.seq - b.seq))
  const [log] = (
    await raw.executeSql(`SELECT count(*) AS n FROM postback_log WHERE click_id = ANY($1)`, [ids])
  ).rows
  return { conversions, events, logRows: Number(log?.n ?? 0) }
}

/** The reference's final state of every key, in the shape compared with {@link Stored} (sorted by key). */
export function expectedConversions(sends: readonly Send[]) {
  return [...oneByOne(sends)]
    .map(([key, s]) => ({
      key,
      status: s.status,
      payoutMicros: s.payoutMicros,
      revenueMicros: s.revenueMicros,
    }))
    .sort((a, b) => (a.key < b.key ? -1 : 1))
}

/** The stored conversions in the shape of {@link expectedConversions}. */
export function storedConversions(stored: Stored) {
  return stored.conversions
    .map(({ key, status, payoutMicros, revenueMicros }) => ({ key, status, payoutMicros, revenueMicros }))
    .sort((a, b) => (a.key < b.key ? -1 : 1))
}

/**
 * Whether the database and the answers are those of applying `sends` one by one in SOME
 * order: per key, replaying its accepted postbacks in the order of their events' `seq`
 * through `decide` must accept each and produce exactly the stored events and the stored
 * conversion; every other answer (duplicate, bad_status) must be what `decide` answers at
 * one of the states of that replay. (Duplicates and refusals change nothing, so each can
 * sit anywhere in the order; this is a linearizability check per key.)
 * @param outcomes each send's answer, index-aligned with `sends`.
 * @returns human-readable problems ([] when explained).
 */
export function serialOrderProblems(
  sends: readonly Send[],
  outcomes: readonly (PostbackOutcome | 'no answer')[],
  stored: Stored,
): string[] {
  const problems: string[] = []
  const keys = new Set([...sends.map((s) => s.key), ...stored.conversions.map((c) => c.key)])
  for (const key of keys) {
    const mine = sends.map((s, i) => ({ s, outcome: outcomes[i] })).filter((x) => x.s.key === key)
    const conv = stored.conversions.filter((c) => c.key === key)
    const events = stored.events.filter((e) => e.key === key)
    const accepted = mine.filter((x) => x.outcome === 'accepted')
    if (conv.length > 1) problems.push(`${key}: ${conv.length} conversions`)
    if (accepted.length !== events.length)
      problems.push(`${key}: ${accepted.length} accepted answers, ${events.length} events`)
    if (mine.length === 0) {
      problems.push(`${key}: stored but never sent`)
      continue
    }
    // Replay the events in seq order with the postbacks that made them.
    let state: ConversionState | undefined
    const states: (ConversionState | undefined)[] = [undefined]
    const unused = [...accepted]
    events.forEach((e, i) => {
      if (e.seq !== i + 1) problems.push(`${key}: event seq ${e.seq} at position ${i + 1}`)
      const at = unused.findIndex((x) => x.s.status === e.status)
      if (at < 0) {
        problems.push(`${key}: event ${e.seq} (${e.status}) has no accepted postback`)
        return
      }
      const [{ s }] = unused.splice(at, 1) as [(typeof unused)[number]]
      const d = decide(state, normalized(s), i + 1)
      if (d.outcome !== 'accepted' || !d.next || !d.event) {
        problems.push(`${key}: event ${e.seq} (${e.status}) would be ${d.outcome} after ${state?.status}`)
        return
      }
      const want = {
        seq: d.event.seq,
        status: d.event.status,
        previousStatus: d.event.previousStatus,
        conversionsDelta: d.event.conversionsDelta,
        revenueDeltaMicros: d.event.revenueDeltaMicros,
        payoutMicros: d.event.payoutMicros,
      }
      const { key: _key, ...got } = e
      if (JSON.stringify(got) !== JSON.stringify(want))
        problems.push(`${key}: event ${JSON.stringify(got)}, one by one ${JSON.stringify(want)}`)
      state = d.next
      states.push(state)
    })
    const c = conv[0]
    const after = state
      ? {
          status: state.status,
          seenStatuses: [...state.seenStatuses],
          payoutMicros: state.payoutMicros,
          revenueMicros: state.revenueMicros,
          version: state.version,
        }
      : undefined
    const row = c
      ? {
          status: c.status,
          seenStatuses: c.seenStatuses,
          payoutMicros: c.payoutMicros,
          revenueMicros: c.revenueMicros,
          version: c.version,
        }
      : undefined
    if (JSON.stringify(row) !== JSON.stringify(after))
      problems.push(`${key}: stored ${JSON.stringify(row)}, replayed ${JSON.stringify(after)}`)
    for (const { s, outcome } of mine) {
      if (outcome === 'accepted') continue
      const explained = states.some((st, i) => decide(st, normalized(s), i + 1).outcome === outcome)
      if (!explained) problems.push(`${key}: ${s.status} answered ${outcome}, which no serial order gives`)
    }
  }
  return problems
}

/* ---- The child committer's IPC messages (conversions.committer.child.ts) ---- */

const text = z.string()
/** A click as the committer copies it onto a conversion (exactly {@link ClickInfo}'s fields). */
const clickInfoSchema = z
  .object({
    click_id: text,
    ts: z.number(),
    workspace_id: text,
    campaign_id: text,
    stream_id: text,
    destination_id: text,
    source_id: text,
    lander_id: text,
    country: text,
    device: text,
    os: text,
    os_version: text,
    browser: text,
    cost_micros: z.number(),
    currency: text,
    external_id: text,
    sub1: text,
    sub2: text,
    sub3: text,
    sub4: text,
    sub5: text,
    sub6: text,
    sub7: text,
    sub8: text,
    sub9: text,
    sub10: text,
  })
  .strict() satisfies z.ZodType<ClickInfo>

/** The {@link ClickInfo} of a click event (what crosses the IPC channel). */
export function clickInfoOf(e: ClickEvent): ClickInfo {
  return clickInfoSchema.parse(
    Object.fromEntries(Object.keys(clickInfoSchema.shape).map((k) => [k, e[k as keyof ClickEvent]])),
  )
}

/** Options of the child's committer (`createPostbackCommitter`). */
export const childCommitterOptions = z
  .object({
    maxBatch: z.number().int().min(1),
    concurrency: z.number().int().min(1),
    lingerMs: z.number().int().min(0),
  })
  .strict()

const run = z.number().int()
/**
 * Parent → child. `arm`: a new committer with `options`, and the postbacks to apply (query
 * parameters of the default template, `i` = the send's index in the scenario, `delayMs` after
 * `go`); `go`: apply them (those without delay in the same turn); `exit`: close the pool and leave.
 */
export const toChild = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('arm'),
      run,
      options: childCommitterOptions,
      clicks: z.array(clickInfoSchema),
      items: z.array(
        z
          .object({ i: z.number().int(), params: z.record(text, text), delayMs: z.number().int().min(0) })
          .strict(),
      ),
    })
    .strict(),
  z.object({ type: z.literal('go'), run }).strict(),
  z.object({ type: z.literal('exit') }).strict(),
])
export type ToChild = z.infer<typeof toChild>

/** Child → parent: `ready` once its pool and network are loaded; `armed`; `done` with every item's answer. */
export const fromChild = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }).strict(),
  z.object({ type: z.literal('armed'), run }).strict(),
  z
    .object({
      type: z.literal('done'),
      run,
      answers: z.array(
        z
          .object({
            i: z.number().int(),
            outcome: z.enum(Object.keys(OUTCOME_HTTP_STATUS) as [PostbackOutcome, ...PostbackOutcome[]]),
            /** The committer's error when the postback failed even alone (outcome `error`). */
            error: text.optional(),
          })
          .strict(),
      ),
      stats: z
        .object({ batches: z.number(), maxBatch: z.number(), retries: z.number(), fallbacks: z.number() })
        .strict(),
    })
    .strict(),
])
export type FromChild = z.infer<typeof fromChild>
