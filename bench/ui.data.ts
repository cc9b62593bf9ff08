/**
 * The sample data set of bench:ui: a workspace configured through the admin API of a running
 * server, then filled through the real ingestion paths while the server is stopped:
 *
 * - clicks through the click pipeline (`createPipeline` → spool → batched inserts into
 *   chDB, whose materialized views fill the report rollups), spread over the last 30 days;
 * - conversions through the conversions service's `handlePostback` (the function behind
 *   `GET /postback`: network, secret, template parsing, click lookup in the recent-clicks
 *   cache or ClickHouse, one PostgreSQL transaction, postback log) on a manual clock set to
 *   each conversion's time, then its outbox sync into ClickHouse.
 *
 * The server cannot be running meanwhile: PGlite, chDB and the spool are single-process.
 * Deterministic (seeded PRNG), except click IDs, which are random like the hot path's.
 */
import { randomBytes } from 'node:crypto'
import { loadConfig } from '../src/config.ts'
import { type ClickEvent, createPipeline } from '../src/modules/analytics/index.ts'
import { createConversionsService } from '../src/modules/conversions/index.ts'
import { newClickId } from '../src/modules/routing/core/click-id.ts'
import { openClickHouseFromConfig } from '../src/platform/clickhouse.ts'
import { click as clickEvent } from '../test/analytics.helpers.ts'
import { manualClock } from '../src/platform/clock.ts'
import { openDb } from '../src/platform/db/client.ts'
import { createLogger } from '../src/platform/logger.ts'
import { testRecentClicks } from '../test/helpers/recent-clicks.ts'

const DAY = 86_400_000
const COUNTRIES = ['US', 'DE', 'GB', 'FR', 'IN', 'BR', 'CA', 'AU', 'ES', 'IT', 'NL', 'PL', 'MX', 'JP', 'TR']
const DEVICES = ['mobile', 'mobile', 'mobile', 'desktop', 'desktop', 'tablet']
const OSES = ['Android', 'iOS', 'Windows', 'macOS', 'Linux']
const BROWSERS = ['Chrome', 'Safari', 'Firefox', 'Edge', 'Samsung Internet']
const NETWORK_SECRET = 'bench-secret'

/** One campaign of the configured workspace, with what its clicks need. */
interface BenchCampaign {
  id: string
  /** Country stream (the campaign's three countries) → destination. */
  countryStream: { id: string; destinationId: string; countries: string[] }
  /** Default stream → destination. */
  defaultStream: { id: string; destinationId: string }
  source: { id: string; costMicros: number }
}

/** The workspace bench:ui reads. */
export interface BenchWorkspace {
  workspaceId: string
  campaigns: BenchCampaign[]
  /** destination ID → network ID (for the postbacks). */
  networkOf: Map<string, string>
  /** destination ID → payout in currency units. */
  payoutOf: Map<string, number>
}

/** Mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Creates, through the admin API of the server at `url` (session `cookie`), 5 traffic
 * sources with CPC costs, 2 affiliate networks with a secret, and `campaigns` campaigns of
 * two streams (three countries → one destination, default → another) over 2 destinations
 * each.
 * @throws Error naming the call when an API answer is not 2xx.
 */
