import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { replay } from './autopilot.replay.ts'

describe('replay', () => {
  it('runs the example day: $10 at 01:40, pending released, paused when clicks run out', () => {
    const trace = JSON.parse(readFileSync(new URL('./replay.example.json', import.meta.url), 'utf8'))
    const r = replay(trace)
    const calls = r.steps.flatMap((s) =>
      s.actions.map((a) =>
        `${s.at.slice(11, 16)} ${a.kind} ${a.max_daily_micros ?? a.end_time ?? ''}`.trim(),
      ),
    )
    expect(calls).toEqual([
      '00:00 patch 2026-12-01 23:59:00',
      '00:00 run',
      '01:40 patch 110000000',
      '15:52 patch 146000000',
      '17:38 pause',
      '17:38 patch 2026-12-01 17:38:00',
    ])
    expect(r.final).toMatchObject({
      daily_budget_micros: 146_000_000,
      status: 'paused',
      starts: 1,
      pauses: 1,
    })
    expect(r.steps.some((s) => s.events.some((e) => e.rule === 'no_observation'))).toBe(true)
  })
  it('a recorded spend curve replaces the model', () => {
    const r = replay({
      start: '2026-12-01T00:00:00Z',
      minutes: 30,
      settings: { price_per_1000_micros: 1_000_000 },
      initial: { status: 'paused', daily_budget_micros: 20_000_000, spent_micros: 0 },
      spend: [{ minute: 10, spent_micros: 12_000_000 }],
      destinations: [{ id: 'a', remaining: 20_000 }],
    })
    expect(r.final.phase).toBe('CONDITION_TWO')
    // 1,000 clicks bought in minutes 0–9; at minute 10 the recorded $12 moves it to condition two: $20 + 19,000 × $1/1000
    expect(r.final.daily_budget_micros).toBe(39_000_000)
  })
  it('rejects an invalid trace', () => {
    expect(() => replay({ start: 'x' } as never)).toThrow()
  })
})
