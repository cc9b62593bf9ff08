/**
 * Postbacks by group commit: admitted postbacks (and the log rows of refusals) wait in a
 * bounded queue; a committer takes up to `maxBatch` of them whenever a database slot is free
 * and applies them in ONE transaction with set-based SQL (`postback.batch.sql.ts`):
 *
 * 1. lock the stored conversions of the batch's keys (`FOR UPDATE`, IDs ascending);
 * 2. decide every key's postbacks in arrival order (`planBatch`, pure) — duplicates and
 *    lead → sale inside one batch included;
 * 3. insert the new conversions (`ON CONFLICT DO NOTHING`, keys ascending); a key another
 *    committer inserted meanwhile (a row not returned) is re-locked and decided again
 *    against the winner's row;
 * 4. update the changed ones, append their events (the outbox to ClickHouse), hand the
 *    accepted changes to the {@link ConversionOutbox}, write every postback's log row;
 * 5. COMMIT, and only then answer every request of the batch.
 *
 * Failures: a deadlock or serialization failure retries the batch (up to 3 times); any other
 * error re-runs the batch row by row, each postback in its own transaction, so a poisoned
 * row fails only itself (answered `error`, 503, the network retries).
 *
 * Ordering: within a process, a key is never in two batches at once (an item whose key is in
 * flight waits for the next batch), so one process applies a key's postbacks in arrival
 * order even with several batches in flight. Across processes, the row lock orders them.
 */
import { randomUUID } from 'node:crypto'
import type { Db } from '../../platform/db/client.ts'
import { pgError } from '../../platform/db/errors.ts'
import type { Logger } from '../../platform/logger.ts'
import type { ClickInfo } from './click.lookup.ts'
import {
  type ConversionEvent,
  type ConversionState,
  type DecideDefaults,
  type Decision,
  type NormalizedPostback,
  OUTCOME_HTTP_STATUS,
  SUB_KEYS,
  type SubKey,
} from './conversions.core.ts'
import {
  type ConversionKey,
  type ConversionRow,
  lockOutboxShared,
  type NetworkForPostback,
  type PostbackLogInsert,
  stateOf,
} from './conversions.repository.ts'
import { conversionKeyOf, type KeyPlan, type PlanItem, planBatch, planKey } from './postback.batch.core.ts'
import {
  insertConversionEvents,
  insertConversions,
  insertPostbackLogs,
  lockConversions,
  updateConversions,
} from './postback.batch.sql.ts'

/** An accepted conversion change, as handed to a {@link ConversionOutbox}. */
export interface AcceptedConversionChange {
  workspaceId: string
  conversionId: string
  /** `conversion_events.id` of this change: unique per change, the idempotency key downstream. */
  eventId: number
  event: ConversionEvent
  /** The conversion row after the change (money in micros). */
  conversion: ConversionRow
}

/**
 * Work that must commit or roll back with accepted conversion changes (a transactional
 * outbox, e.g. outbound postbacks). `write` runs inside the batch's transaction, after the
 * changes and their events are written, with every accepted change of the batch in commit
 * order; if it throws, the batch rolls back (and is re-run row by row, so only the postback
 * whose change fails is answered `error`). It answers whether it enqueued work; `committed`
 * runs after the commit only then (e.g. to wake the job queue).
 */
export interface ConversionOutbox {
  write(tx: Db, changes: readonly AcceptedConversionChange[]): Promise<boolean>
  committed?(): void
}

/** An admitted postback, ready to be applied. */
export interface PostbackToApply {
  net: NetworkForPostback
  postback: NormalizedPostback
  click: ClickInfo
  defaults: DecideDefaults
  /** Received at, ms since the epoch (UTC). */
  now: number
  /** Its log row; outcome, status code, reason and conversion ID are filled in by the batch. */
  log: PostbackLogInsert
}

/** What one applied postback is answered. */
export interface AppliedPostback {
  outcome: Decision['outcome']
  reason: string
  conversionId?: string
  /** The accepted change, announced once the transaction has committed. */
  change?: AcceptedConversionChange
}

/** Options of {@link createPostbackCommitter}. */
export interface PostbackCommitterOptions {
  db: Db
  outbox?: ConversionOutbox | undefined
  /** Max postbacks (and log rows) per transaction (default 500). */
  maxBatch?: number
  /** Max waiting items; past it `apply`/`log` refuse (default 10,000). */
  maxQueue?: number
  /** Batches in flight at once (default 1; PGlite runs one transaction at a time anyway). */
  concurrency?: number
  /**
   * How long a batch that is not full waits for more postbacks before it starts, ms (default
   * 0 = at once). Each transaction has a fixed cost (five statements, BEGIN/COMMIT): at
   * moderate rates a committer that starts at once runs back-to-back batches of a few
   * postbacks and spends its CPU on that fixed cost; a few ms of waiting makes them larger.
   */
  lingerMs?: number
  logger?: Pick<Logger, 'warn' | 'error'> | undefined
}

