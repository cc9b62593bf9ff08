/**
 * Campaign form ↔ API body. Field names follow the API paths (`trafficback.url`,
 * `anti_repeat.window_seconds`) so its field errors land under the inputs.
 */
import { z } from 'zod'
import type { Campaign, CampaignBody } from '@/hooks/api/campaigns'
import { formToOrganize, organizeFormFields, organizeToForm } from './organize-fields.lib'

export const campaignFormSchema = z
  .object({
    name: z.string().trim().min(1, 'Enter a name').max(200),
    alias: z.string().regex(/^[A-Za-z0-9_-]{2,64}$/, '2–64 characters: A–Z a–z 0–9 _ -'),
    source_id: z.string(),
    status: z.enum(['active', 'paused', 'archived']),
    timezone: z.string().trim().min(1, 'Enter a timezone'),
    trafficback: z.object({
      type: z.enum(['none', 'url', 'campaign']),
      url: z.string().trim(),
      campaign_id: z.string(),
    }),
    anti_repeat: z.object({
      enabled: z.boolean(),
      window_seconds: z.string().trim(),
    }),
    /** List fields: group (≤ 60), tags as comma-separated text (≤ 20 of ≤ 40 chars), notes (≤ 2000). */
    group_name: z.string().trim().max(60, 'At most 60 characters'),
    ...organizeFormFields,
  })
  .superRefine((v, ctx) => {
    if (v.trafficback.type === 'url' && !/^https?:\/\/\S+$/i.test(v.trafficback.url))
      ctx.addIssue({ code: 'custom', path: ['trafficback', 'url'], message: 'Enter an http(s) URL' })
    if (v.trafficback.type === 'campaign' && !v.trafficback.campaign_id)
      ctx.addIssue({ code: 'custom', path: ['trafficback', 'campaign_id'], message: 'Pick a campaign' })
    const w = Number(v.anti_repeat.window_seconds)
    if (v.anti_repeat.enabled && !(Number.isInteger(w) && w >= 1 && w <= 31 * 86400))
      ctx.addIssue({
        code: 'custom',
        path: ['anti_repeat', 'window_seconds'],
        message: 'Whole seconds between 1 and 2678400 (31 days)',
      })
  })
export type CampaignFormValues = z.infer<typeof campaignFormSchema>

export const CAMPAIGN_FIELDS = [
  'name',
  'alias',
  'source_id',
  'status',
  'timezone',
  'trafficback.url',
  'trafficback.campaign_id',
  'anti_repeat.window_seconds',
  'group_name',
  'tags',
  'notes',
] as const

/** Form values of an existing campaign, or of a new one. */
export function campaignToForm(c?: Campaign): CampaignFormValues {
  const tb = c?.trafficback ?? { type: 'none' as const }
  return {
    name: c?.name ?? '',
    alias: c?.alias ?? '',
    source_id: c?.source_id ?? '',
    status: c?.status ?? 'active',
    timezone: c?.timezone ?? 'UTC',
    trafficback: {
      type: tb.type,
      url: tb.type === 'url' ? tb.url : '',
      campaign_id: tb.type === 'campaign' ? tb.campaign_id : '',
    },
    anti_repeat: {
      enabled: c?.anti_repeat?.enabled ?? false,
      window_seconds: String(c?.anti_repeat?.window_seconds ?? 86400),
    },
    group_name: c?.group_name ?? '',
    ...organizeToForm(c),
  }
}

/** API body of the form values. */
export function formToCampaign(v: CampaignFormValues): CampaignBody {
  const tb = v.trafficback
  return {
    name: v.name.trim(),
    alias: v.alias,
    source_id: v.source_id || null,
    status: v.status,
    timezone: v.timezone.trim(),
    trafficback:
      tb.type === 'url'
        ? { type: 'url', url: tb.url.trim() }
        : tb.type === 'campaign'
          ? { type: 'campaign', campaign_id: tb.campaign_id }
          : { type: 'none' },
    anti_repeat: {
      enabled: v.anti_repeat.enabled,
      window_seconds: Number(v.anti_repeat.window_seconds) || 86400,
    },
    group_name: v.group_name.trim() || null,
    ...formToOrganize(v),
  }
}

/** A URL alias suggested from a name: "Summer Sale US" → "summer-sale-us". */
export function aliasFromName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-')
    .replace(/-+/g, '-')
    .slice(0, 64)
}

/** One `<option>` of a select: `value` is an ID ("" for none). */
export interface SelectOption {
  value: string
  label: string
}

/** A row a picker lists: its id, name and (lists with an archive) status. */
export interface PickerItem {
  id: string
  name: string
  status?: string | undefined
}

/** A picker's label of a row: its name, with " (archived)" for an archived one. */
export function pickerLabel(it: { name: string; status?: string | undefined }): string {
  return it.status === 'archived' ? `${it.name} (archived)` : it.name
}

/**
 * The rows a picker offers to add: not archived and not already in `taken`. Pickers load
 * their list with `status=all` (lists hide archived rows by default) so a saved reference
 * to an archived row still has its name; only new choices leave archived rows out.
 */
export function pickable<T extends PickerItem>(
  items: readonly T[] | undefined,
  taken: ReadonlySet<string> = new Set(),
): T[] {
  return (items ?? []).filter((it) => it.status !== 'archived' && !taken.has(it.id))
}

/**
 * Options of a select of entities (the campaign's traffic source, the trafficback
 * campaign, the offer's network) that always contain the current value: a native `<select>`
 * whose value has no option shows its first option — which made an edited campaign read
 * "Traffic source: None" while the sources were still loading. Archived rows (the list is
 * loaded with `status=all`) are offered only when they are the current value, labelled
 * "<name> (archived)". The current ID missing from `items` gets a stand-in option
 * ("Loading…" while `loading`, else `missingLabel`) so the select keeps it.
 *
 * @param items entities `{id, name, status?}` as listed by the API, or undefined while loading.
 * @param current the form's value (an ID, or "" for none).
 * @param none label of the "" option (e.g. "None"), first.
 */
export function optionsWithCurrent(
  items: readonly PickerItem[] | undefined,
  current: string,
  none: string,
  loading: boolean,
  missingLabel = 'Not found',
): SelectOption[] {
  const opts: SelectOption[] = [{ value: '', label: none }]
  for (const it of items ?? []) {
    if (it.status === 'archived' && it.id !== current) continue
    opts.push({ value: it.id, label: pickerLabel(it) })
  }
  if (current && !opts.some((o) => o.value === current))
    opts.push({ value: current, label: loading ? 'Loading…' : missingLabel })
  return opts
}
