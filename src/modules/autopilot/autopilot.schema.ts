/**
 * zod schemas of the autopilot API. Money is integer **micros of USD** (`_micros`), like
 * `cost_micros` elsewhere in the API; clicks are counts; times are ISO 8601 UTC.
 */
import { z } from 'zod'
import { httpUrl } from '../../platform/net/url.schema.ts'
import { type AutopilotSettings, DEFAULT_SETTINGS } from './autopilot.core.ts'

const USD = 1_000_000
const micros = (max: number) => z.int().min(0).max(max)

/** Per-campaign settings (API names). Absent fields take `DEFAULT_SETTINGS`. */
export const settingsInput = z.strictObject({
  price_per_1000_micros: z
    .int()
    .min(1)
    .max(1_000 * USD)
    .describe('what the TrafficStars campaign pays per 1,000 clicks, micros of USD'),
  wait_minutes: z.int().min(0).max(1_440).default(DEFAULT_SETTINGS.waitMinutes),
  spent_threshold_micros: micros(100_000 * USD).default(DEFAULT_SETTINGS.spentThresholdMicros),
  start_above_clicks: z.int().min(0).max(1e9).default(DEFAULT_SETTINGS.startAboveClicks),
  pause_at_clicks: z.int().min(0).max(1e9).default(DEFAULT_SETTINGS.pauseAtClicks),
  high_budget_micros: micros(1_000_000 * USD).default(DEFAULT_SETTINGS.highBudgetMicros),
  budget_interval_minutes: z.int().min(1).max(1_440).default(DEFAULT_SETTINGS.budgetIntervalMinutes),
  threshold_margin_micros: micros(1_000_000 * USD).default(DEFAULT_SETTINGS.thresholdMarginMicros),
  daily_budget_cap_micros: micros(1_000_000 * USD).default(DEFAULT_SETTINGS.dailyBudgetCapMicros),
  max_cycles_per_day: z.int().min(1).max(1_000).default(DEFAULT_SETTINGS.maxCyclesPerDay),
})
export type SettingsInput = z.output<typeof settingsInput>

/** Checks that need two fields; returns issues as `[{path, message}]`. */
export function settingsIssues(s: AutopilotSettings): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = []
  if (s.pauseAtClicks >= s.startAboveClicks)
    out.push({ path: 'settings.pause_at_clicks', message: 'must be below start_above_clicks' })
  return out
}

export const toSettings = (i: SettingsInput): AutopilotSettings => ({
  pricePer1000Micros: i.price_per_1000_micros,
  waitMinutes: i.wait_minutes,
  spentThresholdMicros: i.spent_threshold_micros,
  startAboveClicks: i.start_above_clicks,
  pauseAtClicks: i.pause_at_clicks,
  highBudgetMicros: i.high_budget_micros,
  budgetIntervalMinutes: i.budget_interval_minutes,
  thresholdMarginMicros: i.threshold_margin_micros,
  dailyBudgetCapMicros: i.daily_budget_cap_micros,
  maxCyclesPerDay: i.max_cycles_per_day,
})

export const fromSettings = (s: AutopilotSettings): SettingsInput => ({
  price_per_1000_micros: s.pricePer1000Micros,
  wait_minutes: s.waitMinutes,
  spent_threshold_micros: s.spentThresholdMicros,
  start_above_clicks: s.startAboveClicks,
  pause_at_clicks: s.pauseAtClicks,
  high_budget_micros: s.highBudgetMicros,
  budget_interval_minutes: s.budgetIntervalMinutes,
  threshold_margin_micros: s.thresholdMarginMicros,
  daily_budget_cap_micros: s.dailyBudgetCapMicros,
  max_cycles_per_day: s.maxCyclesPerDay,
})

const baseUrl = httpUrl
  .max(500)
  .describe('TrafficStars API base URL, e.g. https://api.trafficstars.com (or a simulator)')

export const accountCreate = z.strictObject({
  name: z.string().trim().min(1).max(200),
  base_url: baseUrl.default('https://api.trafficstars.com'),
  api_key: z.string().trim().min(8).max(4_000).describe('the API key (OAuth2 refresh token); write-only'),
})
export const accountPatch = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  base_url: baseUrl.optional(),
  api_key: z.string().trim().min(8).max(4_000).optional(),
})
export const accountOut = z.object({
  id: z.uuid(),
  name: z.string(),
  base_url: z.string(),
  api_key_hint: z.string().describe('"…" + last 4 characters; the key itself is never returned'),
  created_at: z.string(),
})

export const campaignCreate = z.strictObject({
  campaign_id: z.uuid().describe('the router campaign whose destinations give the remaining clicks'),
  account_id: z.uuid(),
  ts_campaign_id: z.int().min(1).max(Number.MAX_SAFE_INTEGER),
  enabled: z.boolean().default(false),
  settings: settingsInput,
})
export const campaignPatch = z.strictObject({
  account_id: z.uuid().optional(),
  ts_campaign_id: z.int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  settings: settingsInput.partial().optional(),
})

const reasonOut = z.object({ rule: z.string(), text: z.string(), inputs: z.record(z.string(), z.unknown()) })
const actionOut = z.object({
  kind: z.enum(['run', 'pause', 'patch']),
  max_daily_micros: z.number().optional(),
  end_time: z.string().optional(),
  correction: z.boolean(),
  reason: reasonOut,
})
const eventOut = z.object({ kind: z.string(), reason: reasonOut })

export const stateOut = z.object({
  phase: z.enum(['IDLE', 'WAITING', 'CONDITION_ONE', 'CONDITION_TWO']),
  condition: z
    .union([z.literal(1), z.literal(2), z.null()])
    .describe('1 = spent below threshold, 2 = at or above'),
  day: z.string(),
  wait_until: z.string().nullable(),
  expected_status: z.enum(['running', 'paused']).nullable(),
  expected_end_time: z.string().nullable(),
  unconfirmed_daily_budget_micros: z.number().nullable(),
  budgeted: z.record(z.string(), z.number()).describe('destination id → micros added today'),
  pending: z.record(z.string(), z.number()).describe('destination id → micros waiting (high-budget mode)'),
  pending_total_micros: z.number(),
  cycles_today: z.number(),
  problem: z.string().nullable(),
})

export const campaignOut = z.object({
  id: z.uuid(),
  campaign_id: z.uuid(),
  campaign_name: z.string().nullable(),
  account_id: z.uuid(),
  ts_campaign_id: z.number(),
  enabled: z.boolean(),
  settings: settingsInput,
  state: stateOut,
  last_observation: z.record(z.string(), z.unknown()).nullable(),
  last_tick_at: z.string().nullable(),
  next_check_at: z.string().nullable(),
  remaining_clicks: z.number().nullable().describe('now, from the router (total caps − delivered)'),
})

export const planOut = z.object({
  observation: z.record(z.string(), z.unknown()),
  before: stateOut,
  after: stateOut,
  actions: z.array(actionOut),
  events: z.array(eventOut),
})

export const auditOut = z.object({
  id: z.number(),
  at: z.string(),
  kind: z.string(),
  rule: z.string(),
  text: z.string(),
  inputs: z.record(z.string(), z.unknown()),
  outcome: z.string(),
  error: z.string().nullable(),
})

export { actionOut, eventOut }
