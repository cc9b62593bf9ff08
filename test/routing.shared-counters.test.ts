/**
 * Shared counters against the real Redis (127.0.0.1:6379): cap leases spent by several
 * "nodes" (lease managers with their own router state, in this process), the daily key's
 * roll-over in the cap's timezone, an outage through a TCP proxy that is cut and restored,
 * reconciliation, visitor memories shared between nodes, and the Lua scripts compared with
 * their model. Every test uses its own key prefix and deletes its keys.
 */
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import net from 'node:net'
import fc from 'fast-check'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Clock, manualClock, systemClock } from '../src/platform/clock.ts'
import { createWorkspaceWithKey, testApiApp, testConfig } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'
import { createLogger } from '../src/platform/logger.ts'
import { compileSnapshot, route, type Snapshot } from '../src/modules/routing/core/index.ts'
import {
  campaignRow,
  ctx,
  destinationRow,
  rows,
  streamRow,
  uid,
} from '../src/modules/routing/core/test-fixtures.ts'
import { loadCapCounters } from '../src/modules/routing/hotpath/cap.repository.ts'
import { createRuntimeState } from '../src/modules/routing/hotpath/router-state.ts'
import {
  type AuthoritativeCounts,
  capCountsFromStore,
  createRoutingRuntime,
  createSharedCounters,
  type RoutingRuntime,
} from '../src/modules/routing/index.ts'
import { leaseKey } from '../src/modules/routing/shared/cap-lease.core.ts'
import {
  LEASE_SYNC_LUA,
  type ModelKey,
  type SyncArgs,
  syncModel,
} from '../src/modules/routing/shared/cap-lease.script.ts'

const REDIS_URL = 'redis://127.0.0.1:6379'
const D1 = uid(1001)
const logger = createLogger('silent')
let admin: Redis

beforeAll(() => {
  admin = new Redis(REDIS_URL)
})
afterAll(async () => {
  await admin.quit()
})

async function dropPrefix(prefix: string) {
  const keys = await admin.keys(`${prefix}*`)
  if (keys.length > 0) await admin.del(...keys)
}

/** A TCP proxy in front of Redis that can be cut (every connection dropped, new ones refused) and restored. */
async function tcpProxy(targetPort = 6379) {
  let open = true
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    if (!open) {
      client.destroy()
      return
    }
    const upstream = net.connect(targetPort, '127.0.0.1')
    sockets.add(client)
    sockets.add(upstream)
    const kill = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', kill)
    upstream.on('error', kill)
    client.on('close', kill)
    upstream.on('close', kill)
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as net.AddressInfo).port
  return {
    url: `redis://127.0.0.1:${port}`,
    cut() {
      open = false
      for (const s of sockets) s.destroy()
      sockets.clear()
    },
    restore() {
      open = true
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      }),
  }
}

/** One traffic "node": its own router state wrapped by its own shared counters. */
function node(
  prefix: string,
  snap: Snapshot,
  opts: {
    block: number
    clock?: Clock
    url?: string
    counts?: AuthoritativeCounts
    nodeId?: string
  },
) {
  const shared = createSharedCounters({
    redisUrl: opts.url ?? REDIS_URL,
    block: opts.block,
    logger,
    clock: opts.clock,
    prefix,
    nodeId: opts.nodeId,
    authoritativeCounts: opts.counts,
    tickMs: 10,
    visitorFlushMs: 10,
    reconcileMs: 0,
    policy: { heartbeatMs: 200, retryMs: 30, exhaustedRetryMs: 50 },
    redisOptions: { retryStrategy: () => 30, connectTimeout: 500, commandTimeout: 500 },
  })
  const state = shared.attach(createRuntimeState({ memory: 1024 }))
  shared.setSnapshot(snap)
  const clock = opts.clock ?? systemClock
  let delivered = 0
  let n = 0
  /** Routes one click of `userKey` through campaign `camp`; true when it went to D1. */
  const click = (userKey = `u${n++}`, campaignId = uid(1)) => {
    const at = clock.now()
    const campaign = snap.campaignsById.get(campaignId)!
    const d = route(snap, campaign, ctx({ userKey }), state, at, `click-${n}`)
    state.apply(d.effects, at.getTime())
    const hit = d.kind === 'redirect' && d.destinationId === D1
    if (hit) delivered++
    return hit
  }
  return { shared, state, click, delivered: () => delivered }
}

