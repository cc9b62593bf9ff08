/**
 * Pure mapping from a campaign's criteria (`/api/v1/outreach` contract: `{platform, keywords,
 * min_followers?, max_followers?, location?, language?}`) to an Influencers Club discovery
 * request body (shapes: `influencers-club.contract.ts`). No I/O, no clock.
 *
 * Choices, and why:
 * - Niche keywords become ONE `ai_search` string (the keywords joined with ", "): the
 *   vendor's own client recommends semantic `ai_search` with sort `relevancy` for topical
 *   queries, `keywords_in_bio` being a literal bio match that misses most creators. When the
 *   joined text is shorter than `ai_search`'s 3-character minimum (a single "AI"), the
 *   keywords go to `keywords_in_bio` instead; longer than 150 characters is refused.
 * - The follower range goes under the platform's own key (`IC_FOLLOWER_KEY`): the API
 *   silently ignores another platform's key. OnlyFans has no follower filter: a range
 *   there is refused rather than dropped, so a campaign never believes it is filtered
 *   when it is not.
 * - `location`: an ISO 3166-1 alpha-2 code is sent as its English name (`Intl.DisplayNames`,
 *   "US" → "United States", the classifier's spelling); anything else is sent as given.
 * - `language` (ISO 639-1) → `profile_language: [code]`.
 * - `exclude_handles`: handles are normalised (`normaliseHandle`), de-duplicated, and only
 *   the LAST 10,000 are kept (pass the most recent last): older ones past the API's cap
 *   can come back, and the contacted-set unique key (`outreach_creators`) drops them.
 * - The finished body is parsed by the contract's strict schema before it is returned.
 */
import { z } from 'zod'
import {
  IC_AI_SEARCH_MAX,
  IC_AI_SEARCH_MIN,
  IC_FOLLOWER_KEY,
  IC_MAX_EXCLUDE_HANDLES,
  IC_MAX_LIMIT,
  IC_PLATFORMS,
  type IcDiscoveryRequest,
  type IcFilters,
  icDiscoveryRequestSchema,
} from './influencers-club.contract.ts'

/** Platforms a campaign can target (same as the discovery API's). */
export const OUTREACH_PLATFORMS = IC_PLATFORMS
export type OutreachPlatform = (typeof OUTREACH_PLATFORMS)[number]

/**
 * A campaign's search criteria (`/api/v1/outreach` contract), strict. Platform-specific
 * rules (no follower range on OnlyFans, keyword length) are checked by {@link criteriaIssues}.
 */
export const outreachCriteriaSchema = z
  .strictObject({
    platform: z.enum(OUTREACH_PLATFORMS),
    keywords: z.array(z.string().trim().min(1).max(100)).max(20),
    min_followers: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
    max_followers: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
    location: z.string().trim().min(2).max(100).optional(),
    language: z
      .string()
      .regex(/^[A-Za-z]{2}$/, 'ISO 639-1 code (two letters)')
      .transform((s) => s.toLowerCase())
      .optional(),
  })
  .refine(
    (c) =>
      c.min_followers === undefined || c.max_followers === undefined || c.min_followers <= c.max_followers,
    { path: ['max_followers'], message: 'max_followers must be ≥ min_followers' },
  )
export type OutreachCriteria = z.infer<typeof outreachCriteriaSchema>

/** One validation problem, in the API's 422 `details` shape. */
export interface CriteriaIssue {
  path: string
  message: string
}

/**
 * Our criteria cannot become a valid discovery request. `issues` fit the 422
 * `validation_failed` details (`{path, message}`, paths relative to the criteria, or
 * `paging.*` / `filters.*` for the request).
 */
export class DiscoveryRequestError extends Error {
  override name = 'DiscoveryRequestError'
  constructor(readonly issues: CriteriaIssue[]) {
    super(`invalid discovery request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`)
  }
}

/** Paging of one discovery call: `page` 0-indexed, `limit` 1..50. */
export interface DiscoveryPaging {
  page: number
  limit: number
  /** Handles already contacted (any case, `@` optional); most recent last. */
  excludeHandles?: readonly string[]
}

/** `@Some.Name ` → `some.name`: the form handles are compared and excluded in. */
export function normaliseHandle(handle: string): string {
  return handle.trim().replace(/^@+/, '').toLowerCase()
}

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' })

/**
 * The location as the discovery API names it: an ISO 3166-1 alpha-2 code becomes its English
 * name ("de" → "Germany"); other text is returned trimmed, as given.
 */
export function locationName(location: string): string {
  const s = location.trim()
  if (/^[A-Za-z]{2}$/.test(s)) {
    // ZZ is CLDR's "Unknown Region": not a place the API knows.
    const name = s.toUpperCase() === 'ZZ' ? undefined : regionNames.of(s.toUpperCase())
    if (name) return name
  }
  return s
}

