/**
 * zod schemas for the routing configuration: the shapes the admin API accepts and the
 * configuration store persists (conditions, schedules, caps, health checks, trafficback).
 *
 * Units: money in integer minor units of `currency` (cents) unless named `*_micros`
 * (millionths of a currency unit); durations in seconds; times of day "HH:MM" in the
 * campaign's IANA timezone; weekdays ISO 1 = Monday … 7 = Sunday.
 */
import { z } from 'zod'
import { httpUrl } from '../../platform/net/url.schema.ts'
import { sourceParamsSchema } from './source.templates.ts'

export const id = z.uuid()
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (00:00–23:59)')
const weekday = z.number().int().min(1).max(7)

/** IANA timezone name accepted by Intl (e.g. "Europe/Berlin", "UTC"). */
export const timezone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz })
      return true
    } catch {
      return false
    }
  },
  { message: 'unknown IANA timezone' },
)

/** Weekly window: active on `days` between `from` (inclusive) and `to` (exclusive); from > to wraps midnight. */
export const scheduleSchema = z.object({
  days: z.array(weekday).min(1).max(7).default([1, 2, 3, 4, 5, 6, 7]),
  from: hhmm.default('00:00'),
  to: hhmm.default('23:59'),
})
export type Schedule = z.infer<typeof scheduleSchema>

const op = z.enum(['is', 'is_not']).default('is')
const strList = (max = 500) => z.array(z.string().max(500)).min(1).max(max)

/**
 * One condition. `op: 'is'` matches when the request's value is in `values`;
 * `is_not` inverts it. Patterns (`user_agent`, `referrer`, `param`) accept `*` wildcards
 * and match case-insensitively; a referrer value of `""` matches an empty referrer.
 */
export const conditionSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('country'),
    op,
    values: strList().transform((v) => v.map((c) => c.toUpperCase())),
  }),
  z.object({
    type: z.literal('language'),
    op,
    values: strList().transform((v) => v.map((c) => c.toLowerCase())),
  }),
  z.object({
    type: z.literal('device'),
    op,
    values: z.array(z.enum(['desktop', 'mobile', 'tablet', 'other'])).min(1),
  }),
  z.object({ type: z.literal('os'), op, values: strList() }),
  z.object({ type: z.literal('browser'), op, values: strList() }),
  z.object({ type: z.literal('ip'), op, values: strList(1000) }),
  z.object({ type: z.literal('user_agent'), op, values: strList() }),
  z.object({ type: z.literal('referrer'), op, values: z.array(z.string().max(500)).min(1).max(500) }),
  z.object({
    type: z.literal('param'),
    op,
    name: z.string().min(1).max(64),
    values: z.array(z.string().max(500)).min(1).max(500),
  }),
  z.object({ type: z.literal('source'), op, values: strList() }),
  z.object({ type: z.literal('bot'), op }),
  z.object({ type: z.literal('schedule'), op, schedule: scheduleSchema }),
  /** Visitor (user key) not seen in this campaign within `window_seconds`. */
  z.object({
    type: z.literal('unique'),
    op,
    window_seconds: z
      .number()
      .int()
      .min(1)
      .max(31 * 86400)
      .default(86400),
  }),
])
export type Condition = z.infer<typeof conditionSchema>
/**
 * The kinds of condition (`type`). Code that must handle every kind is keyed by this type
 * (`Record<ConditionKind, …>` maps, `never` checks in switches), so a new kind does not
 * compile until each such place handles it (README.md: "To add a condition").
 */
export type ConditionKind = Condition['type']

/** Groups of rules: rules inside a group joined by `group.join`, groups joined by `join`. Empty = match all. */
export const conditionsSchema = z
  .object({
    join: z.enum(['and', 'or']).default('and'),
    groups: z
      .array(
        z.object({
          join: z.enum(['and', 'or']).default('and'),
          rules: z.array(conditionSchema).min(1).max(50),
        }),
      )
      .max(20)
      .default([]),
  })
  .default({ join: 'and', groups: [] })
export type Conditions = z.infer<typeof conditionsSchema>

export const healthCheckSchema = z.object({
  enabled: z.boolean().default(false),
  /**
   * http(s) URL to probe; defaults to the destination URL with macros emptied. A private
   * host is refused at save time unless HEALTHCHECK_ALLOW_PRIVATE (routing.routes.ts).
   */
  url: httpUrl.optional(),
  method: z.enum(['GET', 'HEAD']).default('GET'),
  expected_statuses: z.array(z.number().int().min(100).max(599)).min(1).default([200, 301, 302]),
  interval_seconds: z.number().int().min(10).max(86400).default(60),
  timeout_ms: z.number().int().min(100).max(30000).default(5000),
  /** Consecutive failures before the destination is marked unhealthy (and successes to recover). */
  failure_threshold: z.number().int().min(1).max(20).default(3),
})
export type HealthCheck = z.infer<typeof healthCheckSchema>

export const trafficbackSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('none') }),
    /** A redirect target, never fetched: http(s) only, any host (the visitor's browser goes there). */
    z.object({ type: z.literal('url'), url: httpUrl }),
    z.object({ type: z.literal('campaign'), campaign_id: id }),
  ])
  .default({ type: 'none' })
