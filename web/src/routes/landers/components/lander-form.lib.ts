/**
 * Lander form ↔ API body. Tags are typed as one comma-separated text. Field names follow the
 * API's (`name`, `url`, `status`, `tags`, `notes`) so its field errors land under the inputs.
 */
import { z } from 'zod'
import type { Lander, LanderBody } from '@/hooks/api/landers'
import {
  formToOrganize,
  organizeFormFields,
  organizeToForm,
} from '../../campaigns/components/organize-fields.lib'

export const landerFormSchema = z.object({
  name: z.string().trim().min(1, 'Enter a name').max(200),
  url: z
    .string()
    .trim()
    .max(4000)
    .refine((u) => /^https?:\/\/[^/{}\s?#]+/i.test(u), 'Must be an absolute http(s) URL with a literal host'),
  status: z.enum(['active', 'paused', 'archived']),
  ...organizeFormFields,
})
export type LanderFormValues = z.infer<typeof landerFormSchema>

/** Form fields that API field errors may name. */
export const LANDER_FIELDS = ['name', 'url', 'status', 'tags', 'notes'] as const

export function landerToForm(l?: Lander): LanderFormValues {
  return {
    name: l?.name ?? '',
    url: l?.url ?? '',
    status: l?.status ?? 'active',
    ...organizeToForm(l),
  }
}

export function formToLander(v: LanderFormValues): LanderBody {
  return { name: v.name.trim(), url: v.url.trim(), status: v.status, ...formToOrganize(v) }
}

/** The lander click URL of a campaign: where a lander's call to action must link. */
export function landerClickUrl(origin: string, alias: string): string {
  return `${origin}/lp/${alias}/click`
}