function snapshotWith(
  dest: Parameters<typeof destinationRow>[1],
  campaign: Parameters<typeof campaignRow>[0] = {},
) {
  return compileSnapshot(
    rows({
      campaigns: [campaignRow(campaign), campaignRow({ id: uid(2), alias: 'camp2', ...campaign })],
      streams: [streamRow(1, { destinations: [1] }), streamRow(2, { campaignId: uid(2), destinations: [1] })],
      destinations: [destinationRow(1, dest)],
    }),
  )
}

const turn = () => new Promise<void>((r) => setImmediate(r))
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

async function until(cond: () => boolean, ms = 5_000) {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out')
    await sleep(5)
  }
}

describe('cap leases across nodes (real Redis)', () => {
  it('three nodes clicking at once deliver between N − nodes × block and N, never more', async () => {
    const prefix = `tfx-test:${randomUUID()}:`
    const N = 300
    const block = 20
    const snap = snapshotWith({ totalClickCap: N })
    const nodes = [0, 1, 2].map((i) => node(prefix, snap, { block, nodeId: `n${i}` }))
    try {
      await Promise.all(nodes.map((n) => n.shared.ready(2_000)))
      // Each node takes bursts of clicks per event-loop turn until every node has seen the
      // cap closed for a while (all leases spent, nothing more granted), at most 5 s.
      const deadline = Date.now() + 5_000
      let quietTurns = 0
      while (Date.now() < deadline && quietTurns < 200) {
        let hits = 0
        for (const n of nodes) for (let k = 0; k < 7; k++) if (n.click()) hits++
        quietTurns = hits === 0 ? quietTurns + 1 : 0
        await turn()
      }
      const delivered = nodes.reduce((a, n) => a + n.delivered(), 0)
      expect(delivered).toBeLessThanOrEqual(N)
      expect(delivered).toBeGreaterThanOrEqual(N - nodes.length * block)
      for (const n of nodes) {
        expect(n.shared.status().overspent).toBe(0)
        expect(n.shared.status().refills).toBeGreaterThan(0)
      }
      // Every node ended up spending: the budget moved between them.
      for (const n of nodes) expect(n.delivered()).toBeGreaterThan(0)
      await Promise.all(nodes.map((n) => n.shared.stop()))
      // After a clean stop Redis's `used` is exactly the clicks delivered: nothing left leased.
      const used = Number(await admin.hget(leaseKey(prefix, D1, 'total', null), 'used'))
      expect(used).toBe(nodes.reduce((a, n) => a + n.delivered(), 0))
    } finally {
      await Promise.all(nodes.map((n) => n.shared.stop()))
      await dropPrefix(prefix)
    }
  })

  it('the daily key rolls over at midnight in the cap timezone; the old lease is given back', async () => {
    const prefix = `tfx-test:${randomUUID()}:`
    // 23:59:30 in Berlin (UTC+1 in January).
    const clock = manualClock('2026-01-15T22:59:30Z')
    const snap = snapshotWith({ dailyClickCap: 30, capTimezone: 'Europe/Berlin' })
    const a = node(prefix, snap, { block: 20, clock })
    try {
      await a.shared.ready(2_000)
      for (let i = 0; i < 5; i++) expect(a.click()).toBe(true)
      const yesterday = leaseKey(prefix, D1, 'daily', '2026-01-15')
      expect(await admin.pttl(yesterday)).toBeGreaterThan(86_400_000)
      clock.set('2026-01-15T23:00:01Z') // 00:00:01 in Berlin
      // Until today's lease arrives the destination is unavailable (an undershoot of ~one RTT).
      await until(() => a.shared.status().leases.some((l) => l.day === '2026-01-16' && l.remaining > 0))
      for (let i = 0; i < 20; i++) expect(a.click()).toBe(true)
      await until(() => !a.shared.status().leases.some((l) => l.day === '2026-01-15'))
      // Yesterday: 5 spent, the other 15 of its block given back.
      expect(Number(await admin.hget(yesterday, 'used'))).toBe(5)
      expect(a.shared.status().returnedClicks).toBeGreaterThanOrEqual(15)
      // Today's cap is 30: 10 more, then closed.
      let more = 0
      const end = Date.now() + 1_000
      while (Date.now() < end) {
        if (a.click()) more++
        await sleep(2)
      }
      expect(more).toBe(10)
    } finally {
      await a.shared.stop()
      await dropPrefix(prefix)
    }
  })

  it('Redis cut off: held leases keep serving, the outage shows in status, refill and reconciliation after restore', async () => {
    const prefix = `tfx-test:${randomUUID()}:`
    const proxy = await tcpProxy()
    const N = 100
    const snap = snapshotWith({ totalClickCap: N })
    let delivered = 0
    const calls: { ids: string[]; day: string | null }[] = []
    const counts: AuthoritativeCounts = async (ids, day) => {
      calls.push({ ids, day })
      return new Map(ids.map((id) => [id, delivered]))
    }
    const a = node(prefix, snap, { block: 10, url: proxy.url, counts })
    try {
      await a.shared.ready(2_000)
      expect(calls).toHaveLength(1) // reconciled before the first grant
      expect(calls[0]).toEqual({ ids: [D1], day: null })
      for (let i = 0; i < 3; i++) if (a.click()) delivered++
      await until(() => a.shared.status().leases[0]!.remaining >= 7)
      const held = a.shared.status().leases[0]!.remaining

      proxy.cut()
      await until(() => !a.shared.status().connected)
      // Spend everything held (no network wait: click() is synchronous), then the cap is closed.
      let served = 0
      for (let i = 0; i < 50; i++) if (a.click()) served++
      delivered += served
      expect(served).toBe(held)
      await sleep(150) // refills are attempted and fail meanwhile
      const down = a.shared.status()
      expect(down.connected).toBe(false)
      expect(down.lastError).not.toBeNull()
      expect(down.grantFailures).toBeGreaterThan(0)
      expect(down.leases[0]!.remaining).toBe(0)
      expect(a.click()).toBe(false)

      // Redis loses the key while we are away: reconciliation restores `used` from the counts.
      await admin.del(leaseKey(prefix, D1, 'total', null))
      proxy.restore()
      await until(() => a.shared.status().connected && a.shared.status().reconciles >= 2)
      await until(() => a.shared.status().leases[0]!.remaining > 0)
      // Spend the rest of the cap: exactly N in all, however the outage went.
      const end = Date.now() + 3_000
      while (Date.now() < end && delivered < N) {
        if (a.click()) delivered++
        await sleep(1)
      }
      expect(delivered).toBe(N)
      await sleep(100)
      for (let i = 0; i < 20; i++) expect(a.click()).toBe(false)
      expect(a.shared.status().overspent).toBe(0)
    } finally {
      await a.shared.stop()
      await proxy.close()
      await dropPrefix(prefix)
    }
  })

  it('a node that crashed: its lease is reclaimed by the others after the lease expiry', async () => {
    const prefix = `tfx-test:${randomUUID()}:`
    const snap = snapshotWith({ totalClickCap: 30 })
    const proxy = await tcpProxy()
    const mk = (id: string, url: string) =>
      createSharedCounters({
        redisUrl: url,
        block: 20,
        logger,
        prefix,
        nodeId: id,
        tickMs: 10,
        reconcileMs: 0,
        policy: { heartbeatMs: 50, retryMs: 30, exhaustedRetryMs: 50, leaseTtlMs: 400, expiryMarginMs: 100 },
        redisOptions: { retryStrategy: () => 30, connectTimeout: 500, commandTimeout: 500 },
      })
    const dead = mk('dead', proxy.url)
    const alive = mk('alive', REDIS_URL)
    try {
      dead.attach(createRuntimeState({ memory: 64 }))
      dead.setSnapshot(snap)
      await dead.ready()
      expect(dead.status().leases[0]!.remaining).toBe(20)
      proxy.cut() // the "crash": it never talks to Redis again
      alive.attach(createRuntimeState({ memory: 64 }))
      alive.setSnapshot(snap)
      await alive.ready()
      expect(alive.status().leases[0]!.remaining).toBe(10)
      // Once the dead node's lease expires, the alive node's next refill reclaims its 20.
      await until(
        () => alive.status().leases[0]!.remaining === 30 || alive.status().reclaimedClicks === 20,
        3_000,
      )
      expect(alive.status().reclaimedClicks).toBe(20)
      // And the cut-off node stopped counting on its budget before that (local expiry).
      expect(dead.status().leases.every((l) => !l.spendable)).toBe(true)
    } finally {
      await alive.stop()
      await dead.stop(100)
      await proxy.close()
      await dropPrefix(prefix)
    }
  })
})

