/**
 * Clay simulator: a real HTTP server on 127.0.0.1 playing one Clay table with a "Monitor
 * webhook" source and an "HTTP API" action that posts each row's enrichment result to the
 * row's `callback_url` — the round trip described in `src/modules/outreach/clay.client.ts`
 * and `clay.callback.core.ts`. Self-contained (imports no module file).
 *
 * The webhook (`url`, shaped like Clay's `/v3/sources/webhook/pull-in-data-from-a-webhook-<id>`):
 * - `POST` one JSON object per request; anything else 400.
 * - `x-clay-webhook-auth` must equal `authToken` when one is set, else 401.
 * - A sliding 1 s window of `ratePerSecond` accepted requests; 429 with `Retry-After: 1` beyond.
 * - `lifetimeCap` submissions in the source's life (`setCapUsed(n)` jumps ahead); past it
 *   403 `{error}` (the real one may also just drop rows silently — hence our own count).
 * - Accepted rows are recorded (`submissions()`); rows with a `correlation_id` and an
 *   http(s) `callback_url` get a callback.
 *
 * The callback, per row, deterministic by `seed` + the row's `handle`:
 * - dropped (never sent) for a `dropShare` of handles;
 * - otherwise `POST callback_url` with `{correlation_id, email, email_status}` after a delay
 *   in `delayMs` ([min, max], ms), where `email` is `<handle>@example.test` for an
 *   `emailShare` of handles and "" otherwise (Clay renders an empty column as "");
 * - sent twice (the duplicate right after the first) for a `duplicateShare` of handles.
 * In `manual` mode nothing is sent until `flush()`, which delivers every pending callback
 * at once (for replays on an injected clock); `flush()` also works in timed mode.
 */
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ClaySimSubmission {
  /** Simulator time, ms. */
  at: number
  body: Record<string, unknown>
}

export interface ClaySimRequest {
  at: number
  status: number
}

export interface ClaySimCallback {
  correlation_id: string
  url: string
  body: { correlation_id: string; email: string; email_status: 'found' | 'not_found' }
  /** The second copy of a duplicated callback. */
  duplicate: boolean
  /** When it is due (simulator time, ms). */
  dueAt: number
}

export interface ClaySimDelivery extends ClaySimCallback {
  /** The callback endpoint's HTTP status, 0 when it could not be reached. */
  status: number
}

export interface ClaySimulatorOptions {
  /** Required `x-clay-webhook-auth` value; none required when unset. */
  authToken?: string
  /** Share of handles with an email found (default 0.75). */
  emailShare?: number
  /** Callback delay range, ms (default [20, 200]). */
  delayMs?: [number, number]
  /** Share of rows whose callback is sent twice (default 0.05). */
  duplicateShare?: number
  /** Share of rows that never get a callback (default 0.03). */
  dropShare?: number
  /** Accepted requests per sliding second (default 10). */
  ratePerSecond?: number
  /** Lifetime submissions of the webhook source (default 50,000). */
  lifetimeCap?: number
  /** Seed of the per-handle decisions (default 1). */
  seed?: number
  /** Hold every callback until `flush()` (default false). */
  manual?: boolean
  /** Time source, ms (default `Date.now`). */
  now?: () => number
}

export interface ClaySimulator {
  /** The table's webhook URL. */
  url: string
  stop(): Promise<void>
  /** Accepted rows, in order. */
  submissions(): ClaySimSubmission[]
  /** Every webhook request with its answer status. */
  requests(): ClaySimRequest[]
  /** Callbacks not delivered yet. */
  pending(): ClaySimCallback[]
  /** Callbacks delivered (or attempted), in order. */
  deliveries(): ClaySimDelivery[]
  /** Deliver every pending callback now; resolves to how many were sent. */
  flush(): Promise<number>
  /** Set the number of submissions the source has used. */
  setCapUsed(n: number): void
  /** What the simulator decides for a handle (tests compute expected shares with it). */
  decide(handle: string): { found: boolean; drop: boolean; duplicate: boolean; email: string | null }
}

function hash32(s: string): number {
  let h = 2166136261
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  // final avalanche (murmur3 fmix32) so close strings spread over [0, 2^32)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** `Alex.Smith_1` → `alex.smith.1`: a local part z.email() accepts. */
function localPart(handle: string): string {
  const s = handle
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '.')
    .replace(/^\.+|\.+$/g, '')
  return s === '' ? 'creator' : s.slice(0, 60)
}

/**
 * Start the Clay simulator on 127.0.0.1 (random port); see the file header for the
 * behaviour. Shares are in [0, 1], delays in ms. Stop it with `stop()` (pending callbacks are
 * discarded, in-flight ones awaited).
 */
