/**
 * The outreach runtime of one process (README "Runtime"): the minute tick (start due runs,
 * schedule enriched ones, close ended ones, recover stale claims), the send loop, the Clay
 * callback, one-click unsubscribes and one IMAP watcher per mailbox with IMAP settings.
 *
 * Several processes may run it against the same database: runs are unique per campaign and
 * day, an email is claimed by exactly one process (`UPDATE … WHERE status IN (…)`), replies
 * are unique per (workspace, Message-ID). The minute tick is a pg-boss schedule (one job per
 * minute across processes), a run's discovery a job keyed by the run.
 */
import { and, eq, inArray, isNotNull } from 'drizzle-orm'
import { AppError, badRequest } from '../../platform/errors.ts'
import { verifyCallbackToken } from './clay.callback.core.ts'
import type { MailboxRow, OutreachDeps } from './outreach.deps.ts'
import { createImapWatcher, fetchNewOnce } from './outreach.imap.ts'
import { handleIncoming } from './outreach.replies.ts'
import {
  executeRun,
  finishRuns,
  recordEnrichment,
  type RunRow,
  scheduleReadyRuns,
  scheduleRun,
  startDueRuns,
} from './outreach.runs.ts'
import { recoverStaleClaims, sendDue } from './outreach.sender.ts'
import { outreachEmails, outreachMailboxes, outreachSuppressions } from './outreach.tables.ts'
import { maskEmail, readUnsubscribeToken } from './outreach.unsubscribe.core.ts'

/** Options of {@link createOutreachService} besides the shared deps. */
export interface OutreachServiceOptions {
  /**
   * Hands a started run to its discovery job (pg-boss, keyed by the run). Default: runs it in
   * this process right away (tests, replays).
   */
  runStarted?: (run: RunRow) => Promise<void>
  /** Send loop period, ms (default 5,000). 0 = no timer (replays call `sendDue` themselves). */
  sendEveryMs?: number
  /** Whether `start()` opens IMAP watchers (default true). */
  imap?: boolean
  /** IMAP watchdog NOOP period, ms (default 60,000). */
  imapNoopMs?: number
}

/** The outreach runtime. */
export interface OutreachService {
  readonly deps: OutreachDeps
  /** The minute tick: stale claims, due runs, scheduling, closing. Answers the runs started. */
  tick(): Promise<RunRow[]>
  /** Discovery + enrichment of one run (its job's handler); schedules it when nothing is pending. */
  runJob(runId: string): Promise<void>
  /** Starts today's run of one campaign now if due (a new campaign's "Day 1"). */
  startNow(campaignId: string): Promise<void>
  /** Sends the due emails (the send loop). */
  sendDue(): Promise<number>
  /**
   * A Clay callback: verifies the token of the correlation ID, records the first answer.
   * @throws AppError 401 `bad_token` (nothing recorded).
   */
  clayCallback(
    correlationId: string,
    token: string,
    email: string | null,
    body: Record<string, unknown>,
  ): Promise<{ duplicate: boolean }>
  /** One-click unsubscribe: suppresses the address at once, cancels what was waiting. @throws AppError 400 `bad_token`. */
  unsubscribe(token: string): Promise<{ email: string; already: boolean }>
  /** What the unsubscribe page shows. @throws AppError 400 `bad_token`. */
  unsubscribeInfo(token: string): Promise<{ email_masked: string; already: boolean }>
  /** Reads one raw message of a mailbox (IMAP watcher, replays). */
  incoming(mailboxId: string, raw: Buffer | string, pos: { uid: number; uidValidity: number }): Promise<void>
  /**
   * Reads a mailbox's new messages once over IMAP (no watcher: replays, tests) and records
   * the position. Answers how many messages were read.
   */
  pollMailbox(mailboxId: string): Promise<number>
  /** Re-reads mailboxes and (re)starts their IMAP watchers (after a mailbox changed). */
  refreshMailboxes(): Promise<void>
  start(): Promise<void>
  stop(): Promise<void>
}

