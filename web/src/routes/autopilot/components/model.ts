/**
 * Pure helpers of the autopilot page: micros ↔ dollars, the state label, and the settings
 * form (dollars in the form, micros in the API) with the mapping of API field errors onto it.
 */
import { z } from 'zod'
import type { AutopilotSettings, AutopilotState } from '@/hooks/api/autopilot'
import { ApiError } from '@/lib/api'
import { formatTime } from '@/lib/format'

export const MICROS_PER_USD = 1_000_000

/** 12_340_000 → "$12.34"; null/undefined → null (callers decide what "missing" means). */
export function usd(micros: number | null | undefined): string | null {
  if (micros === null || micros === undefined || !Number.isFinite(micros)) return null
  return (micros / MICROS_PER_USD).toLocaleString('en-US', { style: 'currency', currency: 'USD' })
}

/** Dollars (as typed) → integer micros, rounded to the micro. */
export function toMicros(dollars: number): number {
  return Math.round(dollars * MICROS_PER_USD)
}

/** Micros → dollars for a form field (no float noise: 2.1 stays 2.1). */
export function toDollars(micros: number): number {
  return Math.round(micros) / MICROS_PER_USD
}

/** Headline of the state indicator: "IDLE", "WAITING until 14:02:00", "CONDITION 1 (spent < $10.00)". */
export function phaseLabel(state: AutopilotState, settings: AutopilotSettings): string {
  const threshold = usd(settings.spent_threshold_micros)
  switch (state.phase) {
    case 'IDLE':
      return 'IDLE'
    case 'WAITING':
      return state.wait_until ? `WAITING until ${formatTime(state.wait_until)}` : 'WAITING'
    case 'CONDITION_ONE':
      return `CONDITION 1 (spent < ${threshold})`
    case 'CONDITION_TWO':
      return `CONDITION 2 (spent ≥ ${threshold})`
  }
}

/**
 * A number typed in an `<input type="number">` (a string): empty → "required" with
 * `message`, not 0 as `z.coerce.number()` would make it.
 */
export const typedNumber = <T extends z.ZodType<number>>(schema: T) =>
  z.preprocess((v) => (v === '' || v === null || v === undefined ? undefined : Number(v)), schema)

const money = (label: string, max: number) =>
  z
    .number({ error: `Enter ${label} in dollars` })
    .min(0, 'Must be 0 or more')
    .max(max, `At most $${max.toLocaleString('en-US')}`)
const count = (min: number, max: number) =>
  typedNumber(
    z
      .number({ error: 'Enter a whole number' })
      .int('Enter a whole number')
      .min(min, `At least ${min}`)
      .max(max, `At most ${max.toLocaleString('en-US')}`),
  )

/** The settings form: the API's rules (autopilot.schema.ts), money in dollars. */
export const settingsFormSchema = z
  .object({
    ts_campaign_id: count(1, Number.MAX_SAFE_INTEGER),
    price_per_1000: typedNumber(money('the price', 1_000).gt(0, 'Must be above 0')),
    wait_minutes: count(0, 1_440),
    spent_threshold: typedNumber(money('the threshold', 100_000)),
    start_above_clicks: count(0, 1e9),
    pause_at_clicks: count(0, 1e9),
    high_budget: typedNumber(money('the amount', 1_000_000)),
    budget_interval_minutes: count(1, 1_440),
    threshold_margin: typedNumber(money('the margin', 1_000_000)),
    daily_budget_cap: typedNumber(money('the cap', 1_000_000)),
    max_cycles_per_day: count(1, 1_000),
  })
  .refine((v) => v.pause_at_clicks < v.start_above_clicks, {
    path: ['pause_at_clicks'],
    message: 'Must be below “start above”',
  })
export type SettingsFormInput = z.input<typeof settingsFormSchema>
export type SettingsFormValues = z.output<typeof settingsFormSchema>
export const SETTINGS_FIELDS = [
  'ts_campaign_id',
  'price_per_1000',
  'wait_minutes',
  'spent_threshold',
  'start_above_clicks',
  'pause_at_clicks',
  'high_budget',
  'budget_interval_minutes',
  'threshold_margin',
  'daily_budget_cap',
  'max_cycles_per_day',
] as const

/** The form's values for a campaign. */
export function settingsToForm(tsCampaignId: number, s: AutopilotSettings): SettingsFormValues {
  return {
    ts_campaign_id: tsCampaignId,
    price_per_1000: toDollars(s.price_per_1000_micros),
    wait_minutes: s.wait_minutes,
    spent_threshold: toDollars(s.spent_threshold_micros),
    start_above_clicks: s.start_above_clicks,
    pause_at_clicks: s.pause_at_clicks,
    high_budget: toDollars(s.high_budget_micros),
    budget_interval_minutes: s.budget_interval_minutes,
    threshold_margin: toDollars(s.threshold_margin_micros),
    daily_budget_cap: toDollars(s.daily_budget_cap_micros),
    max_cycles_per_day: s.max_cycles_per_day,
  }
}

/** The `PATCH /autopilot/campaigns/:id` body of the form's values. */
export function formToPatch(v: SettingsFormValues): { ts_campaign_id: number; settings: AutopilotSettings } {
  return {
    ts_campaign_id: v.ts_campaign_id,
    settings: {
      price_per_1000_micros: toMicros(v.price_per_1000),
      wait_minutes: v.wait_minutes,
      spent_threshold_micros: toMicros(v.spent_threshold),
      start_above_clicks: v.start_above_clicks,
      pause_at_clicks: v.pause_at_clicks,
      high_budget_micros: toMicros(v.high_budget),
      budget_interval_minutes: v.budget_interval_minutes,
      threshold_margin_micros: toMicros(v.threshold_margin),
      daily_budget_cap_micros: toMicros(v.daily_budget_cap),
      max_cycles_per_day: v.max_cycles_per_day,
    },
  }
}

/**
 * API field paths → form field names (`settings.price_per_1000_micros` → `price_per_1000`),
 * so `applyApiErrors` puts the API's messages under the dollar fields.
 */
export function renameSettingsErrors(e: unknown): unknown {
  if (!(e instanceof ApiError) || e.fieldErrors.length === 0) return e
  const fieldErrors = e.fieldErrors.map((f) => ({
    path: f.path.replace(/^settings\./, '').replace(/_micros$/, ''),
    message: f.message,
  }))
  return new ApiError(e.status, e.code, e.message, e.details, fieldErrors)
}