export async function startClaySimulator(opts: ClaySimulatorOptions = {}): Promise<ClaySimulator> {
  const emailShare = opts.emailShare ?? 0.75
  const [minDelay, maxDelay] = opts.delayMs ?? [20, 200]
  const duplicateShare = opts.duplicateShare ?? 0.05
  const dropShare = opts.dropShare ?? 0.03
  const rate = opts.ratePerSecond ?? 10
  const cap = opts.lifetimeCap ?? 50_000
  const seed = opts.seed ?? 1
  const manual = opts.manual ?? false
  const now = opts.now ?? Date.now
  const path = `/v3/sources/webhook/pull-in-data-from-a-webhook-${randomUUID()}`

  const subs: ClaySimSubmission[] = []
  const reqs: ClaySimRequest[] = []
  const pendingList: (ClaySimCallback & { timer?: NodeJS.Timeout })[] = []
  const delivered: ClaySimDelivery[] = []
  const inFlight = new Set<Promise<void>>()
  let used = 0
  let window: number[] = []
  let stopped = false

  const unit = (tag: string, handle: string) => hash32(`${seed}:${tag}:${handle}`) / 2 ** 32
  function decide(handle: string) {
    const found = unit('email', handle) < emailShare
    return {
      found,
      drop: unit('drop', handle) < dropShare,
      duplicate: unit('dup', handle) < duplicateShare,
      email: found ? `${localPart(handle)}@example.test` : null,
    }
  }

  function deliver(cb: ClaySimCallback): Promise<void> {
    const p = (async () => {
      let status = 0
      try {
        const res = await fetch(cb.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(cb.body),
          signal: AbortSignal.timeout(10_000),
        })
        await res.arrayBuffer()
        status = res.status
      } catch {
        status = 0
      }
      delivered.push({ ...cb, status })
    })()
    inFlight.add(p)
    void p.finally(() => inFlight.delete(p))
    return p
  }

  function take(cb: ClaySimCallback & { timer?: NodeJS.Timeout }): boolean {
    const i = pendingList.indexOf(cb)
    if (i < 0) return false
    pendingList.splice(i, 1)
    if (cb.timer) clearTimeout(cb.timer)
    return true
  }

  function schedule(row: Record<string, unknown>) {
    const id = row.correlation_id
    const url = row.callback_url
    const handle = typeof row.handle === 'string' ? row.handle : ''
    if (typeof id !== 'string' || typeof url !== 'string' || !/^https?:\/\//.test(url)) return
    const d = decide(handle)
    if (d.drop) return
    const delay = Math.round(minDelay + unit('delay', handle) * Math.max(0, maxDelay - minDelay))
    const body = {
      correlation_id: id,
      email: d.email ?? '',
      email_status: d.found ? ('found' as const) : ('not_found' as const),
    }
    const copies = d.duplicate ? 2 : 1
    for (let k = 0; k < copies; k++) {
      const cb: ClaySimCallback & { timer?: NodeJS.Timeout } = {
        correlation_id: id,
        url,
        body,
        duplicate: k === 1,
        dueAt: now() + delay + k,
      }
      pendingList.push(cb)
      if (!manual) {
        cb.timer = setTimeout(() => {
          if (take(cb) && !stopped) void deliver(cb)
        }, delay + k)
      }
    }
  }

  function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string) {
    const entry: ClaySimRequest = { at: now(), status: 0 }
    reqs.push(entry)
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      entry.status = status
      res.writeHead(status, { 'content-type': 'application/json', ...headers })
      res.end(JSON.stringify(body))
    }
    if (new URL(req.url ?? '/', 'http://sim').pathname !== path) return send(404, { error: 'Not found' })
    if (req.method !== 'POST') return send(405, { error: 'Method not allowed' })
    if (opts.authToken !== undefined && req.headers['x-clay-webhook-auth'] !== opts.authToken) {
      return send(401, { error: 'Unauthorized' })
    }
    const t = now()
    window = window.filter((x) => x > t - 1000)
    if (window.length >= rate) return send(429, { error: 'Too many requests' }, { 'retry-after': '1' })
    window.push(t)
    if (used >= cap) return send(403, { error: 'Webhook submission limit reached' })
    let body: unknown
    try {
      body = JSON.parse(raw)
    } catch {
      return send(400, { error: 'Invalid JSON' })
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return send(400, { error: 'Expected one JSON object' })
    }
    used += 1
    subs.push({ at: t, body: body as Record<string, unknown> })
    schedule(body as Record<string, unknown>)
    return send(200, { success: true })
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
    url: `http://127.0.0.1:${port}${path}`,
    async stop() {
      stopped = true
      for (const cb of pendingList.splice(0)) if (cb.timer) clearTimeout(cb.timer)
      await Promise.allSettled([...inFlight])
      await new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
    },
    submissions: () => subs.slice(),
    requests: () => reqs.slice(),
    pending: () => pendingList.map(({ timer: _t, ...cb }) => cb),
    deliveries: () => delivered.slice(),
    async flush() {
      const due = pendingList.slice()
      for (const cb of due) take(cb)
      // In order, one at a time: the duplicate arrives after its original, as in timed mode.
      for (const cb of due) await deliver(cb)
      return due.length
    },
    setCapUsed(n) {
      if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('setCapUsed(n) needs an integer ≥ 0')
      used = n
    },
    decide,
  }
}
