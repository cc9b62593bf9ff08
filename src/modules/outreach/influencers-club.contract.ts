/**
 * The Influencers Club discovery API as this module uses it: the ONE place its shapes live
 * (the simulator, `src/simulators/influencers-club/`, mirrors them on its own side).
 *
 * Source: Influencers Club publishes no machine-readable specification. These shapes come
 * from public client code, the vendor's own MCP server (GitHub
 * `Influencers-Club/influencers-club-mcp`: `api_discovery.py`, `discovery_filters.py`,
 * `server.py`, `api_client.py`, `csv_export.py`) — not from an official spec:
 *
 * - `POST {base}/public/v1/discovery/`, header `Authorization: Bearer <API key>`, JSON body
 *   `{platform, paging: {limit, page}, sort: {sort_by, sort_order}, filters: {…} | null}`.
 *   Base URL `https://api-dashboard.influencers.club` (the vendor's n8n node).
 * - `paging.limit` 1..50; `paging.page` is 0-indexed (the MCP server: "pages are 0-indexed
 *   (first page = 0)"), so `page ≥ 0`.
 * - `sort_by` ∈ relevancy | engagement_rate | number_of_followers | growth_rate,
 *   `sort_order` ∈ asc | desc; relevancy is desc-only.
 * - The follower-count filter key depends on the platform: `number_of_followers` (instagram,
 *   tiktok, twitter), `number_of_subscribers` (youtube), `followers` (twitch); OnlyFans has
 *   none. Value `{min?, max?}`. A key that does not apply to the platform is SILENTLY IGNORED
 *   by the API (unfiltered results, no error) — hence the strict schema below.
 * - Niche: `ai_search` (semantic, 3–150 characters) or `keywords_in_bio` (literal list).
 * - `location: string[]` (names as in `GET /public/v1/discovery/classifier/locations/{platform}/`,
 *   e.g. "United States"), `profile_language: string[]` (ISO 639-1 codes, classifier
 *   `languages/`), `exclude_handles: string[]` (at most 10,000).
 * - Answer `{total, accounts: [{user_id, profile: {username, full_name, followers,
 *   engagement_percent, picture, …}}]}`; no emails (enrichment is a separate, paid call).
 *   We also accept `results` in place of `accounts` (older answers).
 * - Limit 300 requests per minute per key (`api_client.py` RATE_LIMIT); 429 beyond.
 * - Errors: DRF-style JSON, `{detail}` / `{message}` / `{error}` or per-field lists.
 *
 * Strictness: what WE send is parsed by strict schemas (`z.strictObject`) before it leaves,
 * because the API ignores unknown keys silently; what the API answers is parsed leniently
 * for fields we do not use (the vendor adds fields) and strictly for those we do.
 */
import { z } from 'zod'

/** Path of the discovery endpoint (trailing slash included: Django routes need it). */
export const IC_DISCOVERY_PATH = '/public/v1/discovery/'

/** Platforms the discovery endpoint searches. */
export const IC_PLATFORMS = ['instagram', 'tiktok', 'youtube', 'twitch', 'twitter', 'onlyfans'] as const
export type IcPlatform = (typeof IC_PLATFORMS)[number]

/** Most results per page. */
export const IC_MAX_LIMIT = 50
/** Most handles in `exclude_handles`. */
export const IC_MAX_EXCLUDE_HANDLES = 10_000
/** Requests per minute per API key; the API answers 429 beyond. */
export const IC_RATE_LIMIT_PER_MINUTE = 300
/** Length bounds of `ai_search`, characters. */
export const IC_AI_SEARCH_MIN = 3
export const IC_AI_SEARCH_MAX = 150

export const IC_SORT_BY = ['relevancy', 'engagement_rate', 'number_of_followers', 'growth_rate'] as const

/** The three spellings of the follower-count filter. */
export const IC_FOLLOWER_KEYS = ['number_of_followers', 'number_of_subscribers', 'followers'] as const
export type IcFollowerKey = (typeof IC_FOLLOWER_KEYS)[number]

/**
 * The follower-count filter key of each platform (`server.py` `_FOLLOWER_FILTER_KEY`);
 * null: the platform has no such filter (OnlyFans).
 */
