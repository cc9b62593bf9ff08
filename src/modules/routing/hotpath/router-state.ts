/**
 * The in-memory state the router reads on the hot path (cap counters, anti-repeat and
 * uniqueness memories, round-robin cursors, EPC) and the shell that applies a decision's
 * effects to it. Cap counters are loaded from and periodically persisted to the
 * configuration store (`cap_counters`), so caps survive restarts.
 */
import { systemRandom } from '../../../platform/clock.ts'
import type { RouteEffects, RouterState } from '../routing.types.ts'

/** Day key YYYY-MM-DD of `ms` in `timezone`, cached per minute (UTC offsets are whole minutes). */
export function createDayKeyer(): (timezone: string, ms: number) => string {
  const formatters = new Map<string, Intl.DateTimeFormat>()
  const cache = new Map<string, { minute: number; day: string }>()
  return (timezone, ms) => {
    const minute = Math.floor(ms / 60_000)
    const hit = cache.get(timezone)
    if (hit && hit.minute === minute) return hit.day
    let f = formatters.get(timezone)
    if (!f) {
      // en-CA formats dates as YYYY-MM-DD.
      f = new Intl.DateTimeFormat('en-CA', {
        timeZone: timezone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
      })
      formatters.set(timezone, f)
    }
    const day = f.format(ms)
    cache.set(timezone, { minute, day })
    return day
  }
}

/**
 * Fingerprint of a user key: two independent 32-bit hashes of its char codes (FNV-1a and a
 * murmur-style multiply-xorshift, each finished with murmur3's fmix32), written to `out[0]`
 * and `out[1]` as unsigned integers. Writes into `out` instead of returning a pair so that
 * hashing allocates nothing. Exported for tests.
 */
export function hashUserKey(userKey: string, out: Uint32Array): void {
  let h1 = 0x811c9dc5
  let h2 = 0x9747b28c
  for (let i = 0; i < userKey.length; i++) {
    const c = userKey.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 0x01000193)
    h2 = Math.imul(h2 ^ c, 0x5bd1e995)
    h2 ^= h2 >>> 15
  }
  out[0] = fmix32(h1 ^ userKey.length)
  out[1] = fmix32(h2 ^ userKey.length)
}

/** murmur3's 32-bit finaliser: every input bit reaches every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** Visitors per bucket of the set-associative table; a lookup scans one bucket. */
const WAYS = 8
/** Remembered campaigns + destinations per visitor; past this, the oldest (by ms) is forgotten. */
const ENTRIES = 8

/**
 * Visitor memory for uniqueness and anti-repeat: what each visitor (user key) was last given,
 * as (slot, epoch ms) pairs, where a slot is an interned campaign ID (≥ 1) or destination ID
 * (≤ −1).
 *
 * Off-heap and allocation-free per click. Most clicks come from new visitors, and a heap
 * object per visitor (key string, array, LRU nodes) lived long enough to be promoted to the
 * old generation; the major GCs that followed were the redirect's p99. Here every visitor
 * lives in typed arrays allocated once, so nothing is promoted and the old generation does
 * not grow with traffic.
 *
 * Layout: a set-associative table of `buckets` (a power of two ≥ max / WAYS) × WAYS ways.
 * A visitor is identified by a 64-bit fingerprint (`hashUserKey`), never by its string; the
 * bucket comes from the first hash's low bits. Per way: the fingerprint (2 × 4 bytes), a
 * "last touched" stamp (8 bytes; a counter bumped by every remember*, reads do not touch)
 * and ENTRIES × (slot 4 bytes + ms 8 bytes): 112 bytes per visitor, ~56 MiB for 500,000.
 * Zero-filled typed arrays are committed by the OS page by page as they are written, but
 * visitors land on random pages, so RSS reaches the full size after some tens of thousands
 * of visitors. A new visitor in a full bucket evicts the way touched least recently, so the
 * last WAYS visitors touched always survive and the capacity is buckets × WAYS ≥ max.
 * Fingerprint (0, 0) marks an empty way; a key that hashes to it is stored as (0, 1).
 * Two visitors share a memory only if both 32-bit hashes collide: ~n²/2⁶⁵ for n visitors.
 *
 * The router asks several questions about the same visitor per click, so the last visitor
 * looked up (its key, fingerprint and way) is kept at hand: one hash per click.
 *
 * @param max visitors to remember at least (rounded up to a power of two times WAYS); ≥ 1.
 * @param hash the fingerprint function (tests inject colliding ones).
 * @throws RangeError if `max` is not a finite number ≥ 1.
 */
