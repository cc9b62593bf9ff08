/**
 * Form schema of an API key (`POST /api/v1/api-keys` and `PATCH /api/v1/api-keys/:id`):
 * name 1–200 characters, one scope (each includes the lower ones, so one is enough), and an
 * optional expiry day (`YYYY-MM-DD`, tomorrow to a year from today; the key expires at the end
 * of that day, local time).
 */
import { z } from 'zod'

/** `YYYY-MM-DD` of the local day `days` after today. */
export function localDay(days: number, now: Date = new Date()): string {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() + days)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

/** The instant a key given expiry day `day` (`YYYY-MM-DD`) expires: the end of that local day, ISO. */
export function expiryInstant(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number]
  return new Date(y, m - 1, d, 23, 59, 59).toISOString()
}

/** The local `YYYY-MM-DD` of an ISO instant (to prefill the expiry field). */
export function dayOf(iso: string): string {
  return localDay(0, new Date(iso))
}

export const apiKeySchema = z
  .object({
    name: z.string().trim().min(1, 'Name the key').max(200),
    scope: z.enum(['read', 'write', 'admin']),
    /** '' = never expires. */
    expires: z.string(),
  })
  .superRefine((v, ctx) => {
    if (v.expires === '') return
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v.expires))
      ctx.addIssue({ code: 'custom', path: ['expires'], message: 'Pick a date' })
    else if (v.expires < localDay(1))
      ctx.addIssue({ code: 'custom', path: ['expires'], message: 'Pick a day after today' })
    else if (v.expires > localDay(365))
      ctx.addIssue({ code: 'custom', path: ['expires'], message: 'At most one year from today' })
  })
export type ApiKeyValues = z.infer<typeof apiKeySchema>
