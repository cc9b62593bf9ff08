/**
 * bench:ui — "a page's data shows within 1 s on the sample data set", measured in Chromium
 * against the real server on the embedded default (PGlite + chDB).
 *
 * 1. Starts the server on a temporary DATA_DIR (first admin, sample campaign seeded) and
 *    configures 20 campaigns, 40 destinations, 5 CPC sources and 2 networks through the
 *    admin API (`ui.data.ts`); stops it.
 * 2. Loads the sample data set through the real ingestion paths (click pipeline, postback
 *    handler): 500 k clicks over the last 30 days, ~5 k conversions.
 * 3. Starts the server again and, in Debian's Chromium (1366×800, signed in), loads each main
 *    page and times navigation start → the page's data rendered (a page-specific locator
 *    that only exists once real data is on screen, not a skeleton):
 *    - cold: a new browser context each time (no HTTP cache, no query cache);
 *    - warm: the same tab loading the page again (assets cached, server caches warm).
 *    Median and max of BENCH_RUNS loads each. Target: median ≤ 1000 ms.
 *
 * Also records the slowest API request of the last cold load (path and duration), to tell a
 * slow query from a waterfall. Prints a table and writes bench/results/ui.json.
 * Exit code 1 when a page misses the target.
 * Env: BENCH_CLICKS (default 500 000), BENCH_CONVERSIONS (5 000), BENCH_CAMPAIGNS (20),
 * BENCH_RUNS (5), BENCH_PAGES (parts of page names to time, comma-separated; default all).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Browser, BrowserContext, Page, Request } from 'playwright-core'
import { CHROME_UA, DESKTOP, launchForUi } from '../test/helpers/browser.ts'
import {
  freePort,
  login,
  ROOT,
  type ServerProcess,
  startServerProcess,
  tempDataDir,
} from '../test/helpers/server.ts'
import { configureWorkspace, loadSampleData } from './ui.data.ts'

const CLICKS = Number(process.env.BENCH_CLICKS ?? 500_000)
const CONVERSIONS = Number(process.env.BENCH_CONVERSIONS ?? 5_000)
const CAMPAIGNS = Number(process.env.BENCH_CAMPAIGNS ?? 20)
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
/** Comma-separated parts of page names to time (all when empty), e.g. "reports,campaign". */
const ONLY = (process.env.BENCH_PAGES ?? '').split(',').filter(Boolean)
const TARGET_MS = 1000
const ADMIN = { email: 'bench@traffoflex.test', password: 'correct horse battery staple' }

/** A page to time: its path and the locator that shows its data is rendered. */
interface PageSpec {
  name: string
  path: string
  ready: string
}

/** One request of a page load: when it started after the navigation and how long it took. */
interface ApiCall {
  path: string
  /** Request start, ms after the navigation started. */
  start_ms: number
  /** Request start → response end, ms. */
  ms: number
}

/**
 * Times from navigation start to `spec.ready` visible.
 * @returns the time, and every request of the load (API calls and assets) for the waterfall.
 */
async function load(page: Page, url: string, spec: PageSpec): Promise<{ ms: number; requests: ApiCall[] }> {
  const requests: ApiCall[] = []
  let wall0 = 0
  const onDone = (req: Request) => {
    const t = req.timing()
    const u = new URL(req.url())
    requests.push({
      path: u.pathname + u.search,
      start_ms: round(t.startTime - wall0),
      ms: round(t.responseEnd),
    })
  }
  page.on('requestfinished', onDone)
  try {
    wall0 = Date.now()
    const t0 = performance.now()
    await page.goto(`${url}${spec.path}`, { waitUntil: 'commit' })
    await page.locator(spec.ready).first().waitFor({ state: 'visible', timeout: 30_000 })
    return { ms: round(performance.now() - t0), requests }
  } finally {
    page.off('requestfinished', onDone)
  }
}

/** The slowest API call of a load. */
const slowestApi = (requests: ApiCall[]) =>
  requests
    .filter((r) => r.path.startsWith('/api/v1/'))
    .reduce<ApiCall>((a, b) => (b.ms > a.ms ? b : a), { path: '', start_ms: 0, ms: 0 })

interface PageResult {
  page: string
  path: string
  cold_p50_ms: number
  cold_max_ms: number
  warm_p50_ms: number
  warm_max_ms: number
  slowest_api_cold: ApiCall
  /** Requests of the last cold load, in start order (what waits on what). */
  waterfall_cold: string[]
  pass: boolean
}

