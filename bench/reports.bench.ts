/**
 * bench:reports — report latency on the embedded default (chDB) with 10 M clicks and
 * 200 k conversions over 30 days in one workspace.
 *
 * Data is generated inside chDB (`INSERT … SELECT … FROM numbers(N)`), deterministic: every
 * dimension is a hash of the row number. 200 destinations (Zipf-like popularity) under 100
 * streams and 20 campaigns, 5 traffic sources with CPC costs, each campaign targeting
 * three main countries (85 % of its clicks) plus a tail of 40, 3 device types, 5 OSes,
 * 5 browsers, 1000 zone ids in sub1, 70 % unique, 3 % bots. Conversions hit every 50th
 * click: 60 % leads (a third of them later become sales), 35 % sales (1 in 20 later
 * rejected), 5 % rebills, so the conversions table holds status-change deltas too.
 * The click rollups are filled by their materialized views during the insert, as in
 * production.
 *
 * Timed (after 2 warm-up runs, median of 7): the overview, the daily series and the
 * two-level breakdown campaign × country for the 30 days in Europe/Berlin, through the
 * same functions the HTTP routes call. Target: each ≤ 300 ms. Also timed, for information
 * only: the same three from the raw table (`forceRaw`), an hourly series, breakdowns by
 * sub1 and utm_source (raw-only dimensions), and the 7-day recent EPC.
 *
 * Prints a table and writes bench/results/reports.json. Exit code 1 when a target is missed.
 * Env: BENCH_CLICKS (default 10 000 000), BENCH_CONVERSIONS (200 000), BENCH_RUNS (7).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { migrateClickHouse, recentEpc } from '../src/modules/analytics/index.ts'
import { parseOverviewQuery } from '../src/modules/analytics/analytics.schema.ts'
import { breakdown } from '../src/modules/analytics/queries/breakdown.ts'
import { overview } from '../src/modules/analytics/queries/overview.ts'
import { series } from '../src/modules/analytics/queries/series.ts'
import type { ReportRange } from '../src/modules/analytics/range.ts'
import { openClickHouse } from '../src/platform/clickhouse.ts'

const CLICKS = Number(process.env.BENCH_CLICKS ?? 10_000_000)
const CONVERSIONS = Number(process.env.BENCH_CONVERSIONS ?? 200_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 7)
const WARMUP = 2
const TARGET_MS = 300
const DB = 'traffoflex_bench'
const WS = 'ws-bench'
const TZ = 'Europe/Berlin'
const START = Date.parse('2024-06-01T00:00:00Z')
const DAYS = 30
const END = START + DAYS * 86_400_000
const ROOT = path.resolve(import.meta.dirname, '..')

const COUNTRIES = [
  'US',
  'DE',
  'GB',
  'FR',
  'IN',
  'BR',
  'CA',
  'AU',
  'ES',
  'IT',
  'NL',
  'PL',
  'SE',
  'MX',
  'JP',
  'TR',
  'ID',
  'PH',
  'VN',
  'TH',
  'AR',
  'CO',
  'CL',
  'PE',
  'ZA',
  'NG',
  'EG',
  'KE',
  'PK',
  'BD',
  'RU',
  'UA',
  'RO',
  'CZ',
  'HU',
  'PT',
  'GR',
  'BE',
  'AT',
  'CH',
]
const countryArray = `[${COUNTRIES.map((c) => `'${c}'`).join(',')}]`

/**
 * The attributes of click number `n` as SQL (a subquery over `numbers`, so clicks and their
 * conversions agree). `ts` spreads the clicks evenly over the 30 days.
 */