describe('visitor memories across nodes (real Redis)', () => {
  it('a visitor seen by one node is known to another after one flush', async () => {
    const prefix = `tfx-test:${randomUUID()}:`
    const snap = snapshotWith({}, { antiRepeat: { enabled: true, window_seconds: 600 } })
    const a = node(prefix, snap, { block: 5 })
    const b = node(prefix, snap, { block: 5 })
    try {
      await Promise.all([a.shared.ready(), b.shared.ready()])
      a.click('visitor-1')
      await until(() => a.shared.status().visitors.written >= 2)
      // B has never seen the visitor: this click is decided on B's local memory (unique),
      // and B looks the visitor up in the background.
      expect(b.state.lastSeenCampaign('visitor-1', uid(1))).toBeUndefined()
      b.click('visitor-1', uid(2))
      await until(() => b.shared.status().visitors.warmed >= 2)
      expect(b.state.lastSeenCampaign('visitor-1', uid(1))).toBeTypeOf('number')
      expect(b.state.lastSeenDestination('visitor-1', D1)).toBeTypeOf('number')
      // The window of the campaign is the key's expiry.
      const keys = await admin.keys(`${prefix}v:*`)
      expect(keys).toHaveLength(1)
      const ttl = await admin.pttl(keys[0]!)
      expect(ttl).toBeGreaterThan(590_000)
      expect(ttl).toBeLessThanOrEqual(600_000)
    } finally {
      await Promise.all([a.shared.stop(), b.shared.stop()])
      await dropPrefix(prefix)
    }
  })
})