async function measure(
  browser: Browser,
  url: string,
  session: BrowserContext,
  spec: PageSpec,
): Promise<PageResult> {
  const storageState = await session.storageState()
  const cold: number[] = []
  let requests: ApiCall[] = []
  for (let i = 0; i < RUNS; i++) {
    const ctx = await browser.newContext({
      viewport: DESKTOP,
      timezoneId: 'UTC',
      userAgent: CHROME_UA,
      storageState,
    })
    try {
      const r = await load(await ctx.newPage(), url, spec)
      cold.push(r.ms)
      requests = r.requests
    } finally {
      await ctx.close()
    }
  }
  const warm: number[] = []
  const ctx = await browser.newContext({
    viewport: DESKTOP,
    timezoneId: 'UTC',
    userAgent: CHROME_UA,
    storageState,
  })
  try {
    const page = await ctx.newPage()
    await load(page, url, spec)
    for (let i = 0; i < RUNS; i++) warm.push((await load(page, url, spec)).ms)
  } finally {
    await ctx.close()
  }
  const coldP50 = median(cold)
  const warmP50 = median(warm)
  return {
    page: spec.name,
    path: spec.path,
    cold_p50_ms: coldP50,
    cold_max_ms: Math.max(...cold),
    warm_p50_ms: warmP50,
    warm_max_ms: Math.max(...warm),
    slowest_api_cold: slowestApi(requests),
    waterfall_cold: requests
      .sort((a, b) => a.start_ms - b.start_ms)
      .map((r) => `${r.start_ms}+${r.ms} ms ${r.path.length > 90 ? `${r.path.slice(0, 90)}…` : r.path}`),
    pass: coldP50 <= TARGET_MS && warmP50 <= TARGET_MS,
  }
}

/** The pages, each with a locator that exists only once its real data is rendered. */
async function pages(url: string, cookie: string): Promise<PageSpec[]> {
  const res = await fetch(`${url}/api/v1/campaigns?limit=1&q=Campaign%2001`, { headers: { cookie } })
  const campaignId = ((await res.json()) as { items: { id: string }[] }).items[0]?.id
  if (!campaignId) throw new Error('benchmark campaign not found')
  const reportRow = '[data-testid=report-table] tbody tr'
  return [
    { name: 'dashboard (today)', path: '/', ready: '[data-testid=top-campaigns] tbody tr' },
    { name: 'dashboard (30 days)', path: '/?range=30d', ready: '[data-testid=top-campaigns] tbody tr' },
    { name: 'reports campaign, 7 days', path: '/reports', ready: reportRow },
    { name: 'reports campaign, 30 days', path: '/reports?range=30d&by=campaign', ready: reportRow },
    { name: 'reports campaign × country', path: '/reports?range=30d&by=campaign,country', ready: reportRow },
    { name: 'reports source × device', path: '/reports?range=30d&by=source,device', ready: reportRow },
    { name: 'reports sub1 (raw)', path: '/reports?range=30d&by=sub1', ready: reportRow },
    { name: 'reports over time, 30 days', path: '/reports?range=30d&view=series', ready: reportRow },
    { name: 'campaigns list', path: '/campaigns', ready: '[data-testid=campaigns-table] tbody tr' },
    { name: 'campaign detail', path: `/campaigns/${campaignId}`, ready: '[data-testid=stream-row]' },
    // The form replaces its skeleton once the campaign is loaded.
    { name: 'campaign edit', path: `/campaigns/${campaignId}/edit`, ready: '[data-testid=campaign-form]' },
    { name: 'destinations', path: '/destinations', ready: '[data-testid=destinations-table] tbody tr' },
    { name: 'sources', path: '/sources', ready: '[data-testid=source-row]' },
    { name: 'networks', path: '/networks', ready: '[data-testid=network-row]' },
    { name: 'logs: postbacks', path: '/logs', ready: '[data-testid=postback-log-row]' },
    { name: 'logs: conversions', path: '/logs?tab=conversions', ready: '[data-testid=conversion-row]' },
    { name: 'logs: outbound', path: '/logs?tab=outbound', ready: 'text=No outbound postbacks yet' },
    { name: 'logs: ingestion', path: '/logs?tab=ingestion', ready: '[data-testid=ingestion-status]' },
    { name: 'health', path: '/health', ready: '[data-testid=health-current-row]' },
    { name: 'users', path: '/users', ready: '[data-testid=user-row]' },
  ]
}

