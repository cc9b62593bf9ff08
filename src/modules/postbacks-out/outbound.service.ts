/**
 * The imperative shell of outbound postbacks.
 *
 * 1. **Outbox** ({@link OutboundPostbacks.outbox}, plugged into the conversions service):
 *    inside the transaction of an accepted conversion change, render the source's template,
 *    insert the `outbound_postbacks` row (unique per conversion event) and send the first
 *    delivery job through pg-boss *in the same transaction*. Commit → both exist; rollback →
 *    neither. After the commit the local worker is woken.
 * 2. **Delivery** (job `outbound-postback-deliver`, one job per attempt): claim the attempt
 *    (lease), GET the URL through the SSRF guard, classify, then in one transaction record the
 *    attempt, move the state and — when another attempt is due — enqueue its job with
 *    `startAfter`. A stale or duplicate job finds nothing to claim and does nothing.
 * 3. **Dead letter** (job `outbound-postback-dead`): a delivery job whose handler kept
 *    failing (database errors, not HTTP outcomes) lands here and marks the row `dead`.
 * 4. **Sweep** (scheduled job, every minute): pending rows overdue by more than the grace
 *    period and not leased get their job again (a job lost to archiving, manual cleanup …).
 * 5. **Manual retry**: a `failed`/`dead` row starts a new round (re-rendered from the
 *    source's current template), its first job enqueued in the same transaction.
 *
 * Delivery is at least once: a process that dies after the target answered 2xx but before
 * the result was recorded lets the lease expire and the attempt runs again.
 */
