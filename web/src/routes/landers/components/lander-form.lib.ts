/**
 * Lander form ↔ API body. Tags are typed as one comma-separated text. Field names follow the
 * API's (`name`, `url`, `status`, `tags`, `notes`) so its field errors land under the inputs.
 */
import { z } from 'zod'
import type { Lander, LanderBody } from '@/hooks/api/landers'

export const landerFormSchema = z.object({
  name: z.string().trim().min(1, 'Enter a name').max(200),
  url: z
    .string()
    .trim()
    .max(4000)
    .refine((u) => /^https?:\/\/[^/{}\s?#]+/i.test(u), 'Must be an absolute http(s) URL with a literal host'),
  status: z.enum(['active', 'paused', 'archived']),
  tags: z
    .string()
    .refine((t) => splitTags(t).every((x) => x.length <= 50), 'Each tag at most 50 characters')
    .refine((t) => splitTags(t).length <= 50, 'At most 50 tags'),
  notes: z.string().max(5000),
})
export type LanderFormValues = z.infer<typeof landerFormSchema>

/** Form fields that API field errors may name. */
export const LANDER_FIELDS = ['name', 'url', 'status', 'tags', 'notes'] as const

/** "a, b,,c " → ["a", "b", "c"] (duplicates dropped). */
export function splitTags(text: string): string[] {
  return [
    ...new Set(
      text
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ]
}

export function landerToForm(l?: Lander): LanderFormValues {
  return {
    name: l?.name ?? '',
    url: l?.url ?? '',
    status: l?.status ?? 'active',
    tags: (l?.tags ?? []).join(', '),
    notes: l?.notes ?? '',
  }
}

export function formToLander(v: LanderFormValues): LanderBody {
  return { name: v.name.trim(), url: v.url.trim(), status: v.status, tags: splitTags(v.tags), notes: v.notes }
}

/** The lander click URL of a campaign: where a lander's call to action must link. */
export function landerClickUrl(origin: string, alias: string): string {
  return `${origin}/lp/${alias}/click`
}