async function main(): Promise<void> {
  const dataDir = tempDataDir('tf-bench-ui-')
  const port = await freePort()
  const env = {
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    PUBLIC_URL: `http://127.0.0.1:${port}`,
  }
  let server: ServerProcess | undefined
  let browser: Browser | undefined
  try {
    console.log('configuring the workspace through the API …')
    server = await startServerProcess({ dataDir, port, env })
    const ws = await configureWorkspace(
      server.url,
      await login(server.url, ADMIN.email, ADMIN.password),
      CAMPAIGNS,
    )
    await server.stop()
    server = undefined

    console.log(
      `loading ${CLICKS.toLocaleString('en')} clicks and ~${CONVERSIONS.toLocaleString('en')} conversions …`,
    )
    const loaded = await loadSampleData(dataDir, ws, {
      clicks: CLICKS,
      conversions: CONVERSIONS,
      nowMs: Date.now(),
    })
    console.log(
      `  ${loaded.clicks} clicks in ${loaded.seconds.clicks.toFixed(1)} s, ${loaded.conversions} conversions in ${loaded.seconds.conversions.toFixed(1)} s`,
    )

    server = await startServerProcess({ dataDir, port, env })
    const cookie = await login(server.url, ADMIN.email, ADMIN.password)
    const overview = (await (
      await fetch(`${server.url}/api/v1/reports/overview?from=${day(-30)}&to=${day(0)}&tz=UTC`, {
        headers: { cookie },
      })
    ).json()) as Record<string, unknown>
    console.log(`  stored (30 days): ${overview.clicks} clicks, ${overview.conversions} conversions`)

    browser = await launchForUi()
    const session = await browser.newContext({ viewport: DESKTOP, timezoneId: 'UTC', userAgent: CHROME_UA })
    const r = await session.request.post(`${server.url}/api/v1/auth/login`, { data: ADMIN })
    if (!r.ok()) throw new Error(`login: ${r.status()}`)

    const results: PageResult[] = []
    const specs = (await pages(server.url, cookie)).filter(
      (p) => ONLY.length === 0 || ONLY.some((o) => p.name.includes(o)),
    )
    for (const spec of specs) {
      const res = await measure(browser, server.url, session, spec)
      results.push(res)
      console.log(`  ${spec.name}: cold ${res.cold_p50_ms} ms, warm ${res.warm_p50_ms} ms`)
    }

    const apiCheck = await concurrentVsAlone(server.url, cookie)
    console.log(`  reports API calls of the 30-day campaign × country page: ${JSON.stringify(apiCheck)}`)

    console.log('')
    console.log(
      `${'page'.padEnd(30)} ${'cold p50'.padStart(9)} ${'cold max'.padStart(9)} ${'warm p50'.padStart(9)} ${'warm max'.padStart(9)}  ≤ ${TARGET_MS} ms   slowest API call (cold)`,
    )
    for (const x of results) {
      console.log(
        `${x.page.padEnd(30)} ${`${x.cold_p50_ms}`.padStart(9)} ${`${x.cold_max_ms}`.padStart(9)} ${`${x.warm_p50_ms}`.padStart(9)} ${`${x.warm_max_ms}`.padStart(9)}  ${x.pass ? 'PASS' : 'FAIL'}      ${x.slowest_api_cold.ms} ms ${x.slowest_api_cold.path}`,
      )
    }
    const pass = results.every((x) => x.pass)
    const out = {
      name: 'ui',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '', node: process.version },
      settings: {
        store: 'pglite + chdb (embedded)',
        browser: 'chromium (headless), 1366×800',
        clicks: CLICKS,
        conversions_target: CONVERSIONS,
        campaigns: CAMPAIGNS,
        days: 30,
        runs: RUNS,
        measured:
          'navigation start → page-specific data locator visible; cold = new browser context, warm = same tab reloaded',
      },
      loaded,
      stored_30_days: { clicks: overview.clicks, conversions: overview.conversions },
      reports_api_30_days: apiCheck,
      results,
      target_ms: TARGET_MS,
      pass,
    }
    mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true })
    writeFileSync(path.join(ROOT, 'bench/results/ui.json'), `${JSON.stringify(out, null, 2)}\n`)
    console.log(`\n${pass ? 'PASS' : 'FAIL'} — wrote bench/results/ui.json`)
    if (!pass) process.exitCode = 1
  } finally {
    await browser?.close()
    await server?.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/**
 * The calls the reports page makes at once (30 days, campaign × country), timed one after
 * the other and all together (medians of 5, ms): tells whether the store runs them in
 * parallel or queues them.
 */
async function concurrentVsAlone(url: string, cookie: string): Promise<Record<string, number>> {
  const range = `from=${day(-29)}&to=${day(0)}&tz=UTC`
  const paths = {
    overview: `/api/v1/reports/overview?${range}`,
    breakdown: `/api/v1/reports/breakdown?${range}&by=campaign%2Ccountry`,
    campaigns: '/api/v1/campaigns?limit=500',
  }
  const get = async (p: string) => {
    const t0 = performance.now()
    const res = await fetch(`${url}${p}`, { headers: { cookie } })
    await res.arrayBuffer()
    return performance.now() - t0
  }
  const alone: Record<string, number[]> = { overview: [], breakdown: [], campaigns: [] }
  const together: number[] = []
  for (let i = 0; i < 5; i++) {
    for (const [k, p] of Object.entries(paths)) alone[k]!.push(await get(p))
    const t0 = performance.now()
    await Promise.all(Object.values(paths).map(get))
    together.push(performance.now() - t0)
  }
  return {
    ...Object.fromEntries(Object.entries(alone).map(([k, v]) => [`${k}_alone_ms`, round(median(v))])),
    all_three_at_once_ms: round(median(together)),
  }
}

/** `YYYY-MM-DD` (UTC) `offset` days from today. */
function day(offset: number): string {
  return new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10)
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

function round(v: number): number {
  return Math.round(v * 10) / 10
}

await main()
