import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  IC_FOLLOWER_KEY,
  IC_MAX_EXCLUDE_HANDLES,
  icDiscoveryRequestSchema,
} from './influencers-club.contract.ts'
import {
  criteriaIssues,
  DiscoveryRequestError,
  discoveryRequest,
  locationName,
  normaliseHandle,
  OUTREACH_PLATFORMS,
  type OutreachCriteria,
} from './influencers-club.filters.core.ts'

const P0 = { page: 0, limit: 50 }

describe('discoveryRequest: table', () => {
  const cases: { name: string; criteria: OutreachCriteria; filters: unknown }[] = [
    {
      name: 'instagram: keywords → ai_search, range under number_of_followers',
      criteria: {
        platform: 'instagram',
        keywords: ['fitness', 'yoga'],
        min_followers: 10_000,
        max_followers: 50_000,
      },
      filters: { ai_search: 'fitness, yoga', number_of_followers: { min: 10_000, max: 50_000 } },
    },
    {
      name: 'youtube: number_of_subscribers',
      criteria: { platform: 'youtube', keywords: ['tech'], min_followers: 1000 },
      filters: { ai_search: 'tech', number_of_subscribers: { min: 1000 } },
    },
    {
      name: 'twitch: followers',
      criteria: { platform: 'twitch', keywords: [], max_followers: 5000 },
      filters: { followers: { max: 5000 } },
    },
    {
      name: 'tiktok and twitter: number_of_followers',
      criteria: { platform: 'twitter', keywords: ['crypto'], min_followers: 0 },
      filters: { ai_search: 'crypto', number_of_followers: { min: 0 } },
    },
    {
      name: 'a two-letter niche goes to keywords_in_bio (ai_search needs 3+)',
      criteria: { platform: 'tiktok', keywords: ['AI'] },
      filters: { keywords_in_bio: ['AI'] },
    },
    {
      name: 'location code → English name, language → profile_language',
      criteria: { platform: 'instagram', keywords: ['food'], location: 'de', language: 'DE' },
      filters: { ai_search: 'food', location: ['Germany'], profile_language: ['de'] },
    },
    {
      name: 'location name passes as given; duplicate keywords once',
      criteria: { platform: 'onlyfans', keywords: ['cosplay', ' cosplay '], location: 'United Kingdom' },
      filters: { ai_search: 'cosplay', location: ['United Kingdom'] },
    },
    { name: 'no filters → null', criteria: { platform: 'instagram', keywords: [] }, filters: null },
  ]
  for (const c of cases) {
    it(c.name, () => {
      const body = discoveryRequest(c.criteria, P0)
      expect(body.filters).toEqual(c.filters)
      expect(body.platform).toBe(c.criteria.platform)
      expect(body.sort).toEqual({ sort_by: 'relevancy', sort_order: 'desc' })
      expect(body.paging).toEqual({ limit: 50, page: 0 })
    })
  }

  it('exclude_handles: normalised, de-duplicated, the last 10,000 kept', () => {
    const body = discoveryRequest(
      { platform: 'instagram', keywords: [] },
      { ...P0, excludeHandles: ['@Alice', 'bob', 'alice', ' '] },
    )
    expect(body.filters?.exclude_handles).toEqual(['bob', 'alice'])
    const many = Array.from({ length: IC_MAX_EXCLUDE_HANDLES + 5 }, (_, i) => `h${i}`)
    const big = discoveryRequest({ platform: 'instagram', keywords: [] }, { ...P0, excludeHandles: many })
    expect(big.filters?.exclude_handles).toHaveLength(IC_MAX_EXCLUDE_HANDLES)
    expect(big.filters?.exclude_handles?.[0]).toBe('h5')
    expect(big.filters?.exclude_handles?.at(-1)).toBe(`h${IC_MAX_EXCLUDE_HANDLES + 4}`)
  })

  const refusals: { name: string; criteria: unknown; paging?: typeof P0; path: string }[] = [
    {
      name: 'onlyfans has no follower filter',
      criteria: { platform: 'onlyfans', keywords: [], min_followers: 1 },
      path: 'min_followers',
    },
    { name: 'unknown platform', criteria: { platform: 'myspace', keywords: [] }, path: 'platform' },
    { name: 'unknown key', criteria: { platform: 'instagram', keywords: [], followers: 5 }, path: '' },
    {
      name: 'min > max',
      criteria: { platform: 'instagram', keywords: [], min_followers: 10, max_followers: 5 },
      path: 'max_followers',
    },
    {
      name: 'keywords over 150 characters together',
      criteria: { platform: 'instagram', keywords: ['x'.repeat(80), 'y'.repeat(80)] },
      path: 'keywords',
    },
    {
      name: 'bad language',
      criteria: { platform: 'instagram', keywords: [], language: 'eng' },
      path: 'language',
    },
    {
      name: 'limit 51',
      criteria: { platform: 'instagram', keywords: [] },
      paging: { page: 0, limit: 51 },
      path: 'paging.limit',
    },
    {
      name: 'limit 0',
      criteria: { platform: 'instagram', keywords: [] },
      paging: { page: 0, limit: 0 },
      path: 'paging.limit',
    },
    {
      name: 'page -1',
      criteria: { platform: 'instagram', keywords: [] },
      paging: { page: -1, limit: 5 },
      path: 'paging.page',
    },
  ]
  for (const r of refusals) {
    it(`refuses: ${r.name}`, () => {
      let err: unknown
      try {
        discoveryRequest(r.criteria as OutreachCriteria, r.paging ?? P0)
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(DiscoveryRequestError)
      expect((err as DiscoveryRequestError).issues.map((i) => i.path)).toContain(r.path)
    })
  }
})

describe('criteriaIssues', () => {
  it('is empty for good criteria and names the field otherwise', () => {
    expect(criteriaIssues({ platform: 'youtube', keywords: ['gaming'], min_followers: 100 })).toEqual([])
    expect(criteriaIssues({ platform: 'youtube', keywords: 'gaming' })[0]?.path).toBe('keywords')
    expect(criteriaIssues(null)).not.toEqual([])
  })
})

describe('helpers', () => {
  it('normaliseHandle and locationName', () => {
    expect(normaliseHandle('  @@Foo.Bar ')).toBe('foo.bar')
    expect(locationName('us')).toBe('United States')
    expect(locationName('Brazil')).toBe('Brazil')
    expect(locationName('ZZ')).toBe('ZZ')
  })
})

describe('discoveryRequest: properties', () => {
  const criteriaArb = fc
    .record({
      platform: fc.constantFrom(...OUTREACH_PLATFORMS),
      keywords: fc.array(fc.stringMatching(/^[a-z]{1,12}$/), { maxLength: 5 }),
      a: fc.option(fc.nat({ max: 10_000_000 }), { nil: undefined }),
      b: fc.option(fc.nat({ max: 10_000_000 }), { nil: undefined }),
      language: fc.option(fc.constantFrom('en', 'de', 'pt'), { nil: undefined }),
    })
    .map(({ platform, keywords, a, b, language }) => {
      const c: OutreachCriteria = { platform, keywords }
      if (IC_FOLLOWER_KEY[platform] !== null) {
        if (a !== undefined) c.min_followers = b === undefined ? a : Math.min(a, b)
        if (b !== undefined) c.max_followers = a === undefined ? b : Math.max(a, b)
      }
      if (language) c.language = language
      return c
    })

  it('every body passes the strict contract and filters followers only under the platform key', () => {
    fc.assert(
      fc.property(
        criteriaArb,
        fc.nat({ max: 1000 }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.string({ maxLength: 20 }), { maxLength: 30 }),
        (c, page, limit, excl) => {
          const body = discoveryRequest(c, { page, limit, excludeHandles: excl })
          expect(icDiscoveryRequestSchema.safeParse(body).success).toBe(true)
          const own = IC_FOLLOWER_KEY[c.platform]
          for (const k of ['number_of_followers', 'number_of_subscribers', 'followers'] as const) {
            if (k !== own) expect(body.filters?.[k]).toBeUndefined()
          }
          const range = own ? body.filters?.[own] : undefined
          expect(range?.min).toBe(c.min_followers)
          expect(range?.max).toBe(c.max_followers)
          const ex = body.filters?.exclude_handles ?? []
          expect(new Set(ex).size).toBe(ex.length)
          for (const h of ex) expect(h).toBe(normaliseHandle(h))
        },
      ),
    )
  })
})