import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { type Clock, systemClock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/client.ts'
import { conflict } from '../../platform/errors.ts'
import type { AppJobHandlers, Jobs } from '../../platform/jobs/jobs.ts'
import type { JOB_CATALOG } from '../../platform/jobs/jobs.catalog.ts'
import type { Logger } from '../../platform/logger.ts'
import {
  FetchTimeoutError,
  type GuardedFetchInit,
  guardedFetch,
  SsrfBlockedError,
} from '../../platform/net/ssrf.ts'
import type { AcceptedConversionChange, ConversionOutbox } from '../conversions/index.ts'
import {
  type AttemptVerdict,
  classifyFailure,
  classifyStatus,
  DEFAULT_RETRY_POLICY,
  type FailureKind,
  nextState,
  type OutboundChange,
  type OutboundMacroValues,
  outboundMacroValues,
  type RetryPolicy,
  redactUrl,
  renderOutboundUrl,
} from './outbound.core.ts'
import {
  claimAttempt,
  insertOutbound,
  loadSourcePostbackUrls,
  loadSourceTemplate,
  lockOutbound,
  markDead,
  type OutboundRow,
  overduePending,
  recordAttempt,
  startRound,
} from './outbound.repository.ts'

/** Queue names used by this module. */
export const DELIVER_JOB = 'outbound-postback-deliver'
export const DEAD_JOB = 'outbound-postback-dead'
export const SWEEP_JOB = 'outbound-postback-sweep'

/** `User-Agent` of every outbound postback request. */
export const OUTBOUND_USER_AGENT = 'traffoflex-postback/1'

/** The jobs surface this module needs. */
export type OutboundJobs = Pick<Jobs<typeof JOB_CATALOG>, 'enqueue' | 'register' | 'kick'>

/** Dependencies and options of {@link createOutboundPostbacks}. */
export interface OutboundPostbacksDeps {
  db: Db
  jobs: OutboundJobs
  /** Allow private/loopback targets (`OUTBOUND_ALLOW_PRIVATE`). */
  allowPrivate: boolean
  clock?: Clock
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>
  /** Retry schedule (default {@link DEFAULT_RETRY_POLICY}: 12 attempts over 24 h). */
  policy?: RetryPolicy
  /** Deadline of one attempt including redirects, ms (default 10,000). */
  timeoutMs?: number
  /** Redirects followed per attempt, each through the SSRF guard again (default 3). */
  maxRedirects?: number
  /** Lease of an attempt in flight, ms (default 60,000; must exceed `timeoutMs`). */
  leaseMs?: number
  /** A pending row is re-enqueued by the sweep when overdue by more than this, ms (default 120,000). */
  sweepGraceMs?: number
  /** Host name resolver for the SSRF guard (tests). */
  resolve?: GuardedFetchInit['resolve']
}

/** Counters of this process. */
export interface OutboundStats {
  enqueued: number
  attempts: number
  delivered: number
  retried: number
  failed: number
  dead: number
  /** Jobs that found nothing to claim (duplicate, stale or already done). */
  stale: number
  leaseLost: number
  swept: number
}

/** Outbound postbacks: outbox hook, job handlers, manual retry. */
export interface OutboundPostbacks {
  /** Plug into `createConversionsService({ outbox })`. */
  readonly outbox: ConversionOutbox
  /** The delivery, dead-letter and sweep handlers, for `jobs.registerAll`. */
  jobHandlers(): Pick<AppJobHandlers, typeof DELIVER_JOB | typeof DEAD_JOB | typeof SWEEP_JOB>
  /** Registers {@link jobHandlers} on the jobs runtime (once; a runtime without the other jobs). */
  registerJobs(): void
  /** One delivery attempt (the `outbound-postback-deliver` handler). */
  deliver(
    p: { outbound_id: string; generation: number; attempt: number },
    signal?: AbortSignal,
  ): Promise<void>
  /** Re-enqueues overdue pending rows. @returns how many were re-enqueued. */
  sweep(slot?: number): Promise<number>
  /**
   * Manual retry of a `failed` or `dead` row of `workspaceId`: a new round of attempts with
   * the URL re-rendered from the source's current template. A `pending` row is returned
   * unchanged (idempotent).
   * @throws AppError 404 not in the workspace; 409 already delivered, or no valid URL.
   */
  retry(workspaceId: string, id: string): Promise<OutboundRow>
  stats(): OutboundStats
}

/** The idempotency key of the job of attempt `attempt` of round `generation` of a conversion event. */
export function deliverKey(conversionEventId: number, generation: number, attempt: number): string {
  return `outbound:${conversionEventId}:${generation}:${attempt}`
}

/** Macro input of an accepted conversion change. */
export function changeOf(c: AcceptedConversionChange): OutboundChange {
  const r = c.conversion
  return {
    conversionId: c.conversionId,
    clickId: r.clickId,
    externalId: r.externalId,
    transactionId: r.transactionId,
    campaignId: r.campaignId,
    streamId: r.streamId,
    destinationId: r.destinationId,
    country: r.country,
    device: r.device,
    status: c.event.status,
    payoutMicros: c.event.payoutMicros,
    revenueMicros: r.revenueMicros,
    currency: r.currency,
    subs: {
      sub1: r.sub1,
      sub2: r.sub2,
      sub3: r.sub3,
      sub4: r.sub4,
      sub5: r.sub5,
      sub6: r.sub6,
      sub7: r.sub7,
      sub8: r.sub8,
      sub9: r.sub9,
      sub10: r.sub10,
    },
  }
}

const INVALID_TEMPLATE = "the source's postback URL is not an absolute http(s) URL with a literal host"

/** One attempt's HTTP result. */
interface SendResult {
  verdict: AttemptVerdict
  statusCode: number | null
  error: string
  /** The last URL requested (after redirects). */
  url: string
  latencyMs: number
}

/** Creates the outbound postbacks service (nothing runs until the jobs runtime starts its workers). */
export function createOutboundPostbacks(deps: OutboundPostbacksDeps): OutboundPostbacks {
  const { db, jobs } = deps
  const clock = deps.clock ?? systemClock
  const policy = deps.policy ?? DEFAULT_RETRY_POLICY
  const timeoutMs = deps.timeoutMs ?? 10_000
  const maxRedirects = deps.maxRedirects ?? 3
  const leaseMs = deps.leaseMs ?? 60_000
  const graceMs = deps.sweepGraceMs ?? 120_000
  const log = deps.logger
  const stats: OutboundStats = {
    enqueued: 0,
    attempts: 0,
    delivered: 0,
    retried: 0,
    failed: 0,
    dead: 0,
    stale: 0,
    leaseLost: 0,
    swept: 0,
  }
  let registered = false

  const outbox: ConversionOutbox = {
    async write(tx, changes) {
      // One lookup of the sources' templates for the whole batch of accepted changes.
      const urls = await loadSourcePostbackUrls(
        tx,
        changes
          .filter((c) => c.conversion.sourceId !== '')
          .map((c) => ({ workspaceId: c.workspaceId, sourceId: c.conversion.sourceId })),
      )
      let enqueued = false
      for (const change of changes) {
        const template = urls.get(`${change.workspaceId}|${change.conversion.sourceId.toLowerCase()}`)
        if (!template) continue
        const macros = outboundMacroValues(changeOf(change))
        const url = renderOutboundUrl(template, macros)
        const now = clock.now()
        const id = randomUUID()
        const inserted = await insertOutbound(tx, {
          id,
          workspaceId: change.workspaceId,
          conversionId: change.conversionId,
          conversionEventId: change.eventId,
          sourceId: change.conversion.sourceId.toLowerCase(),
          status: change.event.status,
          url,
          macros,
          // An unusable template is recorded (visible in the dead-letter list), never sent.
          state: url ? 'pending' : 'failed',
          nextAttemptAt: url ? now : null,
          lastError: url ? '' : INVALID_TEMPLATE,
          createdAt: now,
          updatedAt: now,
        })
        if (!inserted || !url) continue
        await jobs.enqueue(
          DELIVER_JOB,
          { outbound_id: id, generation: 0, attempt: 1 },
          { key: deliverKey(change.eventId, 0, 1), tx },
        )
        stats.enqueued++
        enqueued = true
      }
      return enqueued
    },
    committed() {
      jobs.kick(DELIVER_JOB)
    },
  }

  async function send(url: string, signal?: AbortSignal): Promise<SendResult> {
    const started = performance.now()
    const elapsed = () => performance.now() - started
    let current = url
    for (let hop = 0; ; hop++) {
      const remaining = Math.floor(timeoutMs - elapsed())
      if (remaining <= 0) return failure('timeout', `timeout after ${timeoutMs} ms`, current, elapsed())
      try {
        const r = await guardedFetch(current, {
          timeoutMs: remaining,
          allowPrivate: deps.allowPrivate,
          maxBodyBytes: 512,
          headers: { 'user-agent': OUTBOUND_USER_AGENT, accept: '*/*' },
          ...(signal ? { signal } : {}),
          ...(deps.resolve ? { resolve: deps.resolve } : {}),
        })
        const location = r.headers.location
        if (r.status >= 300 && r.status <= 399 && location && hop < maxRedirects) {
          try {
            current = new URL(location, current).href
          } catch {
            return failure('invalid_url', `HTTP ${r.status} with an invalid Location`, current, elapsed())
          }
          continue
        }
        const verdict = classifyStatus(r.status)
        const snippet = printable(r.body.toString('utf8')).slice(0, 200)
        const error =
          verdict === 'delivered'
            ? ''
            : r.status >= 300 && r.status <= 399
              ? `HTTP ${r.status}: ${location ? `more than ${maxRedirects} redirects` : 'redirect without Location'}`
              : `HTTP ${r.status}${snippet ? `: ${snippet}` : ''}`
        return { verdict, statusCode: r.status, error, url: current, latencyMs: elapsed() }
      } catch (err) {
        const kind: FailureKind =
          err instanceof SsrfBlockedError
            ? 'blocked'
            : err instanceof FetchTimeoutError
              ? 'timeout'
              : err instanceof TypeError && (err as { code?: string }).code === 'ERR_INVALID_URL'
                ? 'invalid_url'
                : 'network'
        const message = err instanceof Error ? err.message : String(err)
        return failure(kind, message, current, elapsed())
      }
    }
  }

  function failure(kind: FailureKind, message: string, url: string, latencyMs: number): SendResult {
    return { verdict: classifyFailure(kind), statusCode: null, error: `${kind}: ${message}`, url, latencyMs }
  }

  async function deliver(
    p: { outbound_id: string; generation: number; attempt: number },
    signal?: AbortSignal,
  ) {
    const startedAt = clock.now()
    const token = randomUUID()
    const row = await claimAttempt(db, {
      id: p.outbound_id,
      generation: p.generation,
      attempt: p.attempt,
      now: startedAt,
      leaseUntil: new Date(startedAt.getTime() + leaseMs),
      token,
    })
    if (!row) {
      stats.stale++
      return
    }
    stats.attempts++
    const res = await send(row.url, signal)
    const n = nextState(policy, p.attempt, res.verdict)
    const now = clock.now()
    const next =
      n.state === 'pending'
        ? ({ state: 'pending', at: new Date(now.getTime() + n.delayMs) } as const)
        : ({ state: n.state } as const)
    const written = await db.transaction(async (tx) => {
      const ok = await recordAttempt(tx, {
        row,
        token,
        url: redactUrl(res.url),
        statusCode: res.statusCode,
        error: res.error,
        latencyMs: res.latencyMs,
        startedAt,
        now,
        next,
      })
      if (ok && next.state === 'pending') {
        await jobs.enqueue(
          DELIVER_JOB,
          { outbound_id: row.id, generation: row.generation, attempt: p.attempt + 1 },
          { key: deliverKey(row.conversionEventId, row.generation, p.attempt + 1), startAfter: next.at, tx },
        )
      }
      return ok
    })
    if (!written) {
      stats.leaseLost++
      log?.warn({ outbound: row.id, attempt: p.attempt }, 'outbound postback lease lost; result not recorded')
      return
    }
    if (next.state === 'pending') stats.retried++
    else stats[next.state]++
  }

  async function sweep(slot = 0): Promise<number> {
    const now = clock.now()
    const rows = await overduePending(db, { before: new Date(now.getTime() - graceMs), now, limit: 500 })
    let n = 0
    for (const r of rows) {
      // An expired lease: that attempt never finished, run it again; otherwise the next one.
      const attempt = r.lockedUntil ? r.attempts : r.attempts + 1
      const id = await jobs.enqueue(
        DELIVER_JOB,
        { outbound_id: r.id, generation: r.generation, attempt },
        { key: `${deliverKey(r.conversionEventId, r.generation, attempt)}:sweep:${slot}` },
      )
      if (id) n++
    }
    if (n > 0) {
      stats.swept += n
      jobs.kick(DELIVER_JOB)
      log?.info({ count: n }, 'outbound postbacks re-enqueued by the sweep')
    }
    return n
  }

  async function retry(workspaceId: string, id: string): Promise<OutboundRow> {
    const out = await db.transaction(async (tx) => {
      const cur = await lockOutbound(tx, workspaceId, id)
      if (cur.state === 'pending') return { row: cur, started: false }
      if (cur.state === 'delivered') throw conflict('already delivered')
      const src = cur.sourceId ? await loadSourceTemplate(tx, workspaceId, cur.sourceId) : undefined
      // The source's current template wins (a corrected URL); without one, resend as before.
      const url = src?.postbackUrl
        ? renderOutboundUrl(src.postbackUrl, cur.macros as OutboundMacroValues)
        : cur.url
      if (!url) throw conflict(INVALID_TEMPLATE)
      const row = await startRound(tx, cur, url, clock.now())
      await jobs.enqueue(
        DELIVER_JOB,
        { outbound_id: row.id, generation: row.generation, attempt: 1 },
        { key: deliverKey(row.conversionEventId, row.generation, 1), tx },
      )
      return { row, started: true }
    })
    if (out.started) jobs.kick(DELIVER_JOB)
    return out.row
  }

  function jobHandlers(): Pick<AppJobHandlers, typeof DELIVER_JOB | typeof DEAD_JOB | typeof SWEEP_JOB> {
    return {
      [DELIVER_JOB]: (p, ctx) => deliver(p, ctx.signal),
      [DEAD_JOB]: async (p) => {
        const changed = await markDead(db, {
          id: p.outbound_id,
          generation: p.generation,
          error: `delivery job of attempt ${p.attempt} kept failing (see the logs); retry manually`,
          now: clock.now(),
        })
        if (changed) stats.dead++
      },
      [SWEEP_JOB]: async (p) => {
        await sweep(p.slot)
      },
    }
  }

  return {
    outbox,
    jobHandlers,
    registerJobs() {
      if (registered) return
      registered = true
      const h = jobHandlers()
      jobs.register(DELIVER_JOB, h[DELIVER_JOB])
      jobs.register(DEAD_JOB, h[DEAD_JOB])
      jobs.register(SWEEP_JOB, h[SWEEP_JOB])
    },
    deliver,
    sweep,
    retry,
    stats: () => ({ ...stats }),
  }
}

/** Keeps printable characters of a response snippet (no control characters in logs). */
function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim()
}
