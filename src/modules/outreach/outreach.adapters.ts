/**
 * The real clients behind the outreach ports (`outreach.deps.ts`): Influencers Club behind
 * {@link DiscoveryPort}, Clay behind {@link EnrichmentPort}, SMTP behind {@link SenderPort}. The composition root builds them
 * from the configuration; tests build them against the simulators.
 */
import { count } from 'drizzle-orm'
import type { Db } from '../../platform/db/client.ts'
import type { Logger } from '../../platform/logger.ts'
import { createClayClient, profileUrl } from './clay.client.ts'
import { createInfluencersClubClient } from './influencers-club.client.ts'
import { discoveryRequest } from './influencers-club.filters.core.ts'
import type { DiscoveryPort, EnrichmentPort, SenderPort } from './outreach.deps.ts'
import { createSmtpSender, type SmtpSender } from './outreach.smtp.ts'
import { outreachEnrichments } from './outreach.tables.ts'

/** Creator discovery through the Influencers Club API (`baseUrl`, Bearer `apiKey`). */
export function influencersClubDiscovery(opts: { baseUrl: string; apiKey: string }): DiscoveryPort {
  const client = createInfluencersClubClient({ baseUrl: opts.baseUrl, apiKey: opts.apiKey })
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
  logger?: Pick<Logger, 'warn'>
}): EnrichmentPort {
  let batch = 0
  const client = createClayClient({
    webhookUrl: opts.webhookUrl,
    authToken: opts.authToken,
    lifetimeCap: opts.lifetimeCap,
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
        const r = await client.submit(rows.map((x) => ({ ...x, profile_url: profileUrl(x.platform, x.handle) })))
        const w = r.warning
        return {
          accepted: r.submitted,
          warning: w ? `${w.used} of ${w.cap} lifetime submissions used (${Math.round(w.share * 100)} %)` : undefined,
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
      return r.ok ? { ok: true, response: r.response } : { ok: false, kind: r.kind, response: r.response, suppress: r.suppress }
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
