/**
 * Influencers Club discovery API simulator: a real HTTP server on 127.0.0.1 speaking
 * `POST /public/v1/discovery/` as described in
 * `src/modules/outreach/influencers-club.contract.ts` (shapes from the vendor's public client
 * code). Self-contained on purpose (it imports no module file): it mirrors the API, so a
 * drift between the client's contract and this server shows up as a failing test.
 *
 * What it mimics, including the API's quirks:
 * - `Authorization: Bearer <apiKey>` or 401 `{detail}`.
 * - A sliding-window limit of `limitPerMinute` requests per 60 s (on `now()`), 429 with
 *   `Retry-After` (s) beyond; refused requests do not count.
 * - 400 with DRF-style per-field messages for a body that is not an object, an unknown
 *   platform, `paging.limit` outside 1..50, `paging.page` < 0 (pages are 0-indexed), an
 *   unknown sort, `exclude_handles` over 10,000.
 * - Unknown filter keys, and follower keys of another platform (`number_of_followers` on
 *   youtube…), are SILENTLY IGNORED, like the real API.
 * - Filters applied: the platform's follower range (`number_of_followers` instagram/tiktok/
 *   twitter, `number_of_subscribers` youtube, `followers` twitch), `ai_search` (any word of
 *   it among the creator's niches or bio words), `keywords_in_bio` (any, substring), `location`
 *   (any, case-insensitive name), `profile_language` (any), `exclude_handles`
 *   (case-insensitive, `@` ignored). Sort: relevancy (pool order), number_of_followers,
 *   engagement_rate; asc/desc.
 * - Answer `{total, accounts: [{user_id, profile: {username, full_name, followers,
 *   engagement_percent, picture, niche, location, language}}]}`, no emails.
 *
 * The creator pool is deterministic: `creatorsPerPlatform` creators per platform from `seed`.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'

const PLATFORMS = ['instagram', 'tiktok', 'youtube', 'twitch', 'twitter', 'onlyfans'] as const
type Platform = (typeof PLATFORMS)[number]
const FOLLOWER_KEY: Record<Platform, string | null> = {
  instagram: 'number_of_followers',
  tiktok: 'number_of_followers',
  twitter: 'number_of_followers',
  youtube: 'number_of_subscribers',
  twitch: 'followers',
  onlyfans: null,
}
const SORT_BY = ['relevancy', 'engagement_rate', 'number_of_followers', 'growth_rate']
const NICHES = ['fitness', 'gaming', 'beauty', 'travel', 'food', 'tech', 'music', 'fashion', 'finance', 'ai']
const COUNTRIES = [
  'United States',
  'United Kingdom',
  'Germany',
  'France',
  'Brazil',
  'India',
  'Spain',
  'Canada',
]
const LANGUAGES = ['en', 'en', 'en', 'de', 'fr', 'pt', 'es', 'hi']
const FIRST = ['Alex', 'Sam', 'Maria', 'Jonas', 'Lea', 'Ravi', 'Ana', 'Tom', 'Chloe', 'Kenji', 'Ivy', 'Omar']
const LAST = ['Smith', 'Meyer', 'Silva', 'Dubois', 'Garcia', 'Patel', 'Brown', 'Rossi', 'Kim', 'Novak']

/** A simulated creator (the pool is mutable: tests may edit or add). */
export interface SimCreator {
  user_id: string
  platform: Platform
  username: string
  full_name: string
  followers: number
  engagement_percent: number
  niches: string[]
  bio: string
  location: string
  language: string
}

export interface SimDiscoveryRequest {
  method: string
  path: string
  status: number
  /** Simulator time, ms. */
  at: number
  /** The parsed JSON body, when it was JSON. */
  body: unknown
}

/** A fault applied to the next `times` authorised requests (default 1). */
export type IcSimFault =
  | { kind: 'http500'; times?: number }
  | { kind: 'http429'; retryAfterS?: number; times?: number }
  | { kind: 'timeout'; times?: number }
  | { kind: 'garbage'; times?: number }

export interface InfluencersClubSimulatorOptions {
  /** The accepted API key. */
  apiKey: string
  /** Creators per platform (default 200). */
  creatorsPerPlatform?: number
  /** Seed of the creator pool (default 1). */
  seed?: number
  /** Requests per sliding 60 s (default 300). */
  limitPerMinute?: number
  /** Time source for the rate limit, ms (default `Date.now`). */
  now?: () => number
}

export interface InfluencersClubSimulator {
  url: string
  stop(): Promise<void>
  requests(): SimDiscoveryRequest[]
  fault(f: IcSimFault): void
  /** The pool per platform, in relevancy order. */
  creators: Map<Platform, SimCreator[]>
}