/** Counters of a committer. */
export interface CommitterStats {
  batches: number
  /** Postbacks applied (any outcome) and log-only rows written. */
  items: number
  /** Largest batch so far. */
  maxBatch: number
  /** Batches re-run after a deadlock or serialization failure. */
  retries: number
  /** Batches re-run row by row after an error. */
  fallbacks: number
  /** Items refused because the queue was full. */
  overloaded: number
  /** Items waiting now. */
  queued: number
}

/** The group committer. */
export interface PostbackCommitter {
  /**
   * Queues a postback for the next batch. @returns its outcome once its batch committed, or
   * `undefined` at once when the queue is full (answer 503 with Retry-After).
   * The promise rejects when the postback failed even alone (answer `error`).
   */
  apply(p: PostbackToApply): Promise<AppliedPostback> | undefined
  /** Queues a log row (a refusal) for the next batch. Undefined when the queue is full (the row is not written). */
  log(row: PostbackLogInsert): Promise<void> | undefined
  /** Resolves when nothing is queued or in flight. */
  drain(): Promise<void>
  stats(): CommitterStats
}

type Entry =
  | {
      kind: 'postback'
      key: string
      p: PostbackToApply
      resolve(r: AppliedPostback): void
      reject(e: unknown): void
    }
  | { kind: 'log'; key: ''; row: PostbackLogInsert; resolve(): void; reject(e: unknown): void }

/** A committed batch: each entry's answer (undefined for log rows), and whether the outbox enqueued work. */
interface Committed {
  out: (AppliedPostback | undefined)[]
  enqueued: boolean
}

/** Retryable PostgreSQL failures: deadlock_detected, serialization_failure. */
const RETRYABLE = new Set(['40P01', '40001'])

