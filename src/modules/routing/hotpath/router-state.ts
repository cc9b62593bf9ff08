/**
 * The in-memory state the router reads on the hot path (cap counters, anti-repeat and
 * uniqueness memories, round-robin cursors, EPC) and the shell that applies a decision's
 * effects to it. Cap counters are loaded from and periodically persisted to the
 * configuration store (`cap_counters`), so caps survive restarts.
 */
import { LRUCache } from 'lru-cache'
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
 * What one visitor (user key) was last given, flat: `[slot, ms, slot, ms, …]`, where a
 * slot is an interned campaign ID (≥ 0) or destination ID (< 0) and ms is epoch ms. One
 * all-number array per visitor (V8 stores it unboxed) instead of an object and two Maps:
 * with most clicks from new visitors, every click used to promote ~600 bytes of Maps to
 * the old generation, and the major GCs that followed were the redirect's p99.
 */
type Visitor = number[]

/** Past this many remembered campaigns + destinations, a visitor forgets the oldest. */
const MAX_VISITOR_ENTRIES = 32

/**
 * Visitor memory for uniqueness and anti-repeat, LRU-bounded by visitor. The router asks
 * several questions about the same visitor per click, so the last visitor looked up is
 * kept at hand: one hash of the user key per click instead of one per question.
 */
function createVisitorMemory(max: number) {
  const lru = new LRUCache<string, Visitor>({ max })
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
  let lastKey = ''
  let last: Visitor | undefined
  const find = (userKey: string): Visitor | undefined => {
    if (userKey !== lastKey) {
      lastKey = userKey
      last = lru.peek(userKey)
    }
    return last
  }
  const read = (v: Visitor | undefined, slot: number | undefined): number | undefined => {
    if (v === undefined || slot === undefined) return undefined
    for (let i = 0; i < v.length; i += 2) if (v[i] === slot) return v[i + 1]
    return undefined
  }
  const write = (v: Visitor, slot: number, ms: number) => {
    for (let i = 0; i < v.length; i += 2) {
      if (v[i] === slot) {
        v[i + 1] = ms
        return
      }
    }
    if (v.length >= MAX_VISITOR_ENTRIES * 2) v.splice(0, 2)
    v.push(slot, ms)
  }
  const upsert = (userKey: string): Visitor => {
    let v = lru.get(userKey)
    if (!v) {
      v = []
      lru.set(userKey, v)
    }
    lastKey = userKey
    last = v
    return v
  }
  return {
    lastCampaign: (userKey: string, id: string) => read(find(userKey), campaignSlots.get(id)),
    lastDestination: (userKey: string, id: string) => read(find(userKey), destinationSlots.get(id)),
    rememberCampaign: (userKey: string, id: string, ms: number) =>
      write(upsert(userKey), slotOf(campaignSlots, id, 1), ms),
    rememberDestination: (userKey: string, id: string, ms: number) =>
      write(upsert(userKey), slotOf(destinationSlots, id, -1), ms),
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
}

/**
 * @param opts.memory max visitors (user keys) remembered for anti-repeat and uniqueness (LRU).
 * @param opts.random uniform [0,1) source (Math.random in production).
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
    random: opts.random ?? Math.random,

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
  }
}
