/**
 * Replay: a recorded or simulated day (spend curve, click curve, destinations added) run
 * minute by minute through {@link decide} against a small model of one TrafficStars campaign.
 * Pure and synchronous; used by `npm run autopilot:replay` and, on a worker thread
 * (`autopilot.replay.pool.ts`), by `POST /api/v1/autopilot/replay`. Every list is bounded
 * (a point per minute of the longest replay at most), so one replay's work is bounded too.
 *
 * Model per minute, after the tick's calls are applied: a campaign that runs, has not passed
 * its end time and has spent less than its daily budget buys `clicks_per_minute` clicks, taken
 * from the destinations in list order; spent grows by clicks × price/1000 — unless a recorded
 * `spend` curve is given, whose cumulative value (micros, today) is then read instead.
 * UTC midnight resets spent to 0.
 */
import { z } from 'zod'
import { actionDetail, unreachable } from './autopilot.calls.ts'
import {
  type Action,
  type AuditEvent,
  decide,
  initialState,
  type Observation,
  tsTime,
  utcDay,
} from './autopilot.core.ts'
import { settingsInput, toSettings } from './autopilot.schema.ts'

const MIN = 60_000
/** Longest replay in minutes (two days); also the most points a per-minute list may hold. */
const MAX_MINUTES = 2 * 1440

const curve = z
  .array(z.strictObject({ from_minute: z.int().min(0), per_minute: z.number().min(0).max(1e7) }))
  .min(1)
  .max(MAX_MINUTES)

/** A replay request. Minutes count from `start`. */
export const replayInput = z.strictObject({
  start: z.iso.datetime().describe('UTC start of the replay, e.g. 2026-11-21T00:00:00Z'),
  minutes: z.int().min(1).max(MAX_MINUTES).default(1440),
  settings: settingsInput,
  initial: z
    .strictObject({
      status: z.enum(['running', 'paused']).default('paused'),
      daily_budget_micros: z.int().min(0).max(1e12).default(0),
      spent_micros: z.int().min(0).max(1e12).default(0),
    })
    .default({ status: 'paused', daily_budget_micros: 0, spent_micros: 0 }),
  clicks_per_minute: z.union([z.number().min(0).max(1e7), curve]).default(100),
  spend: z
    .array(z.strictObject({ minute: z.int().min(0), spent_micros: z.int().min(0).max(1e12) }))
    .max(MAX_MINUTES)
    .optional()
    .describe('recorded cumulative spent of the day; when given it replaces the model'),
  destinations: z
    .array(
      z.strictObject({
        id: z.string().min(1).max(100),
        remaining: z.int().min(0).max(1e9),
        added_at_minute: z.int().min(0).default(0),
      }),
    )
    .max(1000),
  /** Minutes when TrafficStars cannot be read (observation fails). */
  outages: z
    .array(z.strictObject({ from_minute: z.int().min(0), to_minute: z.int().min(0) }))
    .max(MAX_MINUTES)
    .default([]),
})
export type ReplayInput = z.input<typeof replayInput>

export interface ReplayStep {
  minute: number
  at: string
  actions: Array<{
    kind: Action['kind']
    max_daily_micros?: number
    end_time?: string
    rule: string
    text: string
  }>
  events: Array<{ kind: AuditEvent['kind']; rule: string; text: string }>
}

export interface ReplayResult {
  /** Only the minutes where something happened. */
  steps: ReplayStep[]
  final: {
    phase: string
    status: 'running' | 'paused'
    daily_budget_micros: number
    spent_micros: number
    remaining: number
    starts: number
    pauses: number
    budget_raises: number
  }
}

/** Runs a replay. @throws ZodError when the input is invalid (the API answers 400). */
export function replay(raw: ReplayInput): ReplayResult {
  const input = replayInput.parse(raw)
  const settings = toSettings(input.settings)
  const start = Date.parse(input.start)
  const world = {
    status: input.initial.status,
    maxDaily: input.initial.daily_budget_micros,
    endTime: null as string | null,
    spent: input.initial.spent_micros,
    day: utcDay(start),
    remaining: new Map<string, number>(),
  }
  let state = initialState(start)
  const steps: ReplayStep[] = []
  let starts = 0
  let pauses = 0
  let raises = 0
  let carry = 0

  for (let m = 0; m < input.minutes; m++) {
    const now = start + m * MIN
    if (utcDay(now) !== world.day) {
      world.day = utcDay(now)
      world.spent = 0
    }
    for (const d of input.destinations) if (d.added_at_minute === m) world.remaining.set(d.id, d.remaining)
    if (input.spend) {
      const point = input.spend.filter((p) => p.minute <= m).at(-1)
      if (point) world.spent = point.spent_micros
    }
    const out = input.outages.some((o) => m >= o.from_minute && m <= o.to_minute)
    const obs: Observation = {
      campaign: out ? null : { status: world.status, maxDailyMicros: world.maxDaily, endTime: world.endTime },
      spent: out ? null : { micros: world.spent, source: 'report' },
      destinations: [...world.remaining].map(([id, remaining]) => ({ id, remaining })),
    }
    const d = decide(settings, state, obs, now)
    state = d.state
    for (const a of d.actions) {
      switch (a.kind) {
        case 'run':
          world.status = 'running'
          starts++
          break
        case 'pause':
          world.status = 'paused'
          pauses++
          break
        case 'patch':
          if (a.maxDailyMicros !== undefined) {
            world.maxDaily = a.maxDailyMicros
            raises++
          }
          if (a.endTime !== undefined) world.endTime = a.endTime
          break
        default:
          unreachable(a)
      }
    }
    if (d.actions.length > 0 || d.events.length > 0) {
      steps.push({
        minute: m,
        at: new Date(now).toISOString(),
        actions: d.actions.map((a) => ({
          kind: a.kind,
          ...actionDetail(a),
          rule: a.reason.rule,
          text: a.reason.text,
        })),
        events: d.events.map((e) => ({ kind: e.kind, rule: e.reason.rule, text: e.reason.text })),
      })
    }
    // the minute passes
    const live = world.status === 'running' && (world.endTime === null || world.endTime > tsTime(now))
    if (live && world.spent < world.maxDaily) {
      const rate = clicksAt(input.clicks_per_minute, m) + carry
      const clicks = Math.floor(rate)
      carry = rate - clicks
      let left = clicks
      for (const [id, r] of world.remaining) {
        const used = Math.min(r, left)
        world.remaining.set(id, r - used)
        left -= used
      }
      if (!input.spend) {
        world.spent = Math.min(
          world.maxDaily,
          world.spent + Math.round((clicks * settings.pricePer1000Micros) / 1000),
        )
      }
    }
  }
  return {
    steps,
    final: {
      phase: state.phase,
      status: world.status,
      daily_budget_micros: world.maxDaily,
      spent_micros: world.spent,
      remaining: [...world.remaining.values()].reduce((a, b) => a + b, 0),
      starts,
      pauses,
      budget_raises: raises,
    },
  }
}

function clicksAt(c: number | Array<{ from_minute: number; per_minute: number }>, m: number): number {
  if (typeof c === 'number') return c
  return c.filter((p) => p.from_minute <= m).at(-1)?.per_minute ?? 0
}
