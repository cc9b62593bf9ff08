/**
 * bench:autopilot — the scheduler with 1, 100, 1,000 and 10,000 enabled campaigns on one
 * TrafficStars account, against the simulator with 50 ms latency per answer and its
 * 100-requests-per-60-s limit (429 beyond), on the embedded PGlite.
 *
 * Per size: router campaigns with one capped destination each (remaining clicks from memory,
 * as in the server), one autopilot campaign per router campaign, all enabled. Then
 * BENCH_TICKS ticks (default 5), each followed by one simulated minute. Tick 1 is the worst
 * case: every campaign wants to start at once (bulk run + one end-time PATCH each), so the
 * call budget binds and PATCHes are spread over the following ticks.
 *
 * A second scenario, `steady`, starts with every campaign already running as the autopilot
 * left it: the ticks only observe and verify.
 *
 * Reported per scenario and size: TrafficStars calls per tick (= per minute) — max and mean, token calls
 * excluded —, 429 answers, tick duration (real ms, max and mean), campaigns deferred by the
 * call budget on tick 1, and campaigns running after the last tick.
 * Targets (issue 5): calls per minute independent of the campaign count and within the limit;
 * a tick for 10,000 campaigns under 10 s.
 *
 * Prints a table, writes bench/results/autopilot.json.
 * Env: BENCH_TICKS (default 5), BENCH_SIZES (default "1,100,1000,10000").
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { insertWorkspace as createWorkspace } from '../src/modules/accounts/accounts.repository.ts'
import {
  createAutopilotService,
  createSecretBox,
  DEFAULT_SETTINGS,
  initialState,
} from '../src/modules/autopilot/index.ts'
import { endOfDay } from '../src/modules/autopilot/autopilot.core.ts'
import { insertAccount } from '../src/modules/autopilot/autopilot.repository.ts'
import { openDb } from '../src/platform/db/client.ts'
import { autopilotCampaigns } from '../src/modules/autopilot/autopilot.tables.ts'
import { campaigns } from '../src/modules/routing/index.ts'
import { createLogger } from '../src/platform/logger.ts'
import { startTrafficStarsSimulator } from '../src/simulators/trafficstars/trafficstars.simulator.ts'

const TICKS = Number(process.env.BENCH_TICKS ?? 5)
const SIZES = (process.env.BENCH_SIZES ?? '1,100,1000,10000').split(',').map(Number)
const LATENCY_MS = 50
const LIMIT = { limit: 100, windowMs: 60_000 }
const KEY = 'bench-ts-key-000000'
const START = Date.UTC(2026, 11, 1, 8, 0, 0)
const USD = 1_000_000

type Scenario = 'all_start' | 'steady'

interface Row {
  scenario: Scenario
  campaigns: number
  calls_per_min_max: number
  calls_per_min_mean: number
  http_429: number
  tick_ms_max: number
  tick_ms_mean: number
  tick1_deferred: number
  running_after: number
}

async function runSize(n: number, scenario: Scenario): Promise<Row> {
  const db = await openDb({ pgDir: 'memory://' })
  await db.migrate()
  const sim = await startTrafficStarsSimulator({
    refreshTokens: [KEY],
    startAt: START,
    latencyMs: LATENCY_MS,
    rateLimit: LIMIT,
    campaigns: Array.from({ length: n }, (_, i) => ({
      id: i + 1,
      priceMicros: 1 * USD,
      maxDailyMicros: 20 * USD,
      // steady: already running until 23:59:00 as the autopilot left them
      ...(scenario === 'steady' ? { active: true, scheduleEndTime: Date.UTC(2026, 11, 1, 23, 59, 0) } : {}),
    })),
  })
  const box = createSecretBox(Buffer.alloc(32, 1))
  const ws = await createWorkspace(db.db, 'bench')
  const account = await insertAccount(db.db, {
    workspaceId: ws.id,
    name: 'bench',
    baseUrl: sim.url,
    apiKeyCiphertext: box.seal(KEY),
    apiKeyHint: 'x',
  })
  const rows: Array<{ id: string }> = []
  for (let i = 0; i < n; i += 1000) {
    const chunk = Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({
      workspaceId: ws.id,
      name: `c${i + j}`,
      alias: `bench-${i + j}`,
    }))
    rows.push(...(await db.db.insert(campaigns).values(chunk).returning({ id: campaigns.id })))
  }
  for (let i = 0; i < n; i += 1000) {
    await db.db.insert(autopilotCampaigns).values(
      rows.slice(i, i + 1000).map((r, j) => ({
        workspaceId: ws.id,
        campaignId: r.id,
        accountId: account.id,
        tsCampaignId: i + j + 1,
        enabled: true,
        settings: { ...DEFAULT_SETTINGS, pricePer1000Micros: 1 * USD },
        state:
          scenario === 'steady'
            ? {
                ...initialState(START),
                phase: 'CONDITION_ONE' as const,
                desired: { status: 'running' as const, endTime: endOfDay(START), maxDailyMicros: null },
                cycles: 1,
              }
            : initialState(START),
      })),
    )
  }
  const service = createAutopilotService({
    db: db.db,
    box,
    // Every campaign has 20,000 clicks left: all want to run.
    remaining: (_ws, id) => [{ destinationId: id, remaining: 20_000 }],
    clock: sim.clock,
    allowPrivate: true,
    logger: createLogger('silent'),
    client: { sleep: async (ms) => sim.advance(ms) },
  })

  const calls: number[] = []
  const durations: number[] = []
  let deferred = 0
  for (let t = 0; t < TICKS; t++) {
    const before = sim.requests().filter((r) => r.path !== '/v1/auth/token').length
    const startedSim = sim.now()
    const t0 = performance.now()
    const report = await service.tickAccount(account.id)
    durations.push(performance.now() - t0)
    calls.push(sim.requests().filter((r) => r.path !== '/v1/auth/token').length - before)
    if (t === 0) deferred = report.deferred
    sim.advance(Math.max(0, 60_000 - (sim.now() - startedSim)))
  }
  const row: Row = {
    scenario,
    campaigns: n,
    calls_per_min_max: Math.max(...calls),
    calls_per_min_mean: round(mean(calls)),
    http_429: sim.requests().filter((r) => r.status === 429).length,
    tick_ms_max: round(Math.max(...durations)),
    tick_ms_mean: round(mean(durations)),
    tick1_deferred: deferred,
    running_after: [...sim.campaigns.values()].filter((c) => c.active).length,
  }
  await sim.stop()
  await db.close()
  return row
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
const round = (x: number) => Math.round(x * 10) / 10

const results: Row[] = []
for (const scenario of ['all_start', 'steady'] as const) {
  for (const n of SIZES) {
    results.push(await runSize(n, scenario))
    process.stdout.write(`${scenario}: ${n} campaigns done\n`)
  }
}
console.table(results)
const biggest = results.at(-1)!
const out = {
  name: 'autopilot',
  date: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model.split(' ').slice(0, 2).join(' '),
    node: process.version,
  },
  settings: {
    store: 'embedded PGlite (in memory)',
    simulator_latency_ms: LATENCY_MS,
    rate_limit: `${LIMIT.limit} per ${LIMIT.windowMs / 1000} s per account`,
    calls_per_tick_budget: 60,
    ticks: TICKS,
    scenarios: {
      all_start:
        'all enabled from IDLE, paused, 20,000 clicks left each: every campaign starts on tick 1 (the call budget binds)',
      steady:
        'all running as the autopilot left them (end time 23:59:00, 20,000 clicks left): observe and verify only',
    },
  },
  results,
  targets: {
    calls_per_min_within_limit: results.every((r) => r.calls_per_min_max <= LIMIT.limit),
    // steady state: the same calls for 1 and 10,000 campaigns; binding: capped by the budget
    calls_per_min_independent_of_count:
      new Set(results.filter((r) => r.scenario === 'steady').map((r) => r.calls_per_min_max)).size === 1 &&
      results.every((r) => r.calls_per_min_max <= 60 && r.http_429 === 0),
    tick_10k_under_10s:
      biggest.campaigns < 10_000
        ? null
        : Math.max(...results.filter((r) => r.campaigns === biggest.campaigns).map((r) => r.tick_ms_max)) <
          10_000,
  },
}
mkdirSync(path.join(import.meta.dirname, 'results'), { recursive: true })
writeFileSync(
  path.join(import.meta.dirname, 'results', 'autopilot.json'),
  `${JSON.stringify(out, null, 2)}\n`,
)
console.log(out.targets)