export async function configureWorkspace(
  url: string,
  cookie: string,
  campaigns: number,
): Promise<BenchWorkspace> {
  const headers = { cookie, 'content-type': 'application/json', 'x-requested-with': 'traffoflex' }
  const call = async <T>(method: string, p: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}/api/v1${p}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`)
    return (await res.json()) as T
  }
  const post = (p: string, body: unknown) => call<{ id: string }>('POST', p, body)
  const me = await call<{ workspace: { id: string } }>('GET', '/auth/me')

  const sources: { id: string; costMicros: number }[] = []
  for (const [i, name] of ['PropellerAds', 'TrafficStars', 'ExoClick', 'PushHouse', 'RichAds'].entries()) {
    const costMicros = 20_000 + i * 5_000
    const s = await post('/sources', { name, cost_model: 'cpc', default_cost_micros: costMicros })
    sources.push({ id: s.id, costMicros })
  }
  const networks: string[] = []
  for (const name of ['MaxBounty', 'ClickDealer']) {
    networks.push((await post('/networks', { name, postback_secret: NETWORK_SECRET })).id)
  }
  const ws: BenchWorkspace = {
    workspaceId: me.workspace.id,
    campaigns: [],
    networkOf: new Map(),
    payoutOf: new Map(),
  }
  for (let c = 0; c < campaigns; c++) {
    const dest = async (suffix: string, k: number) => {
      const networkId = networks[(c + k) % networks.length]!
      const payoutCents = 150 + ((c * 7 + k * 3) % 12) * 50
      const d = await post('/destinations', {
        name: `Offer ${c + 1}${suffix}`,
        url: `https://offer${c + 1}.example/landing?click_id={click_id}&sub1={sub1}&country={country}`,
        network_id: networkId,
        payout_cents: payoutCents,
      })
      ws.networkOf.set(d.id, networkId)
      ws.payoutOf.set(d.id, payoutCents / 100)
      return d.id
    }
    const countries = [0, 1, 2].map((k) => COUNTRIES[(c * 3 + k) % COUNTRIES.length]!)
    const source = sources[c % sources.length]!
    const campaign = await post('/campaigns', {
      name: `Campaign ${String(c + 1).padStart(2, '0')} ${countries.join('/')}`,
      alias: `bench-${c + 1}`,
      source_id: source.id,
    })
    const geoDest = await dest(` ${countries[0]}`, 0)
    const worldDest = await dest(' World', 1)
    const geo = await post('/streams', {
      campaign_id: campaign.id,
      name: `${countries.join(', ')}`,
      conditions: {
        join: 'and',
        groups: [{ join: 'and', rules: [{ type: 'country', op: 'is', values: countries }] }],
      },
      destinations: [{ destination_id: geoDest }],
    })
    const world = await post('/streams', {
      campaign_id: campaign.id,
      name: 'Everyone else',
      kind: 'default',
      destinations: [{ destination_id: worldDest }],
    })
    ws.campaigns.push({
      id: campaign.id,
      countryStream: { id: geo.id, destinationId: geoDest, countries },
      defaultStream: { id: world.id, destinationId: worldDest },
      source,
    })
  }
  return ws
}

/** What {@link loadSampleData} stored, and how long each part took. */
export interface LoadResult {
  clicks: number
  conversions: number
  postbackOutcomes: Record<string, number>
  seconds: { clicks: number; conversions: number }
}

/**
 * Fills `dataDir` (server stopped) with `clicks` clicks over the 30 days before `nowMs`
 * and about `conversions` conversions, through the click pipeline and the postback handler.
 * Campaign popularity is Zipf-like; 80 % of a campaign's clicks come from its three
 * countries; 3 % bots, 70 % unique; 75 % of conversions are sales, the rest leads.
 * @throws Error when a postback is not accepted or the pipeline reports an error.
 */