/** mulberry32: a small seeded PRNG, enough for a deterministic pool. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function hashString(s: string): number {
  let h = 2166136261
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  return h >>> 0
}

function makePool(platform: Platform, n: number, seed: number): SimCreator[] {
  const rnd = prng(seed ^ hashString(platform))
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!
  const out: SimCreator[] = []
  for (let i = 0; i < n; i++) {
    const first = pick(FIRST)
    const last = pick(LAST)
    const niches = [pick(NICHES), pick(NICHES)].filter((x, j, a) => a.indexOf(x) === j)
    // Log-uniform 1,000 .. 5,000,000 followers.
    const followers = Math.round(10 ** (3 + rnd() * Math.log10(5000)))
    out.push({
      user_id: String(100_000 + (hashString(`${platform}:${seed}:${i}`) % 900_000_000)),
      platform,
      username: `${first}.${last}${i}`.toLowerCase(),
      full_name: `${first} ${last}`,
      followers,
      engagement_percent: Math.round(rnd() * 1000) / 100,
      niches,
      bio: `${niches.join(' & ')} creator. Collabs via DM.`,
      location: pick(COUNTRIES),
      language: pick(LANGUAGES),
    })
  }
  return out
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const strList = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined

/**
 * Start the Influencers Club simulator on 127.0.0.1 (random port); see the file header for
 * the behaviour. The rate limit runs on `now()` (ms), so a test can drive it with a
 * simulated clock.
 */
