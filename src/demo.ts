/**
 * `npm run demo`: the platform plus a TrafficStars simulator whose day runs fast — one
 * simulated minute per real second (`DEMO_MINUTE_MS`) — so the autopilot can be watched
 * driving the sample campaign through a day in the admin UI (Autopilot page) and its audit log.
 *
 * What it sets up (idempotent, in the first admin's workspace):
 * - total click caps on the sample destinations that have none (A 12,000, B 8,000, C 5,000,
 *   D 6,000 — the "remaining clicks" the autopilot reads);
 * - the account "[Demo] TrafficStars simulator" pointing at the simulator (re-pointed at
 *   each start, the simulator's port changes);
 * - an autopilot entry for the sample campaign on simulator campaign 1001 ($2 per 1,000
 *   clicks, daily budget $20), **disabled**: enable it on the Autopilot page.
 *
 * Every simulated minute the driver advances the simulator, ticks the autopilot on the
 * simulator's clock and sends the clicks TrafficStars sold in that minute to `/c/sample` as
 * real requests (desktop and mobile user agents), so the router's remaining clicks fall.
 *
 * Billing: a payments simulator plays Stripe, Revolut and Wise. The orders' payment links
 * (Billing → Buy credits) open its pay page, whose Pay button sends the provider's signed
 * webhook to this server. At start the demo buys €500 of visit credits for the first
 * admin's workspace through it (once per data directory), so the Billing page shows a
 * balance, a paid order and its transaction.
 */
import { and, eq, isNull, sql } from 'drizzle-orm'
import type { AppConfig } from './config.ts'
import {
  autopilotAccounts,
  autopilotCampaigns,
  createSecretBox,
  DEFAULT_SETTINGS,
  initialState,
  loadSecretKey,
} from './modules/autopilot/index.ts'
import { campaigns, destinations, SAMPLE_ALIAS } from './modules/routing/index.ts'
import { rowsOf } from './platform/db/client.ts'
import { bumpConfigVersion } from './platform/db/config-version.ts'
import type { Logger } from './platform/logger.ts'
import { type RunningServer, startServer } from './server.ts'
import { type PaymentsSimulator, startPaymentsSimulator } from './simulators/payments/payments.simulator.ts'
import {
  startTrafficStarsSimulator,
  type TrafficStarsSimulator,
} from './simulators/trafficstars/trafficstars.simulator.ts'

const DEMO_KEY = 'demo-trafficstars-key-0001'
const DEMO_STRIPE_SECRET = 'whsec_demo_payments_simulator'
const DEMO_REVOLUT_SECRET = 'demo-revolut-signing-secret'
/** The demo purchase: €500 (0.40 per 1,000 visits → 1,250,000 visits). */
const DEMO_PURCHASE_MINOR = 50_000
const TS_ID = 1001
const USD = 1_000_000
const CAPS: Record<string, number> = { A: 12_000, B: 8_000, C: 5_000, D: 6_000 }
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
]

export interface Demo {
  server: RunningServer
  sim: TrafficStarsSimulator
  payments: PaymentsSimulator
  /** The demo purchase's order reference, when it was made at this start. */
  purchase?: { reference: string; visits: number }
  stop(): Promise<void>
}

/** Starts the server, the simulator and the fast-clock driver. `minuteMs`: real ms per simulated minute. */
export async function startDemo(
  config: AppConfig,
  opts: { logger: Logger; minuteMs: number },
): Promise<Demo> {
  const dayStart = Math.floor(Date.now() / 86_400_000) * 86_400_000
  const sim = await startTrafficStarsSimulator({
    refreshTokens: [DEMO_KEY],
    startAt: dayStart,
    clicksPerMinute: 60,
    campaigns: [
      { id: TS_ID, name: '[Demo] TrafficStars campaign', priceMicros: 2 * USD, maxDailyMicros: 20 * USD },
    ],
  })
  // The server's port is known only once it listens: the webhook target is set after.
  const payments = await startPaymentsSimulator({
    target: 'http://127.0.0.1:9/api/v1/webhooks',
    stripeSecret: DEMO_STRIPE_SECRET,
    revolutSecret: DEMO_REVOLUT_SECRET,
  })
  // The autopilot talks to the simulator on 127.0.0.1: private targets are allowed here.
  const server = await startServer(
    {
      ...config,
      AUTOPILOT_ALLOW_PRIVATE: true,
      BILLING_STRIPE_LINK: payments.links.stripe,
      BILLING_REVOLUT_LINK: payments.links.revolut,
      BILLING_WISE_LINK: payments.links.wise,
      STRIPE_WEBHOOK_SECRET: [DEMO_STRIPE_SECRET],
      REVOLUT_WEBHOOK_SECRET: [DEMO_REVOLUT_SECRET],
      BILLING_WISE_PUBLIC_KEY: payments.wisePublicKeyPem,
    },
    {
      logger: opts.logger,
      autopilotClock: sim.clock,
      autopilotSchedule: false,
    },
  )
  payments.setTarget(`${server.url}/api/v1/webhooks`)
  await seedDemo(server, config, sim.url)
  const purchase = await demoPurchase(server, payments, opts.logger)

  let sent = 0
  let busy = false
  const timer = setInterval(() => {
    if (busy) return // a slow minute is skipped, not queued
    busy = true
    void (async () => {
      try {
        sim.advance(60_000)
        await server.autopilot.tickAll()
        const clicks = Math.floor([...sim.campaigns.get(TS_ID)!.clicks.values()].reduce((a, b) => a + b, 0))
        const batch = Math.min(clicks - sent, 500)
        sent += Math.max(0, batch)
        await Promise.all(
          Array.from({ length: batch }, (_, i) =>
            fetch(`${server.url}/c/${SAMPLE_ALIAS}?sub1=demo`, {
              redirect: 'manual',
              headers: { 'user-agent': AGENTS[i % AGENTS.length]!, 'x-traffoflex-demo': '1' },
            }).then((r) => r.body?.cancel()),
          ),
        )
      } catch (err) {
        opts.logger.warn({ err }, 'demo minute failed')
      } finally {
        busy = false
      }
    })()
  }, opts.minuteMs)

  return {
    server,
    sim,
    payments,
    ...(purchase ? { purchase } : {}),
    async stop() {
      clearInterval(timer)
      await server.close()
      await sim.stop()
      await payments.stop()
    },
  }
}

