/**
 * The real clients behind the outreach ports (`outreach.deps.ts`): Influencers Club behind
 * {@link DiscoveryPort}, Clay behind {@link EnrichmentPort}, SMTP behind {@link SenderPort}. The composition root builds them
 * from the configuration; tests build them against the simulators.
 */
import { count, eq } from 'drizzle-orm'
import type { Db } from '../../platform/db/client.ts'
import type { Logger } from '../../platform/logger.ts'
import { createClayClient, profileUrl } from './clay.client.ts'
import { createInfluencersClubClient } from './influencers-club.client.ts'
import { discoveryRequest } from './influencers-club.filters.core.ts'
import type { SecretBox } from '../autopilot/index.ts'
import type { DiscoveryPort, EnrichmentPort, OutreachDeps, SenderPort } from './outreach.deps.ts'
import { ownerEmails } from './outreach.repository.ts'
import { smtpCreds } from './outreach.sender.ts'
import { createSmtpSender, type SmtpSender } from './outreach.smtp.ts'
import { outreachEnrichments, outreachMailboxes } from './outreach.tables.ts'

/** Creator discovery through the Influencers Club API (`baseUrl`, Bearer `apiKey`). */
export function influencersClubDiscovery(opts: {
  baseUrl: string
  apiKey: string
  /** Client-side pacing (default the API's 300 per minute). */
  limitPerMinute?: number
}): DiscoveryPort {
  const client = createInfluencersClubClient({
    baseUrl: opts.baseUrl,
    apiKey: opts.apiKey,
    ...(opts.limitPerMinute && { limitPerMinute: opts.limitPerMinute }),
  })
  return {
    async discover({ criteria, page, limit, excludeHandles }) {
      const r = await client.discover(discoveryRequest(criteria, { page, limit, excludeHandles }))
      return { creators: r.creators, hasMore: r.hasMore }
    },
  }
}

/**
 * Email enrichment through a Clay table webhook. The source's lifetime count is the number of
 * `outreach_enrichments` rows ever written (every row is one submission), minus the batch
 * being submitted (its rows are written first, so that no callback can outrun them).
 */
export function clayEnrichment(opts: {
  db: Db
  webhookUrl: string
  authToken?: string | undefined
  lifetimeCap: number
  /** Rows per second (default Clay's 10). */
  ratePerSecond?: number
  logger?: Pick<Logger, 'warn'>
}): EnrichmentPort {
  let batch = 0
  const client = createClayClient({
    webhookUrl: opts.webhookUrl,
    authToken: opts.authToken,
    lifetimeCap: opts.lifetimeCap,
    ...(opts.ratePerSecond && { ratePerSecond: opts.ratePerSecond }),
    ...(opts.logger && { logger: opts.logger }),
    submittedSoFar: async () => {
      const [r] = await opts.db.select({ n: count() }).from(outreachEnrichments)
      return Math.max(0, Number(r?.n ?? 0) - batch)
    },
  })
  return {
    async submit(rows) {
      batch = rows.length
      try {
        const r = await client.submit(
          rows.map((x) => ({ ...x, profile_url: profileUrl(x.platform, x.handle) })),
        )
        const w = r.warning
        return {
          accepted: r.submitted,
          warning: w
            ? `${w.used} of ${w.cap} lifetime submissions used (${Math.round(w.share * 100)} %)`
            : undefined,
        }
      } finally {
        batch = 0
      }
    },
  }
}

/**
 * SMTP sending behind {@link SenderPort}: one {@link createSmtpSender} per mailbox (one kept
 * connection each), rebuilt when the mailbox's credentials change or on `forget`.
 */
export function smtpSenders(): SenderPort {
  const senders = new Map<string, { key: string; sender: SmtpSender }>()
  return {
    async send(mailboxId, creds, message) {
      const key = JSON.stringify([creds.host, creds.port, creds.secure, creds.user ?? '', creds.pass ?? ''])
      let s = senders.get(mailboxId)
      if (!s || s.key !== key) {
        s?.sender.close()
        s = { key, sender: createSmtpSender(creds) }
        senders.set(mailboxId, s)
      }
      const r = await s.sender.send(message)
      return r.ok
        ? { ok: true, response: r.response }
        : { ok: false, kind: r.kind, response: r.response, suppress: r.suppress }
    },
    forget(mailboxId) {
      senders.get(mailboxId)?.sender.close()
      senders.delete(mailboxId)
    },
    close() {
      for (const s of senders.values()) s.sender.close()
      senders.clear()
    },
  }
}

/**
 * Owner notifications ("campaign completed", a reply arrived): to every owner of the
 * workspace, through the platform's mailer (`SMTP_URL`) when there is one, else through the
 * given mailbox or the workspace's first mailbox. Failures are logged, never thrown: a
 * notice must not undo what it reports.
 */
export function ownerNotifier(opts: {
  db: Db
  box: SecretBox
  sender: SenderPort
  mailer?: { send(msg: { to: string; subject: string; text: string }): Promise<void> } | undefined
  logger: Pick<Logger, 'warn'>
}): OutreachDeps['notify'] {
  return async (workspaceId, mailbox, subject, text) => {
    try {
      const to = await ownerEmails(opts.db, workspaceId)
      if (to.length === 0) return
      if (opts.mailer) {
        for (const t of to) await opts.mailer.send({ to: t, subject, text })
        return
      }
      const mb =
        mailbox ??
        (
          await opts.db
            .select()
            .from(outreachMailboxes)
            .where(eq(outreachMailboxes.workspaceId, workspaceId))
            .limit(1)
        )[0]
      if (!mb) return
      const r = await opts.sender.send(mb.id, smtpCreds(opts, mb), {
        from: { address: mb.fromEmail, name: mb.fromName || 'traffoflex' },
        to,
        subject,
        text,
      })
      if (!r.ok) opts.logger.warn({ workspaceId, response: r.response }, 'outreach owner notice not sent')
    } catch (err) {
      opts.logger.warn(
        { workspaceId, err: err instanceof Error ? err.message : String(err) },
        'outreach owner notice failed',
      )
    }
  }
}