describe('the Lua sync script matches its model', () => {
  it('random call sequences give the same replies and hash (no expiry)', async () => {
    const prefix = `tfx-test:${randomUUID()}:`
    const r = new Redis(REDIS_URL)
    r.defineCommand('tfxLeaseSync', { numberOfKeys: 1, lua: LEASE_SYNC_LUA })
    const sync = (r as unknown as { tfxLeaseSync(k: string, ...a: (string | number)[]): Promise<number[]> })
      .tfxLeaseSync
    let run = 0
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 40 }),
          fc.array(
            fc.record({
              node: fc.constantFrom('a', 'b'),
              seqJump: fc.constantFrom(0, 0, 1),
              spent: fc.nat(6),
              give: fc.nat(6),
              want: fc.nat(12),
              final: fc.boolean(),
              ackMode: fc.constantFrom('last', 'last', 'older'),
            }),
            { minLength: 1, maxLength: 25 },
          ),
          async (cap, calls) => {
            const key = `${prefix}k${run++}`
            let model: ModelKey = { used: 0, nodes: new Map() }
            const seq: Record<string, number> = { a: 0, b: 0 }
            for (const c of calls) {
              const prev = seq[c.node]!
              seq[c.node] = prev + 1 + c.seqJump
              const args: SyncArgs = {
                node: c.node,
                seq: seq[c.node]!,
                ackSeq: c.ackMode === 'last' ? prev : Math.max(0, prev - 1),
                spent: c.spent,
                give: c.give,
                want: c.want,
                cap,
                leaseTtlMs: 3_600_000,
                final: c.final,
                tombstoneMs: 86_400_000,
              }
              const raw = await sync.call(
                r,
                key,
                args.node,
                args.seq,
                args.ackSeq,
                args.spent,
                args.give,
                args.want,
                args.cap,
                args.leaseTtlMs,
                0,
                args.final ? '1' : '0',
                args.tombstoneMs,
              )
              const m = syncModel(model, args, Date.now())
              model = m.key
              expect(raw.map(Number)).toEqual([
                m.reply.granted,
                m.reply.lost,
                m.reply.reclaimedSelf ? 1 : 0,
                m.reply.used,
                m.reply.reclaimed,
                m.reply.outstanding,
              ])
            }
            const h = await r.hgetall(key)
            expect(Number(h.used)).toBe(model.used)
            for (const [n, v] of model.nodes) {
              expect(Number(h[`o:${n}`])).toBe(v.o)
              expect(Number(h[`q:${n}`])).toBe(v.q)
              expect(Number(h[`lg:${n}`])).toBe(v.lg)
            }
          },
        ),
        { numRuns: 40 },
      )
    } finally {
      await dropPrefix(prefix)
      await r.quit()
    }
  })
})