export type Trafficback = z.infer<typeof trafficbackSchema>

export const antiRepeatSchema = z
  .object({
    enabled: z.boolean().default(false),
    window_seconds: z
      .number()
      .int()
      .min(1)
      .max(31 * 86400)
      .default(86400),
  })
  .default({ enabled: false, window_seconds: 86400 })

export const streamKind = z.enum(['forced', 'regular', 'default'])
export const strategy = z.enum(['waterfall', 'round_robin', 'weighted', 'best_roi'])
export type Strategy = z.infer<typeof strategy>
export const status = z.enum(['active', 'paused', 'archived'])

const currency = z
  .string()
  .regex(/^[A-Z]{3}$/, 'ISO 4217 code, e.g. USD')
  .default('USD')
const name = z.string().trim().min(1).max(200)

// --- list fields (tags, notes, group, archive) shared by campaigns, offers, sources, networks ---

/** Most tags one row carries. */
export const MAX_TAGS = 20
/** One tag: 1–40 characters after trimming. */
export const tagSchema = z.string().trim().min(1).max(40)
/** Free labels for filtering lists: ≤ 20 tags of 1–40 chars, trimmed, duplicates dropped (first spelling kept). */
export const tagsSchema = z
  .array(tagSchema)
  .max(MAX_TAGS)
  .transform((tags) => [...new Set(tags)])
/** Free text shown as a note on the list row (≤ 2000 chars). */
export const notesSchema = z.string().max(2000)
/** Campaign group (folder): 1–60 chars after trimming; `""` or `null` = ungrouped. */
export const groupNameSchema = z
  .string()
  .trim()
  .max(60)
  .nullable()
  .transform((g) => (g ? g : null))
/** Status of sources and networks (they cannot be paused, only archived). */
export const archiveStatus = z.enum(['active', 'archived'])

export const trafficSourceInput = z.object({
  name,
  cost_model: z.enum(['cpc', 'cpm', 'none']).default('none'),
  /** Default cost per click (cpc) or per 1000 clicks (cpm), in micros of `currency`. */
  default_cost_micros: z.number().int().min(0).max(1e12).default(0),
  currency,
  /** Source's click-ID parameter name copied to `{external_id}` (e.g. "clickid"). */
  external_id_param: z.string().max(64).default('external_id'),
  /**
   * Outbound postback URL template (used by conversions): http(s); a private host is refused
   * at save time unless OUTBOUND_ALLOW_PRIVATE (routing.routes.ts).
   */
  postback_url: httpUrl.optional().nullable(),
  /**
   * The template the source is made from: a catalogue key (`source.templates.ts`), a saved
   * template's id, or 'custom'. Creating a source from a template fills what the body leaves
   * out (see `routing.routes.ts`).
   */
  template: z.string().trim().min(1).max(64).default('custom'),
  /** The tokens the source substitutes on the campaign link, each mapped to a sub ID, `external_id` or `cost`. */
  params: sourceParamsSchema.optional(),
  status: archiveStatus.default('active'),
  tags: tagsSchema.default([]),
  notes: notesSchema.default(''),
})

export const affiliateNetworkInput = z.object({
  name,
  postback_template: z
    .enum(['subid_tid_payout_status', 'cid_txid_payout', 'cnv_id_payout_cnv_status', 'custom'])
    .default('subid_tid_payout_status'),
  postback_secret: z.string().max(200).optional().nullable(),
  ip_allowlist: z.array(z.string().max(64)).max(200).default([]),
  status: archiveStatus.default('active'),
  tags: tagsSchema.default([]),
  notes: notesSchema.default(''),
})

