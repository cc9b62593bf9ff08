/**
 * Recent clicks shared between processes through Redis (optional, `CLICK_CACHE_TTL_S` > 0
 * with REDIS_URL): traffic nodes write each click they serve, api nodes read it when a
 * postback names a click another process served and ClickHouse does not hold yet (the event
 * log and the worker's insert take a second or two), or when the api has no ClickHouse.
 *
 * - Key `tfx:click:<click ID>` → the click's {@link ClickInfo} as JSON, expiring after the TTL:
 *   the cache only has to cover the ingestion lag; older clicks are found in ClickHouse.
 * - Key `tfx:lclick:<click ID>` → the first lander CTA click's `{stream_id, destination_id}`
 *   (SET NX: the first one wins, as in ClickHouse's lookup).
 * - The hot path never waits: `remember` keeps the events and a timer writes them every
 *   `flushMs` in one pipelined round trip. Redis down → the writes of that tick are dropped
 *   (counted): a postback for such a click falls back to ClickHouse or answers
 *   `unknown_click`, and the network's retry matches once the click is ingested.
 * - Reads reject nothing: a Redis error is counted and the lookup says "not held".
 *
 * Memory: about 0.5 KB per click, so TTL × click rate × 0.5 KB (120 s at 10,000 clicks/s
 * ≈ 600 MB); keep the TTL short.
 */
import type { Redis } from 'ioredis'
import type { ClickEvent, LanderClickEvent, PipelineEvent } from '../analytics/index.ts'
import { type ClickInfo, infoOf, type LanderOffer } from './click.lookup.ts'

const CLICK_KEY = 'tfx:click:'
const LANDER_KEY = 'tfx:lclick:'

/** Counters of a {@link SharedClickCache}. */
export interface SharedClickCacheStats {
  written: number
  /** Writes dropped because Redis failed (their clicks are found in ClickHouse once ingested). */
  dropped: number
  hits: number
  misses: number
  readErrors: number
}

export interface SharedClickCache {
  /** Keeps the clicks and lander clicks among `events` for the next write (cheap, synchronous). */
  remember(events: readonly PipelineEvent[]): void
  /** The click, if a process wrote it within the TTL; undefined when not held or Redis fails. */
  lookup(clickId: string): Promise<ClickInfo | undefined>
  /** The first lander CTA click of `clickId`, if written within the TTL. */
  lookupLanderClick(clickId: string): Promise<LanderOffer | undefined>
  /** Writes what `remember` kept now (the timer does it every `flushMs`). */
  flush(): Promise<void>
  start(): void
  /** Stops the timer after a last write. */
  stop(): Promise<void>
  stats(): SharedClickCacheStats
}

/**
 * @param deps.redis an ioredis client; with `enableOfflineQueue: false` a write while Redis is
 *   down fails at once instead of queueing in memory.
 * @param deps.ttlMs how long a click stays readable (ms).
 * @param deps.flushMs write period (ms), default 50.
 * @param deps.maxPending kept events past which further clicks are not cached until the next
 *   write (bounded memory while Redis is slow), default 100,000.
 */
export function createSharedClickCache(deps: {
  redis: Redis
  ttlMs: number
  flushMs?: number
  maxPending?: number
}): SharedClickCache {
  const { redis, ttlMs } = deps
  const maxPending = deps.maxPending ?? 100_000
  let clicks: ClickEvent[] = []
  let landers: LanderClickEvent[] = []
  let timer: NodeJS.Timeout | undefined
  let writing: Promise<void> | undefined
  const s: SharedClickCacheStats = { written: 0, dropped: 0, hits: 0, misses: 0, readErrors: 0 }

  async function write(): Promise<void> {
    if (clicks.length === 0 && landers.length === 0) return
    const c = clicks
    const l = landers
    clicks = []
    landers = []
    const p = redis.pipeline()
    for (const e of c) p.set(CLICK_KEY + e.click_id, JSON.stringify(infoOf(e)), 'PX', ttlMs)
    for (const e of l) {
      const offer: LanderOffer = { stream_id: e.stream_id, destination_id: e.destination_id }
      p.set(LANDER_KEY + e.click_id, JSON.stringify(offer), 'PX', ttlMs, 'NX')
    }
    try {
      const results = (await p.exec()) ?? []
      for (const [err] of results) {
        if (err) s.dropped++
        else s.written++
      }
    } catch {
      s.dropped += c.length + l.length
    }
  }

  const flush = (): Promise<void> => {
    // One write at a time; a flush during a write waits for it, then writes what is new.
    writing = (writing ?? Promise.resolve()).then(write).finally(() => {
      writing = undefined
    })
    return writing
  }

  async function read<T>(key: string): Promise<T | undefined> {
    try {
      const v = await redis.get(key)
      if (v === null) {
        s.misses++
        return undefined
      }
      s.hits++
      return JSON.parse(v) as T
    } catch {
      s.readErrors++
      return undefined
    }
  }

  return {
    remember(events) {
      for (const e of events) {
        if (clicks.length + landers.length >= maxPending) {
          s.dropped++
          continue
        }
        if (e.type === 'click') clicks.push(e)
        else if (e.type === 'lander_click') landers.push(e)
      }
    },
    lookup: (clickId) => read<ClickInfo>(CLICK_KEY + clickId),
    lookupLanderClick: (clickId) => read<LanderOffer>(LANDER_KEY + clickId),
    flush,
    start() {
      if (timer) return
      timer = setInterval(() => void flush(), deps.flushMs ?? 50)
      timer.unref()
    },
    async stop() {
      if (timer) clearInterval(timer)
      timer = undefined
      await flush()
    },
    stats: () => ({ ...s }),
  }
}