export function createVisitorMemory(
  max: number,
  hash: (userKey: string, out: Uint32Array) => void = hashUserKey,
) {
  if (!Number.isFinite(max) || max < 1) throw new RangeError(`visitor memory must be ≥ 1, got ${max}`)
  let buckets = 1
  while (buckets * WAYS < max) buckets *= 2
  const mask = buckets - 1
  const ways = buckets * WAYS
  const keys = new Uint32Array(ways * 2) // [hi, lo] per way: one bucket is one 64-byte line
  const stamps = new Float64Array(ways) // 0 = never touched
  const slots = new Int32Array(ways * ENTRIES) // 0 = empty entry
  const times = new Float64Array(ways * ENTRIES)
  // Kept in typed arrays rather than closure variables: a number past the small-integer
  // range stored in a closure is boxed, i.e. allocated, on every write.
  const clock = new Float64Array(1)
  const fp = new Uint32Array(2) // the fingerprint of lastKey
  let lastKey: string | null = null
  let lastWay = -1

  // IDs to small numbers; bounded by the campaigns and destinations ever configured.
  const campaignSlots = new Map<string, number>()
  const destinationSlots = new Map<string, number>()
  const slotOf = (slots: Map<string, number>, id: string, sign: 1 | -1): number => {
    let slot = slots.get(id)
    if (slot === undefined) {
      slot = sign * (slots.size + 1)
      slots.set(id, slot)
    }
    return slot
  }

  /** The way holding `userKey`, or −1; leaves its fingerprint in `fp`. */
  const locate = (userKey: string): number => {
    if (userKey === lastKey) return lastWay
    hash(userKey, fp)
    if (fp[0] === 0 && fp[1] === 0) fp[1] = 1
    const hi = fp[0]!
    const lo = fp[1]!
    lastKey = userKey
    lastWay = -1
    const base = (hi & mask) * WAYS
    for (let w = base; w < base + WAYS; w++) {
      if (keys[2 * w] === hi && keys[2 * w + 1] === lo) {
        lastWay = w
        break
      }
    }
    return lastWay
  }

  /** The way of `userKey`, taken over from the bucket's least recently touched one if new; touches it. */
  const touch = (userKey: string): number => {
    let w = locate(userKey)
    if (w < 0) {
      const base = (fp[0]! & mask) * WAYS
      w = base
      for (let v = base + 1; v < base + WAYS; v++) if (stamps[v]! < stamps[w]!) w = v
      keys[2 * w] = fp[0]!
      keys[2 * w + 1] = fp[1]!
      slots.fill(0, w * ENTRIES, (w + 1) * ENTRIES)
      lastWay = w
    }
    const now = clock[0]! + 1
    clock[0] = now
    stamps[w] = now
    return w
  }

  const read = (w: number, slot: number | undefined): number | undefined => {
    if (w < 0 || slot === undefined) return undefined
    for (let e = w * ENTRIES; e < (w + 1) * ENTRIES; e++) if (slots[e] === slot) return times[e]
    return undefined
  }

  // The entry written last: a click writes its campaign, then its destination, and the
  // second must not evict the first (it could, by "given longest ago", if the clock stepped
  // back between two clicks).
  let lastWritten = -1
  const write = (w: number, slot: number, ms: number): void => {
    // Where a new slot goes: the first empty entry, else the one given longest ago.
    let target = -1
    for (let e = w * ENTRIES; e < (w + 1) * ENTRIES; e++) {
      if (slots[e] === slot) {
        times[e] = ms
        lastWritten = e
        return
      }
      if (e === lastWritten) continue
      if (target === -1 || (slots[target] !== 0 && (slots[e] === 0 || times[e]! < times[target]!))) target = e
    }
    slots[target] = slot
    times[target] = ms
    lastWritten = target
  }

  return {
    lastCampaign: (userKey: string, id: string) => read(locate(userKey), campaignSlots.get(id)),
    lastDestination: (userKey: string, id: string) => read(locate(userKey), destinationSlots.get(id)),
    rememberCampaign: (userKey: string, id: string, ms: number) =>
      write(touch(userKey), slotOf(campaignSlots, id, 1), ms),
    rememberDestination: (userKey: string, id: string, ms: number) =>
      write(touch(userKey), slotOf(destinationSlots, id, -1), ms),
  }
}

interface Counter {
  day: string
  daily: number
  total: number
}

/** A delta of clicks per destination and day, waiting to be persisted. */
export interface CapDelta {
  destinationId: string
  day: string
  clicks: number
}