export const destinationInput = z.object({
  name,
  /**
   * http(s) URL template with macros such as {click_id}, {sub1}, {country}: a redirect target,
   * never fetched (unless its health check probes it, see `health_check`), so any host.
   */
  url: z
    .string()
    .max(4000)
    .refine((u) => /^https?:\/\/[^/{}\s?#]+/i.test(u), 'must be an absolute http(s) URL with a literal host'),
  network_id: id.optional().nullable(),
  /** Default payout in cents of `currency`. */
  payout_cents: z.number().int().min(0).max(1e9).default(0),
  currency,
  status: status.default('active'),
  schedule: scheduleSchema.optional().nullable(),
  daily_click_cap: z.number().int().min(1).optional().nullable(),
  total_click_cap: z.number().int().min(1).optional().nullable(),
  /** Timezone whose midnight resets the daily click cap. */
  cap_timezone: timezone.default('UTC'),
  health_check: healthCheckSchema.optional().nullable(),
  tags: tagsSchema.default([]),
  notes: notesSchema.default(''),
})

/**
 * A lander (pre-landing page the buyer hosts). Its `url` is a redirect target with the same
 * safe macros as an offer's (`{click_id}`, `{sub1}`…), never fetched, so any host. Its call to
 * action links to the campaign's lander click URL `/lp/<alias>/click` (README "Landers").
 */
export const landerInput = z.object({
  name,
  url: z
    .string()
    .max(4000)
    .refine((u) => /^https?:\/\/[^/{}\s?#]+/i.test(u), 'must be an absolute http(s) URL with a literal host'),
  status: status.default('active'),
  tags: tagsSchema.default([]),
  notes: notesSchema.default(''),
})

export const campaignInput = z.object({
  name,
  /** URL path segment: /c/{alias}. */
  alias: z.string().regex(/^[A-Za-z0-9_-]{2,64}$/, '2–64 chars of A–Z a–z 0–9 _ -'),
  source_id: id.optional().nullable(),
  status: status.default('active'),
  timezone: timezone.default('UTC'),
  /** Cost per click in micros when the click carries no `cost` parameter (overrides the source default). */
  cost_micros: z.number().int().min(0).max(1e12).optional().nullable(),
  currency,
  trafficback: trafficbackSchema,
  anti_repeat: antiRepeatSchema,
  tags: tagsSchema.default([]),
  /** The group (folder) the campaign is listed under; null = ungrouped. */
  group_name: groupNameSchema.optional(),
  notes: notesSchema.default(''),
})

export const streamDestinationInput = z.object({
  destination_id: id,
  weight: z.number().int().min(0).max(10000).default(100),
  active: z.boolean().default(true),
})

/** One entry of a stream's lander list (weighted random among the active ones). */
export const streamLanderInput = z.object({
  lander_id: id,
  weight: z.number().int().min(0).max(10000).default(100),
  active: z.boolean().default(true),
})

export const streamInput = z.object({
  campaign_id: id,
  name,
  kind: streamKind.default('regular'),
  /** Lower runs first among regular streams (1 before 2). */
  priority: z.number().int().min(0).max(100000).default(100),
  conditions: conditionsSchema,
  strategy: strategy.default('weighted'),
  /** Share of best-ROI picks spent exploring (uniform among candidates), 0–1. */
  exploration: z.number().min(0).max(1).default(0.1),
  active: z.boolean().default(true),
  /** Ordered list (order matters for waterfall). */
  destinations: z.array(streamDestinationInput).max(200).default([]),
  /**
   * Landers shown before the offer: with at least one active lander, visitors go to a lander
   * (picked by weight) and its call to action leads to one of `destinations`. Empty = straight
   * to an offer.
   */
  landers: z.array(streamLanderInput).max(50).default([]),
})

// --- list pages: filters, bulk actions, clone ----------------------------------------------

/** The list pages that share filters, stats and bulk actions (offers = destinations). */
export const LIST_KINDS = ['campaigns', 'offers', 'landers', 'sources', 'networks'] as const
/** One of {@link LIST_KINDS}. */
export type ListKind = (typeof LIST_KINDS)[number]

/** Every bulk action; which kind takes which is {@link BULK_ACTIONS_BY_KIND}. */
export const BULK_ACTIONS = [
  'pause',
  'resume',
  'archive',
  'unarchive',
  'move_to_group',
  'set_source',
  'add_tags',
  'remove_tags',
] as const
/** One of {@link BULK_ACTIONS}. */
export type BulkAction = (typeof BULK_ACTIONS)[number]

/** The bulk actions each list takes (sources and networks cannot be paused). */
export const BULK_ACTIONS_BY_KIND: Record<ListKind, readonly BulkAction[]> = {
  campaigns: BULK_ACTIONS,
  offers: ['pause', 'resume', 'archive', 'unarchive', 'add_tags', 'remove_tags'],
  landers: ['pause', 'resume', 'archive', 'unarchive', 'add_tags', 'remove_tags'],
  sources: ['archive', 'unarchive', 'add_tags', 'remove_tags'],
  networks: ['archive', 'unarchive', 'add_tags', 'remove_tags'],
}

/** Most rows one bulk request changes. */
export const BULK_MAX_IDS = 500

/**
 * Body of `POST /{campaigns|offers|destinations|landers|sources|networks}/bulk`: `ids` (1–500 UUIDs,
 * duplicates ignored), the `action`, and the field that action needs: `group_name`
 * (`move_to_group`; null or "" = ungroup), `source_id` (`set_source`; null = no source),
 * `tags` (`add_tags` / `remove_tags`, at least one). The per-kind and per-action rules are
 * checked by the pure planner (`lists/lists.core.ts`).
 */
export const bulkInput = z.strictObject({
  ids: z.array(id).min(1).max(BULK_MAX_IDS),
  action: z.enum(BULK_ACTIONS),
  group_name: groupNameSchema.optional(),
  source_id: id.nullable().optional(),
  tags: tagsSchema.optional(),
})
/** Parsed {@link bulkInput}. */
export type BulkInput = z.output<typeof bulkInput>

/** Body of `POST /campaigns/:id/clone`: optional new name and alias (else "<name> (copy)" and a free alias). */
export const cloneInput = z.strictObject({
  name: name.optional(),
  alias: campaignInput.shape.alias.optional(),
})
/** Parsed {@link cloneInput}. */
export type CloneInput = z.output<typeof cloneInput>
