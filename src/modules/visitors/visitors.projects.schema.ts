/**
 * zod schemas of the visitor projects API (`/api/v1/projects`): bodies, query and response
 * shapes. Timestamps are ISO 8601 (UTC); money in minor units (cents); rates per minute.
 * `settings` is any JSON object here (kept verbatim); its engine fields are checked by
 * `parseEngineSettings` (visitors.settings.ts) in the route, with field-level errors.
 */
import { z } from 'zod'
import { isIanaTimeZone } from './visitors.settings.ts'

const name = z.string().trim().min(1).max(200)
const planType = z
  .string()
  .trim()
  .min(1)
  .max(50)
  .describe('the plan the project runs on, free text (default "Custom")')
const dailyLimit = z
  .number()
  .int()
  .min(0)
  .max(1_000_000_000)
  .describe('visits per day in `timezone`; 0 = no limit')
const totalTarget = z
  .number()
  .int()
  .min(0)
  .max(1_000_000_000_000)
  .describe("visits over the project's life; 0 = none")
const expiresAt = z.iso.datetime({ offset: true }).nullable().describe('ISO 8601; null = never')
const timezone = z
  .string()
  .max(64)
  .refine(isIanaTimeZone, 'must be an IANA time zone such as Europe/Berlin or UTC')
  .describe("IANA time zone of the daily limit's days (default UTC)")
const settings = z
  .record(z.string(), z.unknown())
  .describe(
    'stored verbatim (≤ 64 KiB, ≤ 10 levels); engine fields: urls, trafficSpeed, deviceSplit, geoTargets, timeOnPage, referrer, mode',
  )

/** Body of `POST /projects`. */
export const projectCreate = z.strictObject({
  name,
  plan_type: planType.optional(),
  daily_limit: dailyLimit.optional(),
  total_target: totalTarget.optional(),
  expires_at: expiresAt.optional(),
  timezone: timezone.optional(),
  settings,
})
/** Parsed {@link projectCreate}. */
export type ProjectCreate = z.infer<typeof projectCreate>

/** Body of `PATCH /projects/:id`: any subset; `settings` replaces the whole object. */
export const projectPatch = z.strictObject({
  name: name.optional(),
  plan_type: planType.optional(),
  daily_limit: dailyLimit.optional(),
  total_target: totalTarget.optional(),
  expires_at: expiresAt.optional(),
  timezone: timezone.optional(),
  settings: settings.optional(),
})
/** Parsed {@link projectPatch}. */
export type ProjectPatch = z.infer<typeof projectPatch>

/** Query of `GET /projects`. */
export const projectListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50).describe('page size, 1–500'),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0).describe('rows to skip'),
})

const ts = z.string().describe('ISO 8601 timestamp')

/** Daily estimate of a project at its speed (see `estimateDaily`). */
export const estimateOut = z.object({
  visits_per_minute: z.number(),
  visits_per_day: z.number(),
  credits_per_day: z.number().describe('one credit per completed visit'),
  rate_minor_per_1000: z.number().describe('billing CPM those credits are bought at, minor units'),
  cost_minor_per_day: z.number().describe('minor units (cents) per day at that rate'),
})

/** A project as the API shows it. */
export const projectOut = z.object({
  id: z.uuid(),
  name: z.string(),
  status: z.enum(['active', 'stopped', 'completed', 'paused']),
  pause_reason: z.string().nullable().describe('why the engine paused it (status paused)'),
  plan_type: z.string(),
  daily_limit: z.number(),
  total_target: z.number(),
  expires_at: ts.nullable(),
  timezone: z.string(),
  settings: z.record(z.string(), z.unknown()).describe('exactly as saved'),
  visits_done: z.number(),
  estimate: estimateOut.nullable(),
  created_at: ts,
  updated_at: ts,
})

/** One host of a project's verification view. */
export const hostVerificationOut = z.object({
  host: z.string(),
  status: z.enum(['pending', 'verified', 'failed', 'stale']),
  method: z.enum(['http', 'dns']).nullable(),
  token: z.string(),
  verified_at: ts.nullable(),
  checked_at: ts.nullable(),
  last_error: z.string().nullable(),
  instructions: z.object({
    file: z.object({ url: z.string(), content: z.string() }),
    dns: z.object({ name: z.string(), type: z.literal('TXT'), value: z.string() }).nullable(),
  }),
})

/** `GET /projects/:id/verification`. */
export const verificationOut = z.object({
  project_id: z.uuid(),
  verified: z.boolean().describe('every host verified and not stale'),
  stale_after_hours: z.number(),
  hosts: z.array(hostVerificationOut),
})