export const IC_FOLLOWER_KEY: Readonly<Record<IcPlatform, IcFollowerKey | null>> = {
  instagram: 'number_of_followers',
  tiktok: 'number_of_followers',
  twitter: 'number_of_followers',
  youtube: 'number_of_subscribers',
  twitch: 'followers',
  onlyfans: null,
}

const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)

/** `{min?, max?}`, both non-negative integers, min ≤ max, at least one bound. */
export const icRangeSchema = z
  .strictObject({ min: count.optional(), max: count.optional() })
  .refine((r) => r.min !== undefined || r.max !== undefined, 'a range needs min or max')
  .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, 'min must be ≤ max')

const listOf = (max: number, item = z.string().trim().min(1).max(200)) => z.array(item).min(1).max(max)

/** The filters we send (a strict subset of the API's filters). */
export const icFiltersSchema = z.strictObject({
  ai_search: z.string().trim().min(IC_AI_SEARCH_MIN).max(IC_AI_SEARCH_MAX).optional(),
  keywords_in_bio: listOf(50).optional(),
  number_of_followers: icRangeSchema.optional(),
  number_of_subscribers: icRangeSchema.optional(),
  followers: icRangeSchema.optional(),
  location: listOf(50).optional(),
  profile_language: listOf(20, z.string().regex(/^[a-z]{2}$/, 'ISO 639-1 code')).optional(),
  exclude_handles: listOf(IC_MAX_EXCLUDE_HANDLES).optional(),
})
export type IcFilters = z.infer<typeof icFiltersSchema>

/**
 * The discovery request body, strict. Beyond the shapes, refuses what the API would
 * silently ignore or reject: a follower key that does not belong to the platform, and
 * relevancy sorted ascending.
 */
export const icDiscoveryRequestSchema = z
  .strictObject({
    platform: z.enum(IC_PLATFORMS),
    paging: z.strictObject({
      limit: z.number().int().min(1).max(IC_MAX_LIMIT),
      page: z.number().int().min(0).max(100_000),
    }),
    sort: z.strictObject({ sort_by: z.enum(IC_SORT_BY), sort_order: z.enum(['asc', 'desc']) }),
    filters: icFiltersSchema.nullable(),
  })
  .superRefine((body, ctx) => {
    const own = IC_FOLLOWER_KEY[body.platform]
    for (const key of IC_FOLLOWER_KEYS) {
      if (body.filters?.[key] !== undefined && key !== own) {
        ctx.addIssue({
          code: 'custom',
          path: ['filters', key],
          message: own
            ? `${body.platform} filters followers by ${own}, not ${key}`
            : `${body.platform} has no follower-count filter`,
        })
      }
    }
    if (body.sort.sort_by === 'relevancy' && body.sort.sort_order !== 'desc') {
      ctx.addIssue({ code: 'custom', path: ['sort', 'sort_order'], message: 'relevancy sorts desc only' })
    }
  })
export type IcDiscoveryRequest = z.infer<typeof icDiscoveryRequestSchema>

const nullableNumber = z.number().nullable().optional()

/** One creator of a discovery answer. `user_id` may come as a number; we keep it as a string. */
export const icAccountSchema = z.looseObject({
  user_id: z.union([z.string().min(1).max(200), z.number().int()]).transform(String),
  profile: z.looseObject({
    username: z.string().min(1).max(200),
    full_name: z.string().max(500).nullable().optional(),
    followers: nullableNumber,
    engagement_percent: nullableNumber,
    picture: z.string().nullable().optional(),
  }),
})
export type IcAccount = z.infer<typeof icAccountSchema>

/** A discovery answer: `accounts` (current) or `results`, plus an optional `total`. */
export const icDiscoveryResponseSchema = z
  .looseObject({
    total: z.number().int().nonnegative().nullable().optional(),
    accounts: z.array(icAccountSchema).optional(),
    results: z.array(icAccountSchema).optional(),
  })
  .refine(
    (r) => r.accounts !== undefined || r.results !== undefined,
    'answer has neither accounts nor results',
  )
export type IcDiscoveryResponse = z.infer<typeof icDiscoveryResponseSchema>

/** An error answer's message, from whichever field the API used (`api_client.py` `_handle_error`). */
export const icErrorBodySchema = z.looseObject({
  detail: z.string().optional(),
  message: z.string().optional(),
  error: z.string().optional(),
})
