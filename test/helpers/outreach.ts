/**
 * An outreach "world" for tests and the bench: a database (PGlite or PostgreSQL) with a
 * workspace and its owner, the ledger, the Influencers Club and Clay simulators, a loopback
 * SMTP server, an API app listening on loopback (Clay calls back to it; the admin API is
 * reached with the owner's API key), and the outreach runtime on an injected clock — the
 * real clients and adapters throughout.
 */
import { createSecretBox } from '../../src/modules/autopilot/index.ts'
import { createLedgerRepository } from '../../src/modules/billing/index.ts'
import {
  clayEnrichment,
  createOutreachService,
  deriveCallbackKey,
  deriveUnsubscribeKey,
  influencersClubDiscovery,
  type OutreachDeps,
  outreachMailboxes,
  outreachPublicRoutes,
  outreachRoutes,
  ownerNotifier,
  type Plan,
  smtpSenders,
  testImap,
  testSmtp,
} from '../../src/modules/outreach/index.ts'
import { manualClock } from '../../src/platform/clock.ts'
import type { Db } from '../../src/platform/db/client.ts'
import { createLogger } from '../../src/platform/logger.ts'
import { startClaySimulator } from '../../src/simulators/clay/clay.simulator.ts'
import { startInfluencersClubSimulator } from '../../src/simulators/influencers-club/influencers-club.simulator.ts'
import { createWorkspaceWithKey, testApiApp, testConfig } from './auth.ts'
import { startOutreachSmtp } from './outreach-smtp.ts'

const SECRET = Buffer.alloc(32, 7)

/** Options of {@link startOutreachWorld}. */
export interface OutreachWorldOptions {
  start: string | Date
  plans?: Plan[]
  /** Creators per platform in the discovery simulator (default 400). */
  creators?: number
  /** Clay simulator shares (defaults: 0.75 found, no duplicates, no drops). */
  emailShare?: number
  duplicateShare?: number
  dropShare?: number
  enrichWaitMs?: number
  /** How long the SMTP server's `slow` answer waits, ms (default 3,000). */
  smtpSlowMs?: number
}

/** Starts the world (see file comment); `close()` stops everything it started. */
export async function startOutreachWorld(db: Db, opts: OutreachWorldOptions) {
  const clock = manualClock(opts.start)
  const ledger = createLedgerRepository(db, { groupCommit: false })
  const owner = await createWorkspaceWithKey(db)
  const ic = await startInfluencersClubSimulator({
    apiKey: 'ic-key',
    creatorsPerPlatform: opts.creators ?? 400,
    limitPerMinute: 100_000,
  })
  const clay = await startClaySimulator({
    manual: true,
    emailShare: opts.emailShare ?? 0.75,
    duplicateShare: opts.duplicateShare ?? 0,
    dropShare: opts.dropShare ?? 0,
    ratePerSecond: 100_000,
  })
  const smtp = await startOutreachSmtp(opts.smtpSlowMs ? { slowMs: opts.smtpSlowMs } : {})
  const box = createSecretBox(SECRET)
  const logger = createLogger('silent')
  const sender = smtpSenders()
  const config = testConfig()
  let publicUrl = 'http://127.0.0.1'
  const deps: OutreachDeps = {
    db,
    ledger,
    clock,
    logger,
    box,
    plans: opts.plans ?? [{ name: 'starter', dailyLimit: 200 }],
    defaultPlan: (opts.plans ?? [{ name: 'starter' }])[0]!.name,
    discovery: influencersClubDiscovery({ baseUrl: ic.url, apiKey: 'ic-key', limitPerMinute: 100_000 }),
    enrichment: clayEnrichment({ db, webhookUrl: clay.url, lifetimeCap: 1_000_000, ratePerSecond: 100_000 }),
    sender,
    callbackKey: deriveCallbackKey(SECRET),
    unsubscribeKey: deriveUnsubscribeKey(SECRET),
    get publicUrl() {
      return publicUrl
    },
    messageIdDomain: 'outreach.tf.test',
    notify: ownerNotifier({ db, box, sender, logger }),
    enrichWaitMs: opts.enrichWaitMs ?? 30 * 60_000,
    claimTimeoutMs: 10 * 60_000,
    maxPagesPerRun: 20,
  }
  const service = createOutreachService(deps, { sendEveryMs: 0, imap: false })
  const app = await testApiApp(db, {
    config,
    clock,
    plugins: [
      {
        plugin: outreachRoutes({
          db,
          clock,
          box,
          service,
          credits: { db, ledger, plans: deps.plans, defaultPlan: deps.defaultPlan },
          allowPrivate: true,
          testMailbox: async (m) => ({
            smtp: await testSmtp(m.smtp),
            imap: m.imap ? await testImap(m.imap) : null,
          }),
        }),
      },
      { plugin: outreachPublicRoutes({ service, callbackKey: deps.callbackKey }) },
    ],
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const addr = app.server.address() as { port: number }
  publicUrl = `http://127.0.0.1:${addr.port}`
  const [mailbox] = await db
    .insert(outreachMailboxes)
    .values({
      workspaceId: owner.workspaceId,
      name: 'Outreach',
      fromEmail: 'me@brand.test',
      fromName: 'Brand',
      smtpHost: '127.0.0.1',
      smtpPort: smtp.port,
      minGapSeconds: 60,
      dailyCap: 1_000,
    })
    .returning()
  /** The admin API as the workspace owner. */
  const api = (method: string, url: string, body?: unknown) =>
    app.inject({
      method: method as 'GET',
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${owner.apiKey}` },
      ...(body !== undefined && { payload: body as object }),
    })
  return {
    db,
    clock,
    ledger,
    deps,
    service,
    ic,
    clay,
    smtp,
    app,
    api,
    owner,
    mailbox: mailbox!,
    get publicUrl() {
      return publicUrl
    },
    async close() {
      await service.stop()
      await app.close()
      await Promise.all([ic.stop(), clay.stop(), smtp.close()])
    },
  }
}

/** The started world. */
export type OutreachWorld = Awaited<ReturnType<typeof startOutreachWorld>>