export async function loadSampleData(
  dataDir: string,
  ws: BenchWorkspace,
  opts: { clicks: number; conversions: number; nowMs: number },
): Promise<LoadResult> {
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' })
  const logger = createLogger('warn')
  const db = await openDb({ pgDir: config.pgDir })
  const clickhouse = await openClickHouseFromConfig(config)
  const pipeline = createPipeline({
    handle: clickhouse,
    spoolDir: config.spoolDir,
    queueMax: 200_000,
    batchSize: 50_000,
    flushMs: 200,
    logger,
    fsync: false,
  })
  // The conversions below find their clicks in memory instead of one ClickHouse lookup each
  // (the server finds a click in the pipeline's queue only until it is inserted).
  const recentClicks = testRecentClicks()
  const spool = {
    pushMany(events: ClickEvent[]) {
      for (const e of events) recentClicks.remember(e)
      return pipeline.pushMany(events)
    },
  }
  try {
    const rand = prng(42)
    const weights = ws.campaigns.map((_, i) => 1 / (i + 1))
    const total = weights.reduce((a, b) => a + b, 0)
    const pickCampaign = () => {
      let r = rand() * total
      for (let i = 0; i < weights.length; i++) {
        r -= weights[i]!
        if (r < 0) return ws.campaigns[i]!
      }
      return ws.campaigns.at(-1)!
    }
    const startMs = opts.nowMs - 30 * DAY
    const step = (opts.nowMs - 60_000 - startMs) / opts.clicks
    const convRate = opts.conversions / opts.clicks
    const pending: { at: number; click: ClickEvent; sale: boolean }[] = []

    let t = performance.now()
    let batch: ClickEvent[] = []
    for (let i = 0; i < opts.clicks; i++) {
      const ts = Math.floor(startMs + i * step)
      const c = pickCampaign()
      const home = rand() < 0.8
      const country = home
        ? c.countryStream.countries[Math.floor(rand() * 3)]!
        : COUNTRIES[Math.floor(rand() * COUNTRIES.length)]!
      const geo = c.countryStream.countries.includes(country)
      const stream = geo ? c.countryStream : c.defaultStream
      const bot = rand() < 0.03 ? 1 : 0
      const zone = Math.floor(rand() * 200)
      const ip = `${1 + Math.floor(rand() * 222)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}`
      const clickId = newClickId(ts, randomBytes(10))
      const click = clickEvent({
        click_id: clickId,
        ts,
        workspace_id: ws.workspaceId,
        campaign_id: c.id,
        stream_id: stream.id,
        destination_id: stream.destinationId,
        source_id: c.source.id,
        is_unique: rand() < 0.7 ? 1 : 0,
        is_bot: bot as 0 | 1,
        ip,
        country,
        language: 'en',
        device: DEVICES[Math.floor(rand() * DEVICES.length)]!,
        os: OSES[Math.floor(rand() * OSES.length)]!,
        browser: BROWSERS[Math.floor(rand() * BROWSERS.length)]!,
        user_agent: 'Mozilla/5.0 (bench)',
        referrer: '',
        user_key: ip,
        cost_micros: c.source.costMicros,
        currency: 'USD',
        sub1: `zone-${zone}`,
        source: '',
        destination_url: `https://offer.example/landing?click_id=${clickId}`,
      })
      batch.push(click)
      if (!bot && rand() < convRate) {
        // Conversions arrive 1 min to 2 days after the click, never in the future.
        const at = Math.min(ts + 60_000 + Math.floor(rand() * 2 * DAY), opts.nowMs - 30_000)
        pending.push({ at, click, sale: rand() < 0.75 })
      }
      if (batch.length === 1000) {
        if (!spool.pushMany(batch)) throw new Error('the spool refused clicks')
        batch = []
        // Let the flusher run now and then, as the event loop would between requests.
        if (i % 50_000 === 49_999) await new Promise((r) => setImmediate(r))
      }
    }
    if (batch.length > 0 && !spool.pushMany(batch)) throw new Error('the spool refused clicks')
    await pipeline.flush()
    const stats = pipeline.stats()
    if (stats.errors > 0) throw new Error(`pipeline errors: ${JSON.stringify(stats.lastError)}`)
    const clicksS = (performance.now() - t) / 1000

    t = performance.now()
    const clock = manualClock(startMs)
    const conversions = createConversionsService({ db: db.db, clickhouse, recentClicks, clock, logger })
    const outcomes: Record<string, number> = {}
    pending.sort((a, b) => a.at - b.at)
    for (const [k, p] of pending.entries()) {
      clock.set(p.at)
      const query = new URLSearchParams({
        network: ws.networkOf.get(p.click.destination_id)!,
        secret: NETWORK_SECRET,
        subid: p.click.click_id,
        tid: `T${k}`,
        payout: String(ws.payoutOf.get(p.click.destination_id)! * (p.sale ? 1 : 0.25)),
        status: p.sale ? 'sale' : 'lead',
      })
      const r = await conversions.handlePostback({
        method: 'GET',
        rawQuery: query.toString(),
        headers: {},
        ip: '127.0.0.1',
      })
      outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1
      if (r.outcome !== 'accepted') throw new Error(`postback ${k}: ${r.outcome} ${r.reason}`)
    }
    const synced = await conversions.syncPendingConversionEvents()
    if (synced.failed > 0)
      throw new Error(`conversion sync failed: ${JSON.stringify(conversions.stats().sync)}`)
    await conversions.stop()
    return {
      clicks: stats.pushed,
      conversions: pending.length,
      postbackOutcomes: outcomes,
      seconds: { clicks: clicksS, conversions: (performance.now() - t) / 1000 },
    }
  } finally {
    await pipeline.close()
    await clickhouse.close()
    await db.close()
  }
}