/** Builds the outreach runtime (see file comment). */
export function createOutreachService(
  deps: OutreachDeps,
  opts: OutreachServiceOptions = {},
): OutreachService {
  const runStarted =
    opts.runStarted ??
    (async (run: RunRow) => {
      await service.runJob(run.id)
    })
  const watchers = new Map<string, { key: string; stop: () => Promise<void> }>()
  let sendTimer: NodeJS.Timeout | undefined
  let sending: Promise<unknown> | undefined
  let stopped = false

  const badToken = () => new AppError(400, 'bad_token', 'this link is not valid')

  const service: OutreachService = {
    deps,
    async tick() {
      await recoverStaleClaims(deps)
      const started = await startDueRuns(deps)
      for (const r of started) await runStarted(r)
      await scheduleReadyRuns(deps)
      await finishRuns(deps)
      return started
    },
    async runJob(runId) {
      const run = await executeRun(deps, runId)
      if (run?.status === 'enriching') await scheduleReadyRuns(deps)
    },
    async startNow(campaignId) {
      const started = await startDueRuns(deps, [campaignId])
      for (const r of started) await runStarted(r)
    },
    sendDue: () => sendDue(deps),
    async clayCallback(correlationId, token, email, body) {
      if (!verifyCallbackToken(deps.callbackKey, correlationId, token))
        throw new AppError(401, 'bad_token', 'callback token does not match the correlation ID')
      const r = await recordEnrichment(deps, correlationId, email, body)
      if (r.runId) await scheduleRun(deps, r.runId)
      return { duplicate: r.duplicate }
    },
    async unsubscribe(token) {
      const t = readUnsubscribeToken(deps.unsubscribeKey, token)
      if (!t) throw badToken()
      const email = t.email.toLowerCase()
      const inserted = await deps.db
        .insert(outreachSuppressions)
        .values({ workspaceId: t.workspaceId, email, reason: 'unsubscribe', detail: 'one-click unsubscribe' })
        .onConflictDoNothing()
        .returning({ email: outreachSuppressions.email })
      await deps.db
        .update(outreachEmails)
        .set({ status: 'suppressed', error: 'unsubscribed' })
        .where(
          and(
            eq(outreachEmails.workspaceId, t.workspaceId),
            eq(outreachEmails.toEmail, email),
            inArray(outreachEmails.status, ['scheduled', 'deferred', 'unpaid', 'expired']),
          ),
        )
      return { email, already: inserted.length === 0 }
    },
    async unsubscribeInfo(token) {
      const t = readUnsubscribeToken(deps.unsubscribeKey, token)
      if (!t) throw badToken()
      const [s] = await deps.db
        .select()
        .from(outreachSuppressions)
        .where(
          and(
            eq(outreachSuppressions.workspaceId, t.workspaceId),
            eq(outreachSuppressions.email, t.email.toLowerCase()),
          ),
        )
      return { email_masked: maskEmail(t.email), already: Boolean(s) }
    },
    async incoming(mailboxId, raw, pos) {
      const [mb] = await deps.db.select().from(outreachMailboxes).where(eq(outreachMailboxes.id, mailboxId))
      if (!mb) throw badRequest('unknown mailbox')
      await handleIncoming(deps, mb, raw, pos)
    },
    async pollMailbox(mailboxId) {
      const [b] = await deps.db.select().from(outreachMailboxes).where(eq(outreachMailboxes.id, mailboxId))
      if (!b?.imapHost) return 0
      const r = await fetchNewOnce(
        imapCreds(b),
        { uidValidity: b.imapUidValidity ?? null, lastUid: b.imapLastUid },
        async (m) => {
          await handleIncoming(deps, b, m.raw, { uid: m.uid, uidValidity: m.uidValidity })
        },
        (p) => savePosition(b.id, p),
      )
      return r.count
    },
    async refreshMailboxes() {
      if (opts.imap === false || stopped) return
      const boxes = await deps.db
        .select()
        .from(outreachMailboxes)
        .where(isNotNull(outreachMailboxes.imapHost))
      const wanted = new Map(boxes.map((b) => [b.id, b]))
      for (const [id, w] of watchers) {
        const b = wanted.get(id)
        if (!b || watcherKey(b) !== w.key) {
          watchers.delete(id)
          await w.stop()
        }
      }
      for (const b of boxes) if (!watchers.has(b.id)) watchers.set(b.id, startWatcher(b))
    },
    async start() {
      stopped = false
      const every = opts.sendEveryMs ?? 5_000
      if (every > 0) {
        const loop = () => {
          sending = service
            .sendDue()
            .catch((err) => deps.logger.error({ err }, 'outreach send loop failed'))
            .finally(() => {
              if (!stopped) sendTimer = setTimeout(loop, every)
            })
        }
        sendTimer = setTimeout(loop, every)
      }
      await service.refreshMailboxes()
    },
    async stop() {
      stopped = true
      clearTimeout(sendTimer)
      await sending
      for (const w of watchers.values()) await w.stop()
      watchers.clear()
      deps.sender.close()
    },
  }

  const watcherKey = (b: MailboxRow) =>
    [b.imapHost, b.imapPort, b.imapSecure, b.imapUser, b.imapPasswordSealed].join('|')

  const imapCreds = (b: MailboxRow) => ({
    host: b.imapHost!,
    port: b.imapPort ?? 993,
    secure: b.imapSecure,
    user: b.imapUser ?? '',
    pass: b.imapPasswordSealed ? deps.box.open(b.imapPasswordSealed) : '',
  })
  const savePosition = async (mailboxId: string, p: { uidValidity: number; lastUid: number }) => {
    await deps.db
      .update(outreachMailboxes)
      .set({ imapUidValidity: p.uidValidity, imapLastUid: p.lastUid, status: 'ok', lastError: null })
      .where(eq(outreachMailboxes.id, mailboxId))
  }

  function startWatcher(b: MailboxRow) {
    const w = createImapWatcher({
      ...imapCreds(b),
      position: { uidValidity: b.imapUidValidity ?? null, lastUid: b.imapLastUid },
      noopIntervalMs: opts.imapNoopMs ?? 60_000,
      logger: deps.logger,
      onMessage: async (m) => {
        await handleIncoming(deps, b, m.raw, { uid: m.uid, uidValidity: m.uidValidity })
      },
      onPosition: (p) => savePosition(b.id, p),
    })
    void w.start().catch((err: unknown) => {
      deps.logger.warn(
        { mailbox: b.id, err: err instanceof Error ? err.message : String(err) },
        'IMAP watcher failed',
      )
    })
    return { key: watcherKey(b), stop: () => w.stop() }
  }

  return service
}