function zodIssues(error: z.ZodError): CriteriaIssue[] {
  return error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))
}

/** The niche part of the filters: `ai_search`, or `keywords_in_bio` when too short for it. */
function nicheFilters(keywords: readonly string[]): { filters: IcFilters; issues: CriteriaIssue[] } {
  const words = [...new Set(keywords.map((k) => k.trim()).filter((k) => k !== ''))]
  if (words.length === 0) return { filters: {}, issues: [] }
  const joined = words.join(', ')
  if (joined.length > IC_AI_SEARCH_MAX) {
    return {
      filters: {},
      issues: [{ path: 'keywords', message: `keywords together exceed ${IC_AI_SEARCH_MAX} characters` }],
    }
  }
  if (joined.length < IC_AI_SEARCH_MIN) return { filters: { keywords_in_bio: words }, issues: [] }
  return { filters: { ai_search: joined }, issues: [] }
}

/**
 * Every reason `criteria` (unknown input) cannot be searched, `[]` when it can. For the
 * campaign routes' 422 — the same checks {@link discoveryRequest} applies.
 */
export function criteriaIssues(criteria: unknown): CriteriaIssue[] {
  const parsed = outreachCriteriaSchema.safeParse(criteria)
  if (!parsed.success) return zodIssues(parsed.error)
  const c = parsed.data
  const issues = [...nicheFilters(c.keywords).issues]
  if (
    IC_FOLLOWER_KEY[c.platform] === null &&
    (c.min_followers !== undefined || c.max_followers !== undefined)
  ) {
    const path = c.min_followers !== undefined ? 'min_followers' : 'max_followers'
    issues.push({ path, message: `${c.platform} has no follower-count filter` })
  }
  return issues
}

/**
 * The discovery request body for `criteria` and one page.
 *
 * @param criteria campaign criteria (validated here again; unknown keys refused)
 * @param paging `page` ≥ 0 (0-indexed), `limit` 1..50, `excludeHandles` (see the header)
 * @returns `{platform, paging, sort: {sort_by: 'relevancy', sort_order: 'desc'}, filters | null}`,
 *   already parsed by the contract's strict `icDiscoveryRequestSchema`
 * @throws DiscoveryRequestError with every issue found
 */
export function discoveryRequest(criteria: OutreachCriteria, paging: DiscoveryPaging): IcDiscoveryRequest {
  const issues = criteriaIssues(criteria)
  if (!Number.isInteger(paging.page) || paging.page < 0) {
    issues.push({ path: 'paging.page', message: 'page must be an integer ≥ 0 (0-indexed)' })
  }
  if (!Number.isInteger(paging.limit) || paging.limit < 1 || paging.limit > IC_MAX_LIMIT) {
    issues.push({ path: 'paging.limit', message: `limit must be an integer in 1..${IC_MAX_LIMIT}` })
  }
  if (issues.length > 0) throw new DiscoveryRequestError(issues)
  const c = outreachCriteriaSchema.parse(criteria)

  const filters: IcFilters = { ...nicheFilters(c.keywords).filters }
  const followerKey = IC_FOLLOWER_KEY[c.platform]
  if (followerKey && (c.min_followers !== undefined || c.max_followers !== undefined)) {
    filters[followerKey] = {
      ...(c.min_followers !== undefined ? { min: c.min_followers } : {}),
      ...(c.max_followers !== undefined ? { max: c.max_followers } : {}),
    }
  }
  if (c.location !== undefined) filters.location = [locationName(c.location)]
  if (c.language !== undefined) filters.profile_language = [c.language]
  const exclude = excludeList(paging.excludeHandles ?? [])
  if (exclude.length > 0) filters.exclude_handles = exclude

  const body = {
    platform: c.platform,
    paging: { limit: paging.limit, page: paging.page },
    sort: { sort_by: 'relevancy', sort_order: 'desc' },
    filters: Object.keys(filters).length > 0 ? filters : null,
  }
  const r = icDiscoveryRequestSchema.safeParse(body)
  if (!r.success) throw new DiscoveryRequestError(zodIssues(r.error))
  return r.data
}

/** Normalised, de-duplicated (last occurrence wins its place), the last 10,000, empties dropped. */
function excludeList(handles: readonly string[]): string[] {
  const seen = new Set<string>()
  const out: string[] = []
  for (let i = handles.length - 1; i >= 0 && out.length < IC_MAX_EXCLUDE_HANDLES; i--) {
    const h = normaliseHandle(handles[i]!)
    if (h === '' || h.length > 200 || seen.has(h)) continue
    seen.add(h)
    out.push(h)
  }
  return out.reverse()
}