describe('two routing runtimes sharing counters (real Redis, one PGlite store)', () => {
  it('serve a total cap together over HTTP; the lead wiring: createRoutingRuntime({ shared })', async () => {
    const prefix = `tfx-test:${randomUUID()}:`
    const h = await throwawayDb('pglite')
    const config = testConfig({ REDIS_URL, CAP_LEASE_BLOCK: '5', CAP_PERSIST_MS: '100' })
    const app = await testApiApp(h.db, { config })
    const servers: http.Server[] = []
    const runtimes: RoutingRuntime[] = []
    try {
      const ws = await createWorkspaceWithKey(h.db)
      const post = async (url: string, payload: Record<string, unknown>) => {
        const res = await app.inject({
          method: 'POST',
          url,
          headers: { authorization: `Bearer ${ws.apiKey}` },
          payload,
        })
        expect(res.statusCode, res.body).toBe(201)
        return res.json() as { id: string }
      }
      const dest = await post('/api/v1/destinations', {
        name: 'Capped',
        url: 'https://offer.example/?c={click_id}',
        total_click_cap: 25,
      })
      const camp = await post('/api/v1/campaigns', {
        name: 'Shared',
        alias: 'shared-cap',
        trafficback: { type: 'url', url: 'https://tb.example/' },
      })
      await post('/api/v1/streams', {
        campaign_id: camp.id,
        name: 'S',
        destinations: [{ destination_id: dest.id }],
      })
      for (let i = 0; i < 2; i++) {
        const shared = createSharedCounters({
          redisUrl: config.REDIS_URL!,
          block: config.CAP_LEASE_BLOCK,
          logger,
          prefix,
          tickMs: 10,
          policy: { retryMs: 30, exhaustedRetryMs: 50 },
        })
        const rt = await createRoutingRuntime({
          db: h.db,
          config,
          logger,
          pipeline: { pushMany: () => true },
          shared,
        })
        rt.start()
        runtimes.push(rt)
        const server = http.createServer((req, res) => rt.redirect(req, res))
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
        servers.push(server)
        // Right after createRoutingRuntime the first lease is held: no cold start.
        expect(shared.status().leases).toMatchObject([
          { destinationId: dest.id, kind: 'total', remaining: 5 },
        ])
      }
      let offer = 0
      let trafficback = 0
      for (let i = 0; i < 60; i++) {
        const port = (servers[i % 2]!.address() as net.AddressInfo).port
        const res = await fetch(`http://127.0.0.1:${port}/c/shared-cap`, {
          redirect: 'manual',
          headers: { 'user-agent': `ua-${i}` },
        })
        const loc = res.headers.get('location') ?? ''
        if (loc.startsWith('https://offer.example/')) offer++
        else if (loc === 'https://tb.example/') trafficback++
        await sleep(3)
      }
      expect(offer + trafficback).toBe(60)
      expect(offer).toBeLessThanOrEqual(25)
      expect(offer).toBeGreaterThanOrEqual(25 - 2 * 5)
      for (const rt of runtimes) await rt.stop()
      runtimes.length = 0
      expect(Number(await admin.hget(leaseKey(prefix, dest.id, 'total', null), 'used'))).toBe(offer)
      // cap_counters still gets every node's clicks (the single-node persistence, summed).
      const stored = (await loadCapCounters(h.db)).filter((r) => r.destinationId === dest.id)
      expect(stored.reduce((a, r) => a + r.clicks, 0)).toBe(offer)
      // …and serves as a reconciliation source.
      const fromStore = capCountsFromStore(h.db)
      expect(await fromStore([dest.id, uid(999)], null, 'UTC')).toEqual(new Map([[dest.id, offer]]))
      expect(await fromStore([dest.id], stored[0]!.day, 'UTC')).toEqual(new Map([[dest.id, offer]]))
      expect(await fromStore([dest.id], '1999-01-01', 'UTC')).toEqual(new Map())
    } finally {
      for (const rt of runtimes) await rt.stop()
      for (const s of servers) await new Promise((r) => s.close(r))
      await app.close()
      await h.drop()
      await dropPrefix(prefix)
    }
  })
})