/** Creates a committer; it runs only while items are queued. */
export function createPostbackCommitter(opts: PostbackCommitterOptions): PostbackCommitter {
  const maxBatch = opts.maxBatch ?? 500
  const maxQueue = opts.maxQueue ?? 10_000
  const concurrency = opts.concurrency ?? 1
  const lingerMs = opts.lingerMs ?? 0
  const queue: Entry[] = []
  const keysInFlight = new Set<string>()
  let inFlight = 0
  let scheduled = false
  let idle: (() => void)[] = []
  const stats: Omit<CommitterStats, 'queued'> = {
    batches: 0,
    items: 0,
    maxBatch: 0,
    retries: 0,
    fallbacks: 0,
    overloaded: 0,
  }

  let linger: NodeJS.Timeout | undefined
  function schedule(): void {
    if (queue.length >= maxBatch && linger) {
      // A full batch does not wait for the rest of the linger.
      clearTimeout(linger)
      linger = undefined
      scheduled = false
    }
    if (scheduled) return
    scheduled = true
    if (lingerMs > 0 && queue.length < maxBatch) {
      linger = setTimeout(() => {
        linger = undefined
        pump()
      }, lingerMs)
      return
    }
    // setImmediate, not a timer: requests parsed in the same turn of the event loop join the batch.
    setImmediate(pump)
  }

  function pump(): void {
    scheduled = false
    while (inFlight < concurrency && queue.length > 0) {
      const batch = take()
      if (batch.length === 0) break
      inFlight++
      void run(batch).finally(() => {
        inFlight--
        for (const e of batch) if (e.kind === 'postback') keysInFlight.delete(e.key)
        if (queue.length > 0) schedule()
        else if (inFlight === 0) {
          const waiting = idle
          idle = []
          for (const w of waiting) w()
        }
      })
    }
  }

  /** Up to maxBatch entries whose keys are not in flight; the rest keep their order in the queue. */
  function take(): Entry[] {
    const batch: Entry[] = []
    const rest: Entry[] = []
    const blocked = new Set<string>()
    for (const e of queue) {
      if (
        batch.length >= maxBatch ||
        (e.kind === 'postback' && (keysInFlight.has(e.key) || blocked.has(e.key)))
      ) {
        if (e.kind === 'postback') blocked.add(e.key)
        rest.push(e)
        continue
      }
      batch.push(e)
    }
    for (const e of batch) if (e.kind === 'postback') keysInFlight.add(e.key)
    queue.length = 0
    queue.push(...rest)
    return batch
  }

  async function run(batch: Entry[]): Promise<void> {
    stats.batches++
    stats.items += batch.length
    stats.maxBatch = Math.max(stats.maxBatch, batch.length)
    try {
      settle(batch, await commitRetrying(batch))
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err)
        return
      }
      stats.fallbacks++
      opts.logger?.warn({ err, size: batch.length }, 'postback batch failed; applying its rows one by one')
      for (const e of batch) {
        try {
          settle([e], await commitRetrying([e]))
        } catch (one) {
          e.reject(one)
        }
      }
    }
  }

  /** {@link commit}, retried after a deadlock or serialization failure (3 tries in all). */
  async function commitRetrying(batch: Entry[]): Promise<Committed> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await commit(batch)
      } catch (err) {
        if (!RETRYABLE.has(pgError(err).code ?? '') || attempt >= 3) throw err
        stats.retries++
      }
    }
  }

  function settle(batch: Entry[], { out, enqueued }: Committed): void {
    batch.forEach((e, i) => {
      if (e.kind === 'log') e.resolve()
      else e.resolve(out[i]!)
    })
    // Wake the job queue only when this batch enqueued something (not after every postback).
    if (enqueued) opts.outbox?.committed?.()
  }

  /** One transaction for the whole batch. */
  async function commit(batch: Entry[]): Promise<Committed> {
    const postbacks: { index: number; p: PostbackToApply; key: string }[] = []
    batch.forEach((e, index) => {
      if (e.kind === 'postback') postbacks.push({ index, p: e.p, key: e.key })
    })
    const out: (AppliedPostback | undefined)[] = new Array(batch.length).fill(undefined)
    let enqueued = false
    await opts.db.transaction(async (tx) => {
      const t = tx as unknown as Db
      const keyOf = new Map<string, ConversionKey>()
      for (const { p, key } of postbacks)
        keyOf.set(key, {
          networkId: p.net.id,
          clickId: p.postback.clickId,
          transactionId: p.postback.transactionId,
        })
      const stored = postbacks.length > 0 ? await lockConversions(t, [...keyOf.values()]) : new Map()
      const items: PlanItem[] = postbacks.map(({ p, key }) => ({
        key,
        postback: p.postback,
        now: p.now,
        defaults: p.defaults,
      }))
      const states = new Map<string, ConversionState>([...stored].map(([k, row]) => [k, stateOf(row)]))
      let plans = planBatch(items, states)

      // New conversions: one row per key whose plan created one, from the item that created it.
      const fresh = new Map<string, ConversionRow>()
      for (const plan of plans) {
        if (plan.stored || !plan.final || plan.events.length === 0) continue
        const first = postbacks[plan.events[0]!.index]!
        fresh.set(plan.key, newConversionRow(randomUUID(), first.p, plan.final))
      }
      const inserted = await insertConversions(t, [...fresh.values()])
      const lost = [...fresh].filter(([, row]) => !inserted.has(row.id)).map(([key]) => key)
      if (lost.length > 0) {
        // Another committer inserted these keys and has committed: decide again against its rows.
        const winners = await lockConversions(
          t,
          lost.map((k) => keyOf.get(k)!),
        )
        const byKey = new Map<string, { index: number; item: PlanItem }[]>()
        items.forEach((item, index) => {
          if (!lost.includes(item.key)) return
          const l = byKey.get(item.key) ?? []
          l.push({ index, item })
          byKey.set(item.key, l)
        })
        const replanned = new Map<string, KeyPlan>()
        for (const key of lost) {
          const row = winners.get(key)
          if (!row) throw new Error('conversion insert conflicted but no row is visible')
          stored.set(key, row)
          fresh.delete(key)
          replanned.set(key, planKey(key, stateOf(row), byKey.get(key) ?? []))
        }
        plans = plans.map((p) => replanned.get(p.key) ?? p)
      }

      const updates: { id: string; next: ConversionState }[] = []
      const events: {
        conversionId: string
        workspaceId: string
        event: KeyPlan['events'][number]['event']
      }[] = []
      for (const plan of plans) {
        const base = stored.get(plan.key) ?? fresh.get(plan.key)
        if (!base) continue
        if (stored.has(plan.key) && plan.events.length > 0) updates.push({ id: base.id, next: plan.final! })
        for (const e of plan.events)
          events.push({ conversionId: base.id, workspaceId: base.workspaceId, event: e.event })
      }
      await updateConversions(t, updates)
      // Before the events take IDs: a sync claim must not pass an ID still uncommitted.
      if (events.length > 0) await lockOutboxShared(t)
      const eventIds = await insertConversionEvents(t, events)

      const changes: AcceptedConversionChange[] = []
      for (const plan of plans) {
        const base = stored.get(plan.key) ?? fresh.get(plan.key)
        for (const { index, decision } of plan.decisions) {
          const { p } = postbacks[index]!
          const conversionId =
            base && (decision.outcome === 'accepted' || decision.outcome === 'duplicate')
              ? base.id
              : undefined
          const ev = plan.events.find((x) => x.index === index)
          let change: AcceptedConversionChange | undefined
          if (ev && base) {
            change = {
              workspaceId: base.workspaceId,
              conversionId: base.id,
              eventId: eventIds.get(`${base.id}|${ev.event.seq}`)!,
              event: ev.event,
              conversion: withState(base, ev.after),
            }
            changes.push(change)
          }
          p.log.outcome = decision.outcome
          p.log.httpStatus = OUTCOME_HTTP_STATUS[decision.outcome]
          p.log.reason = decision.reason.slice(0, 500)
          p.log.conversionId = conversionId ?? null
          out[postbacks[index]!.index] = {
            outcome: decision.outcome,
            reason: decision.reason,
            ...(conversionId ? { conversionId } : {}),
            ...(change ? { change } : {}),
          }
        }
      }
      changes.sort((a, b) => a.eventId - b.eventId)
      if (changes.length > 0 && opts.outbox) enqueued = await opts.outbox.write(t, changes)
      await insertPostbackLogs(
        t,
        batch.map((e) => (e.kind === 'log' ? e.row : e.p.log)),
      )
    })
    return { out, enqueued }
  }

  function admit(e: Entry): boolean {
    if (queue.length >= maxQueue) {
      stats.overloaded++
      return false
    }
    queue.push(e)
    schedule()
    return true
  }

  return {
    apply(p) {
      let entry!: Entry
      const promise = new Promise<AppliedPostback>((resolve, reject) => {
        entry = {
          kind: 'postback',
          key: conversionKeyOf(p.net.id, p.postback.clickId, p.postback.transactionId),
          p,
          resolve,
          reject,
        }
      })
      return admit(entry) ? promise : undefined
    },
    log(row) {
      let entry!: Entry
      const promise = new Promise<void>((resolve, reject) => {
        entry = { kind: 'log', key: '', row, resolve, reject }
      })
      return admit(entry) ? promise : undefined
    },
    drain() {
      if (queue.length === 0 && inFlight === 0) return Promise.resolve()
      return new Promise((resolve) => idle.push(resolve))
    },
    stats: () => ({ ...stats, queued: queue.length }),
  }
}