const clickAttrs = (n: string) => `
  ${n} AS n,
  cityHash64(n) AS h,
  (h % 1000003) / 1000003 AS u1,
  (bitShiftRight(h, 20) % 1000003) / 1000003 AS u2,
  toUInt32(floor(200 * u1 * u1)) AS dest,
  intDiv(dest, 10) AS camp,
  intDiv(dest, 2) AS strm,
  camp % 5 AS src,
  if(bitShiftRight(h, 40) % 100 < 85,
     ${countryArray}[1 + (camp * 3 + bitShiftRight(h, 42) % 3) % 40],
     ${countryArray}[1 + toUInt32(floor(40 * u2 * u2))]) AS country,
  ['mobile','mobile','mobile','desktop','desktop','tablet'][1 + bitShiftRight(h, 33) % 6] AS device,
  ['Android','iOS','Windows','macOS','Linux'][1 + bitShiftRight(h, 36) % 5] AS os,
  ['Chrome','Safari','Firefox','Edge','Samsung Internet'][1 + bitShiftRight(h, 39) % 5] AS browser,
  'zone-' || toString(bitShiftRight(h, 44) % 1000) AS sub1,
  'src' || toString(src) AS utm_source,
  fromUnixTimestamp64Milli(toInt64(${START} + intDiv(n * ${END - START}, ${CLICKS})), 'UTC') AS ts,
  lower(hex(cityHash64(n, 7))) || lower(hex(toUInt32(n))) AS click_id`

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tf-bench-reports-'))
  const h = await openClickHouse({ chDir: dir, database: DB })
  try {
    await migrateClickHouse(h)
    console.log(`generating ${CLICKS.toLocaleString('en')} clicks over ${DAYS} days …`)
    let t = performance.now()
    await h.client.command({
      query: `INSERT INTO ${DB}.clicks (click_id, ts, workspace_id, campaign_id, stream_id, destination_id, source_id,
          is_unique, is_bot, ip, country, language, device, os, browser, user_agent, user_key, cost_micros, currency,
          sub1, utm_source, utm_medium, source, destination_url)
        SELECT click_id, ts, '${WS}', 'camp-' || toString(camp), 'stream-' || toString(strm), 'dest-' || toString(dest),
          'src-' || toString(src), toUInt8(bitShiftRight(h, 8) % 10 < 7), toUInt8(bitShiftRight(h, 50) % 100 < 3),
          IPv4NumToString(toUInt32(h % 4294967296)), country, 'en', device, os, browser, 'Mozilla/5.0 (bench)',
          lower(hex(h)), toInt64(20000 + src * 5000), 'USD', sub1, utm_source, 'cpc', 'ts',
          'https://offer.example.com/' || toString(dest)
        FROM (SELECT ${clickAttrs('number')} FROM numbers(${CLICKS}))`,
    })
    const clicksS = (performance.now() - t) / 1000
    console.log(`  ${clicksS.toFixed(1)} s`)

    console.log(`generating ${CONVERSIONS.toLocaleString('en')} conversions …`)
    t = performance.now()
    const step = Math.max(1, Math.floor(CLICKS / CONVERSIONS))
    // Creation events: kind 0..59 lead, 60..94 sale, 95..99 rebill; ts = click + 0..48 h.
    const convSelect = (extra: string) => `
      SELECT ts0 + toIntervalSecond(${extra === '' ? 'delay' : 'delay + 86400'}) AS ts, 'conv-' || toString(k) AS conversion_id,
        ${extra === '' ? '1' : '2'} AS seq, click_id, '${WS}', 'net-' || toString(dest % 4), 'camp-' || toString(camp),
        'stream-' || toString(strm), 'dest-' || toString(dest), 'src-' || toString(src), country, device, os, browser, sub1,
        STATUS, PREV, DELTA, REVENUE, PAYOUT, 'USD', 'tx-' || toString(k), ts0
      FROM (SELECT number AS k, bitShiftRight(cityHash64(k, 3), 5) % 100 AS kind, cityHash64(k, 4) % 172800 AS delay,
              ${clickAttrs(`number * ${step} + ${Math.floor(step / 2)}`).replace('AS ts,', 'AS ts0,')}
            FROM numbers(${CONVERSIONS}))`
    const columns = `(ts, conversion_id, seq, click_id, workspace_id, network_id, campaign_id, stream_id, destination_id,
      source_id, country, device, os, browser, sub1, status, previous_status, conversions_delta, revenue_delta_micros,
      payout_micros, currency, transaction_id, click_ts)`
    const payout = '(toInt64(2000000) + toInt64(dest % 7) * 500000)'
    await h.client.command({
      query: `INSERT INTO ${DB}.conversions ${columns} ${convSelect('')
        .replace('STATUS', `multiIf(kind < 60, 'lead', kind < 95, 'sale', 'rebill')`)
        .replace('PREV', `''`)
        .replace('DELTA', '1')
        .replace('REVENUE', `if(kind < 60, ${payout} / 4, ${payout})`)
        .replace('PAYOUT', `if(kind < 60, ${payout} / 4, ${payout})`)}`,
    })
    // Status changes a day later: a third of the leads become sales, 1 in 20 sales is rejected.
    await h.client.command({
      query: `INSERT INTO ${DB}.conversions ${columns} ${convSelect('later')
        .replace('STATUS', `if(kind < 60, 'sale', 'rejected')`)
        .replace('PREV', `if(kind < 60, 'lead', 'sale')`)
        .replace('DELTA', '0')
        .replace('REVENUE', `if(kind < 60, ${payout} - ${payout} / 4, -${payout})`)
        .replace('PAYOUT', `if(kind < 60, ${payout}, 0)`)
        .replace(
          `FROM numbers(${CONVERSIONS}))`,
          `FROM numbers(${CONVERSIONS})) WHERE (kind < 60 AND k % 3 = 0) OR (kind >= 60 AND kind < 95 AND k % 20 = 0)`,
        )}`,
    })
    const conversionsS = (performance.now() - t) / 1000
    console.log(`  ${conversionsS.toFixed(1)} s`)

    const count = async (table: string) => {
      const rs = await h.client.query({
        query: `SELECT count() AS n FROM ${DB}.${table}`,
        format: 'JSONEachRow',
      })
      return Number((await rs.json<{ n: string }>())[0]?.n ?? 0)
    }
    const rows = {
      clicks: await count('clicks'),
      conversions: await count('conversions'),
      clicks_route_15m: await count('clicks_route_15m'),
      clicks_geo_15m: await count('clicks_geo_15m'),
    }
    console.log('rows', rows)

    const range: ReportRange = parseOverviewQuery(
      { from: '2024-06-01', to: '2024-06-30', tz: TZ },
      new Date(END),
    ).range
    const time = async (fn: () => Promise<unknown>) => {
      for (let i = 0; i < WARMUP; i++) await fn()
      const ms: number[] = []
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now()
        await fn()
        ms.push(performance.now() - t0)
      }
      ms.sort((a, b) => a - b)
      return {
        median_ms: round(ms[Math.floor(ms.length / 2)]!),
        min_ms: round(ms[0]!),
        max_ms: round(ms.at(-1)!),
      }
    }
    const timed: Record<string, () => Promise<unknown>> = {
      overview: () => overview(h, WS, range),
      'series day': () => series(h, WS, 'day', range),
      'breakdown campaign,country': () => breakdown(h, WS, ['campaign', 'country'], range),
    }
    const info: Record<string, () => Promise<unknown>> = {
      'overview (raw)': () => overview(h, WS, range, { forceRaw: true }),
      'series day (raw)': () => series(h, WS, 'day', range, { forceRaw: true }),
      'breakdown campaign,country (raw)': () =>
        breakdown(h, WS, ['campaign', 'country'], range, { forceRaw: true }),
      'series hour (7 days)': () =>
        series(
          h,
          WS,
          'hour',
          parseOverviewQuery({ from: '2024-06-24', to: '2024-06-30', tz: TZ }, new Date(END)).range,
        ),
      'breakdown sub1 (raw only)': () => breakdown(h, WS, 'sub1', range),
      'breakdown utm_source (joins clicks)': () => breakdown(h, WS, 'utm_source', range),
      'recentEpc 7 days': () => recentEpc(h, { sinceMs: END - 7 * 86_400_000, untilMs: END }),
    }

    // Sanity: the rollups and the raw table agree.
    const [a, b] = [await overview(h, WS, range), await overview(h, WS, range, { forceRaw: true })]
    if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error('rollup and raw overviews differ')
    console.log('overview', a)

    const results: {
      query: string
      median_ms: number
      min_ms: number
      max_ms: number
      target_ms?: number
      pass?: boolean
    }[] = []
    for (const [query, fn] of Object.entries(timed)) {
      const r = await time(fn)
      results.push({ query, ...r, target_ms: TARGET_MS, pass: r.median_ms <= TARGET_MS })
    }
    for (const [query, fn] of Object.entries(info)) results.push({ query, ...(await time(fn)) })

    console.log('')
    console.log(
      `${'query'.padEnd(38)} ${'median'.padStart(9)} ${'min'.padStart(9)} ${'max'.padStart(9)}  target`,
    )
    for (const r of results) {
      const target = r.target_ms ? `≤ ${r.target_ms} ms ${r.pass ? 'PASS' : 'FAIL'}` : '(info)'
      console.log(
        `${r.query.padEnd(38)} ${`${r.median_ms} ms`.padStart(9)} ${`${r.min_ms} ms`.padStart(9)} ${`${r.max_ms} ms`.padStart(9)}  ${target}`,
      )
    }
    const pass = results.every((r) => r.pass !== false)
    const out = {
      name: 'reports',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '', node: process.version },
      settings: {
        store: 'chdb (embedded)',
        clicks: CLICKS,
        conversions: CONVERSIONS,
        days: DAYS,
        tz: TZ,
        range: { from: new Date(range.fromMs).toISOString(), to: new Date(range.toMs).toISOString() },
        warmup_runs: WARMUP,
        runs: RUNS,
      },
      generation_s: { clicks: round(clicksS), conversions: round(conversionsS) },
      rows,
      results,
      target_ms: TARGET_MS,
      pass,
    }
    mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true })
    writeFileSync(path.join(ROOT, 'bench/results/reports.json'), `${JSON.stringify(out, null, 2)}\n`)
    console.log(`\n${pass ? 'PASS' : 'FAIL'} — wrote bench/results/reports.json`)
    if (!pass) process.exitCode = 1
  } finally {
    await h.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

function round(v: number): number {
  return Math.round(v * 10) / 10
}

await main()
