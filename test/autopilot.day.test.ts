/**
 * Whole-day replays with an injected clock: the real scheduler and client against the
 * TrafficStars simulator, on a real database. Each test asserts the exact calls (time, kind,
 * values) and the final daily budget.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getAutopilotCampaign } from '../src/modules/autopilot/autopilot.repository.ts'
import { openDb } from '../src/platform/db/client.ts'
import { type DaySetup, startDay, USD } from './autopilot.helpers.ts'
import { throwawayDb } from './helpers/pg.ts'

const DAY0 = Date.UTC(2026, 11, 1, 0, 0, 0)

/** Spend crosses $10 at 01:40; C and D arrive after the $50 line; the clicks run out at 21:00. */
const crossing: DaySetup = {
  start: DAY0,
  campaign: { id: 101, priceMicros: 2 * USD, clicksPerMinute: 50, maxDailyMicros: 20 * USD },
  destinations: [
    { id: 'A', cap: 30_000 },
    { id: 'B', cap: 20_000 },
    { id: 'C', cap: 8_000, addedAt: 300 },
    { id: 'D', cap: 10_000, addedAt: 700 },
  ],
}
const crossingCalls = [
  '00:00 patch end 23:59',
  '00:00 run',
  // $10 spent: A 25,000 + B 20,000 remaining × $2/1000 = $90 on top of $20
  '01:40 patch $110',
  // C ($16) and D ($20) waited as pending until spent ≥ $110 − $1
  '18:10 patch $146',
  // 63,000 of 68,000 clicks delivered: 5,000 left
  '21:00 pause',
  '21:00 patch end 21:00',
]

for (const kind of ['pglite', 'postgres'] as const) {
  describe(`autopilot day on ${kind}`, () => {
    let db: Awaited<ReturnType<typeof throwawayDb>>
    beforeAll(async () => {
      db = await throwawayDb(kind)
    })
    afterAll(async () => {
      await db.drop()
    })

    it('spend crossing $10 mid-day, destinations added after the $50 line, clicks running out', async () => {
      const day = await startDay(db, crossing)
      await day.run(1440)
      expect(await day.calls()).toEqual(crossingCalls)
      expect(day.ts().maxDailyMicros).toBe(146 * USD)
      expect(day.ts().active).toBe(false)
      const rules = (await day.audit()).map((r) => r.rule)
      expect(rules.filter((r) => r === 'budget_queued')).toHaveLength(2)
      expect(rules).toContain('budget_pending_released')
      await day.stop()
    }, 60_000)
  })
}

describe('autopilot day (PGlite)', () => {
  let db: Awaited<ReturnType<typeof throwawayDb>>
  beforeAll(async () => {
    db = await throwawayDb('pglite')
  })
  afterAll(async () => {
    await db.drop()
  })

  it('quiet day: started once, never paused, nothing done after midnight with 12,800 left', async () => {
    const day = await startDay(db, {
      start: DAY0,
      campaign: { id: 201, priceMicros: 1 * USD, clicksPerMinute: 5, maxDailyMicros: 20 * USD },
      destinations: [{ id: 'A', cap: 20_000 }],
    })
    await day.run(1440 + 5)
    expect(await day.calls()).toEqual(['00:00 patch end 23:59', '00:00 run'])
    expect(day.ts().maxDailyMicros).toBe(20 * USD)
    const audit = await day.audit()
    expect(audit.filter((r) => r.kind === 'day_reset').map((r) => r.at.toISOString())).toEqual([
      '2026-12-02T00:00:00.000Z',
    ])
    const row = await getAutopilotCampaign(db.db, day.ws.id, day.row.id)
    expect(row.state).toMatchObject({ phase: 'CONDITION_ONE', day: '2026-12-02', cycles: 0 })
    await day.stop()
  }, 60_000)

  it('below $50 new destinations are budgeted on the 10-minute mark; at $50 they wait as pending', async () => {
    const day = await startDay(db, {
      start: DAY0,
      campaign: { id: 301, priceMicros: 1 * USD, clicksPerMinute: 20, maxDailyMicros: 15 * USD },
      destinations: [
        { id: 'A', cap: 20_000 },
        { id: 'B', cap: 4_000, addedAt: 600 },
        { id: 'C', cap: 3_000, addedAt: 605 },
        { id: 'E', cap: 30_000, addedAt: 900 },
        { id: 'F', cap: 2_000, addedAt: 960 },
      ],
    })
    await day.run(1440)
    expect(await day.calls()).toEqual([
      '00:00 patch end 23:59',
      '00:00 run',
      '08:20 patch $25', // $10 spent; A has 10,000 left → +$10
      '10:00 patch $29', // B at once: the last budget was 100 min ago
      '10:10 patch $32', // C waits for the 10-minute mark
      '15:00 patch $62', // E: $30 → crosses the $50 line
    ])
    const row = await getAutopilotCampaign(db.db, day.ws.id, day.row.id)
    expect(row.state.pending).toEqual({ F: 2 * USD }) // spent never reached $61
    expect(Object.keys(row.state.budgeted).sort()).toEqual(['A', 'B', 'C', 'E'])
    await day.stop()
  }, 60_000)

  it('token expiry, a 429 storm, 500s and timeouts change nothing but one late pause', async () => {
    const day = await startDay(db, { ...crossing, campaign: { ...crossing.campaign, id: 401 } })
    await day.run(50)
    day.sim.expireTokens()
    await day.run(49) // minute 99: the tick before $10 is reached
    day.sim.fault({ kind: 'http429', retryAfterS: 2, times: 6 })
    await day.run(100)
    day.sim.fault({ kind: 'timeout', path: '/v1.1/campaigns', times: 5 }) // the list fails for a whole tick
    await day.run(1060) // to minute 1259
    day.sim.fault({ kind: 'http500', path: '/v2/campaigns/pause', times: 1 })
    await day.run(1440 - 1259)
    expect(await day.calls(true)).toEqual([
      '00:00 patch end 23:59 ok',
      '00:00 run ok',
      '01:40 patch $110 ok',
      '18:10 patch $146 ok',
      '21:00 pause failed',
      '21:00 patch end 21:00 ok',
      '21:01 pause ok',
    ])
    expect(day.ts().maxDailyMicros).toBe(146 * USD)
    const tokenCalls = day.sim.requests().filter((r) => r.path === '/v1/auth/token')
    expect(tokenCalls.length).toBeGreaterThanOrEqual(2)
    expect(day.sim.requests().filter((r) => r.status === 429).length).toBeGreaterThan(0)
    expect((await day.audit()).map((r) => r.rule)).toContain('no_observation')
    await day.stop()
  }, 90_000)
})

describe('autopilot restart', () => {
  it('a crash mid-WAITING resumes from the persisted state on a reopened database', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tf-ap-'))
    let db = await openDb({ pgDir: dir })
    await db.migrate()
    const day = await startDay(db, { ...crossing, campaign: { ...crossing.campaign, id: 501 } })
    await day.run(1261) // the pause went out at 21:00; WAITING until 21:02
    const waiting = await getAutopilotCampaign(db.db, day.ws.id, day.row.id)
    expect(waiting.state.phase).toBe('WAITING')
    expect(waiting.state.waitUntil).toBe(DAY0 + 1262 * 60_000)
    await db.close()
    db = await openDb({ pgDir: dir })
    day.restart(db)
    await day.run(1440 - 1261)
    expect(await day.calls()).toEqual(crossingCalls)
    const after = await getAutopilotCampaign(db.db, day.ws.id, day.row.id)
    expect(after.state.phase).toBe('CONDITION_TWO')
    await day.stop()
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  }, 60_000)
})