/**
 * Buys €500 of visit credits for the first admin's workspace through the payments simulator
 * (a Stripe Checkout payment: its two signed webhooks credit the order once). Skipped when
 * that workspace already has a paid order (a restarted demo).
 */
async function demoPurchase(
  server: RunningServer,
  payments: PaymentsSimulator,
  logger: Logger,
): Promise<{ reference: string; visits: number } | undefined> {
  const db = server.db.db
  const [admin] = rowsOf<{ user_id: string; workspace_id: string; email: string }>(
    await db.execute(sql`
      SELECT u.id AS user_id, m.workspace_id, u.email FROM users u
      JOIN workspace_members m ON m.user_id = u.id
      WHERE u.role = 'admin' ORDER BY u.created_at, m.created_at LIMIT 1`),
  )
  if (!admin) return undefined
  const [paid] = rowsOf(
    await db.execute(
      sql`SELECT 1 FROM billing_orders WHERE workspace_id = ${admin.workspace_id} AND status = 'paid' LIMIT 1`,
    ),
  )
  if (paid) return undefined
  const order = await server.billing.createOrder({
    workspaceId: admin.workspace_id,
    userId: admin.user_id,
    amountMinor: DEMO_PURCHASE_MINOR,
  })
  const r = await payments.pay('stripe', {
    reference: order.reference,
    amountMinor: DEMO_PURCHASE_MINOR,
    email: admin.email,
  })
  logger.info(
    { reference: order.reference, visits: order.visits, webhooks: r.statuses },
    'demo purchase paid through the payments simulator',
  )
  return { reference: order.reference, visits: order.visits }
}

async function seedDemo(server: RunningServer, config: AppConfig, simUrl: string): Promise<void> {
  const db = server.db.db
  const [campaign] = await db.select().from(campaigns).where(eq(campaigns.alias, SAMPLE_ALIAS))
  if (!campaign)
    throw new Error('the demo needs the sample campaign: start on an empty DATA_DIR with SEED_SAMPLE=true')
  const ws = campaign.workspaceId
  const box = createSecretBox(loadSecretKey({ secretsKey: config.SECRETS_KEY, dataDir: config.dataDir }))
  await db.transaction(async (tx) => {
    for (const [offer, cap] of Object.entries(CAPS)) {
      await tx
        .update(destinations)
        .set({ totalClickCap: cap, updatedAt: sql`now()` })
        .where(
          and(
            eq(destinations.workspaceId, ws),
            eq(destinations.name, `[Sample] Offer ${offer}`),
            isNull(destinations.totalClickCap),
          ),
        )
    }
    await bumpConfigVersion(tx)
  })
  const name = '[Demo] TrafficStars simulator'
  const [existing] = await db
    .select()
    .from(autopilotAccounts)
    .where(and(eq(autopilotAccounts.workspaceId, ws), eq(autopilotAccounts.name, name)))
  const account = existing
    ? (
        await db
          .update(autopilotAccounts)
          .set({ baseUrl: simUrl, apiKeyCiphertext: box.seal(DEMO_KEY) })
          .where(eq(autopilotAccounts.id, existing.id))
          .returning()
      )[0]!
    : (
        await db
          .insert(autopilotAccounts)
          .values({
            workspaceId: ws,
            name,
            baseUrl: simUrl,
            apiKeyCiphertext: box.seal(DEMO_KEY),
            apiKeyHint: DEMO_KEY.slice(-4),
          })
          .returning()
      )[0]!
  await db
    .insert(autopilotCampaigns)
    .values({
      workspaceId: ws,
      campaignId: campaign.id,
      accountId: account.id,
      tsCampaignId: TS_ID,
      enabled: false,
      settings: { ...DEFAULT_SETTINGS, pricePer1000Micros: 2 * USD },
      state: initialState(Date.now()),
    })
    .onConflictDoNothing()
  // A restarted demo starts a new simulated day: the old state would refer to the old clock.
  await db
    .update(autopilotCampaigns)
    .set({ enabled: false, state: initialState(Date.now()), accountId: account.id })
    .where(eq(autopilotCampaigns.campaignId, campaign.id))
}