export interface RuntimeState extends RouterState {
  /** Applies a decision's effects at `nowMs` (epoch ms). */
  apply(effects: RouteEffects, nowMs: number): void
  /** Seeds counters from the store: today's clicks and totals per destination. */
  load(rows: { destinationId: string; day: string; clicks: number }[], nowMs: number): void
  /** Takes the deltas accumulated since the last call (for persistence). */
  drainDeltas(): CapDelta[]
  /** Puts deltas back after a failed persist so they are retried. */
  restoreDeltas(deltas: CapDelta[]): void
  /** Replaces the EPC table (micros per click) used by best ROI. */
  setEpc(epc: Map<string, { epcMicros: number; clicks: number }>): void
  /** Tells the state which cap timezone each destination uses. */
  setCapTimezones(tz: Map<string, string>): void
  /**
   * Clicks delivered to a destination in total as far as this state knows (the autopilot's
   * "delivered"): this process's counters here; across traffic nodes, the shared counters'
   * estimate (`shared/shared-counters.ts`).
   */
  delivered(destinationId: string): number
  /**
   * Warms the visitor memory with what another traffic node remembered: `userKey` got the
   * campaign or destination `id` at `ms` (epoch ms). Kept only if newer than what is known
   * here; nothing else changes (no cap counts, no round robin).
   */
  warm(userKey: string, kind: 'campaign' | 'destination', id: string, ms: number): void
}

/**
 * @param opts.memory visitors (user keys) remembered at least for anti-repeat and uniqueness
 *   (default 500,000; least recently touched forgotten first, per bucket; see createVisitorMemory).
 * @param opts.random uniform [0,1) source (the platform's `systemRandom` by default).
 */
export function createRuntimeState(opts: { memory?: number; random?: () => number } = {}): RuntimeState {
  const dayKey = createDayKeyer()
  const counters = new Map<string, Counter>()
  let capTz = new Map<string, string>()
  let deltas = new Map<string, CapDelta>()
  const visitors = createVisitorMemory(opts.memory ?? 500_000)
  const rr = new Map<string, number>()
  let epc = new Map<string, { epcMicros: number; clicks: number }>()

  const tzOf = (id: string) => capTz.get(id) ?? 'UTC'
  const counter = (id: string, day: string): Counter => {
    let c = counters.get(id)
    if (!c) {
      c = { day, daily: 0, total: 0 }
      counters.set(id, c)
    } else if (c.day !== day) {
      // A new day in the destination's cap timezone: the daily count starts over.
      c.day = day
      c.daily = 0
    }
    return c
  }

  return {
    dailyClicks: (id, now) => {
      const c = counters.get(id)
      if (!c) return 0
      return c.day === dayKey(tzOf(id), now.getTime()) ? c.daily : 0
    },
    totalClicks: (id) => counters.get(id)?.total ?? 0,
    lastSeenDestination: visitors.lastDestination,
    lastSeenCampaign: visitors.lastCampaign,
    roundRobinCursor: (id) => rr.get(id) ?? 0,
    epc: (id) => epc.get(id),
    random: opts.random ?? systemRandom.next,

    apply(effects, nowMs) {
      if (effects.countDestination) {
        const id = effects.countDestination
        const day = dayKey(tzOf(id), nowMs)
        const c = counter(id, day)
        c.daily++
        c.total++
        const k = `${id}|${day}`
        const d = deltas.get(k)
        if (d) d.clicks++
        else deltas.set(k, { destinationId: id, day, clicks: 1 })
      }
      visitors.rememberCampaign(effects.rememberCampaign.userKey, effects.rememberCampaign.campaignId, nowMs)
      if (effects.rememberDestination) {
        const { userKey, destinationId } = effects.rememberDestination
        visitors.rememberDestination(userKey, destinationId, nowMs)
      }
      if (effects.roundRobin) rr.set(effects.roundRobin.streamId, effects.roundRobin.cursor)
    },

    load(rows, nowMs) {
      counters.clear()
      for (const r of rows) {
        const today = dayKey(tzOf(r.destinationId), nowMs)
        const c = counter(r.destinationId, today)
        c.total += r.clicks
        if (r.day === today) c.daily += r.clicks
      }
    },

    drainDeltas() {
      const out = [...deltas.values()]
      deltas = new Map()
      return out
    },

    restoreDeltas(back) {
      for (const d of back) {
        const k = `${d.destinationId}|${d.day}`
        const cur = deltas.get(k)
        if (cur) cur.clicks += d.clicks
        else deltas.set(k, { ...d })
      }
    },

    setEpc(next) {
      epc = next
    },
    setCapTimezones(tz) {
      capTz = tz
    },
    delivered: (id) => counters.get(id)?.total ?? 0,
    warm(userKey, kind, id, ms) {
      if (kind === 'campaign') {
        const cur = visitors.lastCampaign(userKey, id)
        if (cur === undefined || cur < ms) visitors.rememberCampaign(userKey, id, ms)
      } else {
        const cur = visitors.lastDestination(userKey, id)
        if (cur === undefined || cur < ms) visitors.rememberDestination(userKey, id, ms)
      }
    },
  }
}