/** A stored conversion with a state applied (what the batch's UPDATE wrote). */
function withState(row: ConversionRow, s: ConversionState): ConversionRow {
  return {
    ...row,
    status: s.status,
    seenStatuses: [...s.seenStatuses],
    payoutMicros: s.payoutMicros,
    revenueMicros: s.revenueMicros,
    version: s.version,
    updatedAt: new Date(s.updatedAt),
  }
}

/**
 * The row of a conversion created by `p`, holding the batch's final state `s` (later
 * postbacks of the same batch may have moved it on). Click fields are copied from the click;
 * the click's sub value wins, a postback value fills a sub the click did not carry.
 */
function newConversionRow(id: string, p: PostbackToApply, s: ConversionState): ConversionRow {
  const { net, postback: pb, click } = p
  const subs = Object.fromEntries(
    SUB_KEYS.map((k) => [k, click[k] !== '' ? click[k] : (pb.subs[k] ?? '')]),
  ) as Record<SubKey, string>
  return {
    id,
    workspaceId: net.workspaceId,
    networkId: net.id,
    clickId: pb.clickId,
    transactionId: pb.transactionId,
    status: s.status,
    seenStatuses: [...s.seenStatuses],
    payoutMicros: s.payoutMicros,
    revenueMicros: s.revenueMicros,
    currency: s.currency,
    version: s.version,
    campaignId: click.campaign_id,
    streamId: click.stream_id,
    destinationId: click.destination_id,
    sourceId: click.source_id,
    country: click.country,
    device: click.device,
    os: click.os,
    browser: click.browser,
    landerId: click.lander_id,
    osVersion: click.os_version,
    externalId: click.external_id,
    costMicros: click.cost_micros,
    clickTs: new Date(click.ts),
    ...subs,
    createdAt: new Date(s.createdAt),
    updatedAt: new Date(s.updatedAt),
  }
}