export async function startInfluencersClubSimulator(
  opts: InfluencersClubSimulatorOptions,
): Promise<InfluencersClubSimulator> {
  const n = opts.creatorsPerPlatform ?? 200
  const seed = opts.seed ?? 1
  const limit = opts.limitPerMinute ?? 300
  const now = opts.now ?? Date.now
  const creators = new Map<Platform, SimCreator[]>(PLATFORMS.map((p) => [p, makePool(p, n, seed)]))
  const log: SimDiscoveryRequest[] = []
  const faults: (IcSimFault & { left: number })[] = []
  let window: number[] = []

  function validate(body: unknown): Record<string, unknown> | undefined {
    if (!isObj(body)) return { non_field_errors: ['Invalid data. Expected a dictionary.'] }
    const errors: Record<string, unknown> = {}
    if (!PLATFORMS.includes(body.platform as Platform)) {
      errors.platform = [`"${String(body.platform)}" is not a valid choice.`]
    }
    const paging = body.paging
    if (paging !== undefined) {
      if (!isObj(paging)) errors.paging = ['Expected a dictionary.']
      else {
        const l = paging.limit
        const p = paging.page
        const pe: Record<string, string[]> = {}
        if (l !== undefined && (!Number.isInteger(l) || (l as number) < 1 || (l as number) > 50)) {
          pe.limit = ['Ensure this value is between 1 and 50.']
        }
        if (p !== undefined && (!Number.isInteger(p) || (p as number) < 0)) {
          pe.page = ['Ensure this value is greater than or equal to 0.']
        }
        if (Object.keys(pe).length > 0) errors.paging = pe
      }
    }
    const sort = body.sort
    if (sort !== undefined && sort !== null) {
      if (!isObj(sort) || (sort.sort_by !== undefined && !SORT_BY.includes(sort.sort_by as string))) {
        errors.sort = ['Invalid sort.']
      } else if (sort.sort_order !== undefined && sort.sort_order !== 'asc' && sort.sort_order !== 'desc') {
        errors.sort = { sort_order: ['Must be asc or desc.'] }
      }
    }
    const filters = body.filters
    if (filters !== undefined && filters !== null && !isObj(filters))
      errors.filters = ['Expected a dictionary.']
    if (isObj(filters) && Array.isArray(filters.exclude_handles) && filters.exclude_handles.length > 10_000) {
      errors.filters = { exclude_handles: ['Ensure this field has no more than 10000 elements.'] }
    }
    return Object.keys(errors).length > 0 ? errors : undefined
  }

  function search(body: Record<string, unknown>) {
    const platform = body.platform as Platform
    const paging = isObj(body.paging) ? body.paging : {}
    const limitN = (paging.limit as number | undefined) ?? 10
    const page = (paging.page as number | undefined) ?? 0
    const f = isObj(body.filters) ? body.filters : {}
    let pool = creators.get(platform) ?? []

    const key = FOLLOWER_KEY[platform]
    const range = key ? f[key] : undefined // another platform's key: ignored, like the API
    if (isObj(range)) {
      const min = typeof range.min === 'number' ? range.min : -Infinity
      const max = typeof range.max === 'number' ? range.max : Infinity
      pool = pool.filter((c) => c.followers >= min && c.followers <= max)
    }
    if (typeof f.ai_search === 'string') {
      const words = f.ai_search
        .toLowerCase()
        .split(/[^a-z0-9]+/)
        .filter((w) => w.length >= 2)
      const bioWords = (c: SimCreator) => c.bio.toLowerCase().split(/[^a-z0-9]+/)
      pool = pool.filter((c) => words.some((w) => c.niches.includes(w) || bioWords(c).includes(w)))
    }
    const inBio = strList(f.keywords_in_bio)
    if (inBio?.length)
      pool = pool.filter((c) => inBio.some((k) => c.bio.toLowerCase().includes(k.toLowerCase())))
    const loc = strList(f.location)?.map((s) => s.toLowerCase())
    if (loc?.length) pool = pool.filter((c) => loc.includes(c.location.toLowerCase()))
    const lang = strList(f.profile_language)?.map((s) => s.toLowerCase())
    if (lang?.length) pool = pool.filter((c) => lang.includes(c.language))
    const excl = new Set(strList(f.exclude_handles)?.map((h) => h.trim().replace(/^@+/, '').toLowerCase()))
    if (excl.size > 0) pool = pool.filter((c) => !excl.has(c.username.toLowerCase()))

    const sort = isObj(body.sort) ? body.sort : {}
    const dir = sort.sort_order === 'asc' ? 1 : -1
    if (sort.sort_by === 'number_of_followers')
      pool = [...pool].sort((a, b) => dir * (a.followers - b.followers))
    if (sort.sort_by === 'engagement_rate') {
      pool = [...pool].sort((a, b) => dir * (a.engagement_percent - b.engagement_percent))
    }
    const slice = pool.slice(page * limitN, (page + 1) * limitN)
    return {
      total: pool.length,
      accounts: slice.map((c) => ({
        user_id: c.user_id,
        profile: {
          username: c.username,
          full_name: c.full_name,
          followers: c.followers,
          engagement_percent: c.engagement_percent,
          picture: `https://cdn.example.test/${platform}/${c.username}.jpg`,
          niche: c.niches.join(', '),
          location: c.location,
          language: c.language,
        },
      })),
    }
  }

  function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string) {
    const path = new URL(req.url ?? '/', 'http://sim').pathname
    const entry: SimDiscoveryRequest = {
      method: req.method ?? 'GET',
      path,
      status: 0,
      at: now(),
      body: undefined,
    }
    log.push(entry)
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      entry.status = status
      res.writeHead(status, { 'content-type': 'application/json', ...headers })
      res.end(typeof body === 'string' ? body : JSON.stringify(body))
    }
    if (path !== '/public/v1/discovery/' && path !== '/public/v1/discovery') {
      return send(404, { detail: 'Not found.' })
    }
    if (req.method !== 'POST') return send(405, { detail: `Method "${req.method}" not allowed.` })
    const auth = /^Bearer\s+(.+)$/.exec(req.headers.authorization ?? '')
    if (!auth || auth[1] !== opts.apiKey) return send(401, { detail: 'Invalid token.' })

    const t = now()
    window = window.filter((x) => x > t - 60_000)
    if (window.length >= limit) {
      const retry = Math.max(1, Math.ceil((window[0]! + 60_000 - t) / 1000))
      return send(429, { detail: 'Request was throttled.' }, { 'retry-after': String(retry) })
    }
    window.push(t)

    const fi = faults.findIndex(() => true)
    if (fi >= 0) {
      const f = faults[fi]!
      f.left -= 1
      if (f.left <= 0) faults.splice(fi, 1)
      if (f.kind === 'timeout') {
        entry.status = 0
        return // never answer
      }
      if (f.kind === 'http500') return send(500, { detail: 'Internal server error.' })
      if (f.kind === 'garbage') return send(200, '{"accounts": "nope"}')
      return send(429, { detail: 'Request was throttled.' }, { 'retry-after': String(f.retryAfterS ?? 1) })
    }

    let body: unknown
    try {
      body = JSON.parse(raw)
    } catch {
      return send(400, { detail: 'JSON parse error.' })
    }
    entry.body = body
    const errors = validate(body)
    if (errors) return send(400, errors)
    return send(200, search(body as Record<string, unknown>))
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks).toString('utf8'))
      } catch {
        if (!res.headersSent) res.writeHead(500).end()
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
    requests: () => log.slice(),
    fault: (f) => faults.push({ ...f, left: f.times ?? 1 }),
    creators,
  }
}
