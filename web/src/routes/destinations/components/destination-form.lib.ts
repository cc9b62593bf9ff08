/**
 * Destination form ↔ API body. The form keeps numbers as typed strings (empty = unset) and
 * money in currency units; the API takes integers and payout in cents. Field names follow
 * the API's paths (`payout_cents`, `health_check.interval_seconds` …) so its field errors
 * land under the right inputs.
 */
import { z } from 'zod'
import type { Destination, DestinationBody } from '@/hooks/api/destinations'
import {
  formToOrganize,
  organizeFormFields,
  organizeToForm,
} from '../../campaigns/components/organize-fields.lib'
import { MACRO_NAMES } from '../../../../../src/modules/routing/core/macros.ts'

const intText = (min: number, max: number, label = 'a whole number') =>
  z
    .string()
    .trim()
    .refine((v) => v === '' || (/^\d+$/.test(v) && Number(v) >= min && Number(v) <= max), {
      message: `Enter ${label} between ${min} and ${max}`,
    })
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'Expected HH:MM')

export const destinationFormSchema = z.object({
  name: z.string().trim().min(1, 'Enter a name').max(200),
  url: z
    .string()
    .trim()
    .max(4000)
    .refine((u) => /^https?:\/\/[^/{}\s?#]+/i.test(u), 'Must be an absolute http(s) URL with a literal host'),
  network_id: z.string(),
  payout_cents: z
    .string()
    .trim()
    .refine((v) => v === '' || /^\d+(\.\d{1,2})?$/.test(v), 'Enter an amount like 1.50'),
  currency: z
    .string()
    .trim()
    .regex(/^[A-Za-z]{3}$/, 'ISO 4217 code, e.g. USD'),
  status: z.enum(['active', 'paused', 'archived']),
  daily_click_cap: intText(1, 1e9),
  total_click_cap: intText(1, 1e12),
  cap_timezone: z.string().trim().min(1, 'Enter a timezone'),
  schedule_enabled: z.boolean(),
  schedule: z.object({ days: z.array(z.string()), from: hhmm, to: hhmm }),
  health_check: z.object({
    enabled: z.boolean(),
    url: z.string().trim(),
    method: z.enum(['GET', 'HEAD']),
    expected_statuses: z
      .string()
      .refine((v) => /^\s*\d{3}(\s*,\s*\d{3})*\s*$/.test(v), 'Comma-separated HTTP statuses, e.g. 200, 302'),
    interval_seconds: intText(10, 86400),
    timeout_ms: intText(100, 30000),
    failure_threshold: intText(1, 20),
  }),
  ...organizeFormFields,
})
export type DestinationFormValues = z.infer<typeof destinationFormSchema>

/** Form fields that API field errors may name. */
export const DESTINATION_FIELDS = [
  'name',
  'url',
  'network_id',
  'payout_cents',
  'currency',
  'status',
  'daily_click_cap',
  'total_click_cap',
  'cap_timezone',
  'schedule.days',
  'schedule.from',
  'schedule.to',
  'health_check.url',
  'health_check.method',
  'health_check.expected_statuses',
  'health_check.interval_seconds',
  'health_check.timeout_ms',
  'health_check.failure_threshold',
  'tags',
  'notes',
] as const

const str = (n: number | null | undefined) => (n === null || n === undefined ? '' : String(n))

/** Form values of an existing destination, or of a new one. */
export function destinationToForm(d?: Destination): DestinationFormValues {
  const hc = d?.health_check
  return {
    name: d?.name ?? '',
    url: d?.url ?? '',
    network_id: d?.network_id ?? '',
    payout_cents: d?.payout_cents ? (d.payout_cents / 100).toFixed(2) : '',
    currency: d?.currency ?? 'USD',
    status: d?.status ?? 'active',
    daily_click_cap: str(d?.daily_click_cap),
    total_click_cap: str(d?.total_click_cap),
    cap_timezone: d?.cap_timezone ?? 'UTC',
    schedule_enabled: !!d?.schedule,
    schedule: {
      days: (d?.schedule?.days ?? [1, 2, 3, 4, 5, 6, 7]).map(String),
      from: d?.schedule?.from ?? '00:00',
      to: d?.schedule?.to ?? '23:59',
    },
    health_check: {
      enabled: hc?.enabled ?? false,
      url: hc?.url ?? '',
      method: hc?.method ?? 'GET',
      expected_statuses: (hc?.expected_statuses ?? [200, 301, 302]).join(', '),
      interval_seconds: str(hc?.interval_seconds ?? 60),
      timeout_ms: str(hc?.timeout_ms ?? 5000),
      failure_threshold: str(hc?.failure_threshold ?? 3),
    },
    ...organizeToForm(d),
  }
}

const intOrNull = (v: string) => (v.trim() === '' ? null : Number(v))

/** API body of the form values (unset caps and schedule are `null`, so an edit clears them). */
export function formToDestination(v: DestinationFormValues): DestinationBody {
  const hc = v.health_check
  return {
    name: v.name.trim(),
    url: v.url.trim(),
    network_id: v.network_id || null,
    payout_cents: v.payout_cents.trim() === '' ? 0 : Math.round(Number(v.payout_cents) * 100),
    currency: v.currency.trim().toUpperCase(),
    status: v.status,
    daily_click_cap: intOrNull(v.daily_click_cap),
    total_click_cap: intOrNull(v.total_click_cap),
    cap_timezone: v.cap_timezone.trim(),
    schedule: v.schedule_enabled
      ? {
          days: v.schedule.days.map(Number).sort((a, b) => a - b),
          from: v.schedule.from,
          to: v.schedule.to,
        }
      : null,
    health_check: {
      enabled: hc.enabled,
      ...(hc.url.trim() ? { url: hc.url.trim() } : {}),
      method: hc.method,
      expected_statuses: hc.expected_statuses.split(',').map((s) => Number(s.trim())),
      interval_seconds: Number(hc.interval_seconds || 60),
      timeout_ms: Number(hc.timeout_ms || 5000),
      failure_threshold: Number(hc.failure_threshold || 3),
    },
    ...formToOrganize(v),
  }
}

/** Macros a destination URL may carry (shown as a hint under the URL field). */
export const URL_MACROS = MACRO_NAMES.map((m) => `{${m}}`)
