import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  applyAck,
  applyFailure,
  canSpend,
  defaultLeasePolicy,
  diffLeases,
  isExpiredLocally,
  isSettled,
  type LeaseState,
  leaseKey,
  markSent,
  newLease,
  planSync,
  retire,
  type SyncPlan,
  spend,
} from './cap-lease.core.ts'
import { type ModelKey, reconcileModel, type SyncResult, syncModel } from './cap-lease.script.ts'

const P = defaultLeasePolicy(10)
const held = (over: Partial<LeaseState>): LeaseState => ({ ...newLease(100), ...over })

describe('planSync', () => {
  const T = 1_000_000
  it.each<[string, LeaseState, number, Partial<SyncPlan> | undefined]>([
    [
      'a new lease asks for a block',
      newLease(100),
      T,
      { want: 10, spent: 0, give: 0, final: false, seq: 1, ackSeq: 0 },
    ],
    ['enough left, synced just now: nothing', held({ remaining: 5, lastSentAckedMs: T - 10 }), T, undefined],
    [
      'below the low-water mark: refill',
      held({ remaining: 4, unreported: 6, lastSentAckedMs: T - 10 }),
      T,
      { want: 10, spent: 6 },
    ],
    [
      'heartbeat due: report and renew',
      held({ remaining: 8, unreported: 2, lastSentAckedMs: T - 1_000 }),
      T,
      { want: 0, spent: 2 },
    ],
    [
      'nothing held, nothing to report: no heartbeat',
      held({ remaining: 0, exhausted: true, lastSentAckedMs: T - 500 }),
      T,
      undefined,
    ],
    ['in flight: nothing', held({ remaining: 0, inFlight: true }), T, undefined],
    [
      'failed 100 ms ago: wait',
      held({ remaining: 0, lastAttemptMs: T - 100, lastSentAckedMs: T - 5_000 }),
      T,
      undefined,
    ],
    [
      'failed 600 ms ago: retry',
      held({ remaining: 0, lastAttemptMs: T - 600, lastSentAckedMs: T - 5_000 }),
      T,
      { want: 10 },
    ],
    [
      'exhausted 200 ms ago: wait',
      held({ remaining: 0, exhausted: true, lastSentAckedMs: T - 200 }),
      T,
      undefined,
    ],
    [
      'exhausted 1 s ago: ask again',
      held({ remaining: 0, exhausted: true, lastSentAckedMs: T - 1_000 }),
      T,
      { want: 10 },
    ],
    [
      'retired with budget: give all back, final',
      retire(held({ remaining: 7, unreported: 3, lastSentAckedMs: T })),
      T,
      { want: 0, give: 7, spent: 3, final: true },
    ],
    [
      'retired and settled: nothing',
      retire(held({ lastSentAckedMs: T - 5, lastAttemptMs: T - 5, ackSeq: 3 })),
      T,
      undefined,
    ],
  ])('%s', (_name, s, now, expected) => {
    const plan = planSync(s, P, now)
    if (expected === undefined) expect(plan).toBeUndefined()
    else expect(plan).toMatchObject(expected)
  })
})

describe('transitions', () => {
  it('spends only held budget', () => {
    expect(spend(newLease(5))).toBeUndefined()
    expect(spend(held({ remaining: 1 }))).toMatchObject({ remaining: 0, unreported: 1 })
    expect(spend(retire(held({ remaining: 3 })))).toBeUndefined()
  })

  it('acknowledges reports and credits grants, including lost ones', () => {
    const s0 = held({ remaining: 2, unreported: 8 })
    const plan = planSync(s0, P, 10_000)!
    const sent = markSent(s0, plan, 10_000)
    const s1 = spend(sent)! // a click while the sync is on the wire
    const s2 = applyAck(s1, plan, { granted: 10, lost: 3, reclaimedSelf: false }, 10_000)
    expect(s2).toMatchObject({
      remaining: 1 + 13,
      unreported: 1,
      inFlight: false,
      ackSeq: plan.seq,
      seq: plan.seq + 1,
    })
  })

  it('drops what it held when Redis had reclaimed the lease, keeping the new grant', () => {
    const s = markSent(
      held({ remaining: 6, unreported: 4, ackSeq: 2, seq: 3 }),
      planSync(held({ remaining: 6, unreported: 4, ackSeq: 2, seq: 3 }), P, 0)!,
      0,
    )
    const plan: SyncPlan = { seq: 3, ackSeq: 2, spent: 4, give: 0, want: 0, final: false }
    expect(applyAck(s, plan, { granted: 0, lost: 0, reclaimedSelf: true }, 0)).toMatchObject({
      remaining: 0,
      unreported: 0,
    })
  })

  it('gives grants that arrive after retirement back', () => {
    const s0 = newLease(50)
    const plan = planSync(s0, P, 0)!
    const retired = retire(markSent(s0, plan, 0))
    const acked = applyAck(retired, plan, { granted: 10, lost: 0, reclaimedSelf: false }, 0)
    expect(acked).toMatchObject({ remaining: 0, unreturned: 10, retired: true })
    expect(planSync(acked, P, 1)).toMatchObject({ give: 10, final: true })
  })

  it('a failed sync is not settled: its grant may have been applied', () => {
    const s0 = newLease(50)
    const plan = planSync(s0, P, 0)!
    const failed = retire(applyFailure(markSent(s0, plan, 0), 5))
    expect(isSettled(failed)).toBe(false)
    expect(planSync(failed, P, 600)).toMatchObject({ final: true, ackSeq: 0, seq: 2 })
  })

  it('expires locally a margin before Redis may reclaim', () => {
    const s = held({ remaining: 3, lastSentAckedMs: 0 })
    expect(isExpiredLocally(s, P, P.leaseTtlMs - P.expiryMarginMs - 1)).toBe(false)
    expect(isExpiredLocally(s, P, P.leaseTtlMs - P.expiryMarginMs)).toBe(true)
    expect(isExpiredLocally(held({ remaining: 0 }), P, 1e12)).toBe(false)
  })
})

describe('diffLeases', () => {
  const dayOf = (_tz: string, ms: number) => new Date(ms).toISOString().slice(0, 10)
  const now = Date.parse('2026-03-01T12:00:00Z')
  const k = (id: string, kind: 'daily' | 'total', day: string | null = '2026-03-01') =>
    leaseKey('p:', id, kind, day)
  it.each([
    {
      name: 'opens daily and total leases of a new capped destination',
      held: [],
      settling: [],
      wanted: [{ destinationId: 'a', timezone: 'UTC', dailyCap: 5, totalCap: 9 }],
      retire: [],
      open: [k('a', 'daily'), k('a', 'total', null)],
    },
    {
      name: 'the day rolled: retires yesterday, opens today',
      held: [[k('a', 'daily', '2026-02-28'), 5]],
      settling: [],
      wanted: [{ destinationId: 'a', timezone: 'UTC', dailyCap: 5, totalCap: null }],
      retire: [k('a', 'daily', '2026-02-28')],
      open: [k('a', 'daily')],
    },
    {
      name: 'a changed cap retires now and reopens only once settled',
      held: [[k('a', 'total', null), 9]],
      settling: [],
      wanted: [{ destinationId: 'a', timezone: 'UTC', dailyCap: null, totalCap: 20 }],
      retire: [k('a', 'total', null)],
      open: [],
    },
    {
      name: 'settling key is not reopened yet',
      held: [],
      settling: [k('a', 'total', null)],
      wanted: [{ destinationId: 'a', timezone: 'UTC', dailyCap: null, totalCap: 20 }],
      retire: [],
      open: [],
    },
    {
      name: 'a destination that left the snapshot is retired',
      held: [[k('b', 'total', null), 3]],
      settling: [],
      wanted: [],
      retire: [k('b', 'total', null)],
      open: [],
    },
  ] as const)('$name', (c) => {
    const d = diffLeases(
      'p:',
      new Map(c.held as readonly (readonly [string, number])[]),
      new Set(c.settling),
      c.wanted,
      now,
      dayOf,
    )
    expect(d.retire).toEqual(c.retire)
    expect(d.open.map((o) => o.key)).toEqual(c.open)
  })
})

// ---- Many nodes against the model of the Lua script ----

interface SimNode {
  id: string
  s: LeaseState
  spent: number
  credited: number
  crashed: boolean
  inflight?: { plan: SyncPlan; sentAt: number; reply?: SyncResult }
}

type Action =
  | { t: 'click'; n: number }
  | { t: 'net'; n: number; mode: 0 | 1 | 2 }
  | { t: 'advance'; ms: number }
  | { t: 'crash'; n: number }
  | { t: 'retire'; n: number }

const action = (nodes: number, crashes: boolean): fc.Arbitrary<Action> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.record({ t: fc.constant('click' as const), n: fc.nat(nodes - 1) }) },
    {
      weight: 6,
      arbitrary: fc.record({
        t: fc.constant('net' as const),
        n: fc.nat(nodes - 1),
        mode: fc.constantFrom(0, 0, 1, 2) as fc.Arbitrary<0 | 1 | 2>,
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant('advance' as const),
        ms: fc.oneof(
          { weight: 9, arbitrary: fc.integer({ min: 1, max: 2_000 }) },
          fc.integer({ min: 1, max: 70_000 }),
        ),
      }),
    },
    {
      weight: crashes ? 1 : 0,
      arbitrary: fc.record({ t: fc.constant('crash' as const), n: fc.nat(nodes - 1) }),
    },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('retire' as const), n: fc.nat(nodes - 1) }) },
  )

/** Runs nodes against the script model; returns totals and the overshoot the crash/partition rule allows. */
function simulate(cap: number, block: number, nodeCount: number, actions: Action[]) {
  const p = defaultLeasePolicy(block, { heartbeatMs: 1_000, leaseTtlMs: 60_000, expiryMarginMs: 5_000 })
  let key: ModelKey = { used: 0, nodes: new Map() }
  let now = 0
  let allowance = 0
  const reclaimed = new Set<string>()
  const nodes: SimNode[] = Array.from({ length: nodeCount }, (_, i) => ({
    id: `n${i}`,
    s: newLease(cap),
    spent: 0,
    credited: 0,
    crashed: false,
  }))
  const redisCall = (node: SimNode, plan: SyncPlan) => {
    // Nodes whose lease this call reclaims: their unreported clicks may be sold again.
    for (const [id, v] of key.nodes) {
      if (id === node.id || v.e >= now || v.r) continue
      const victim = nodes.find((x) => x.id === id)!
      allowance += victim.s.unreported
      reclaimed.add(id)
    }
    const r = syncModel(
      key,
      { node: node.id, ...plan, cap, leaseTtlMs: p.leaseTtlMs, tombstoneMs: 86_400_000 },
      now,
    )
    key = r.key
    return r.reply
  }
  const deliver = (node: SimNode) => {
    const f = node.inflight!
    node.inflight = undefined
    node.s = applyAck(node.s, f.plan, f.reply!, f.sentAt)
    node.credited += f.reply!.granted + f.reply!.lost
  }
  const localTick = (node: SimNode) => {
    if (isExpiredLocally(node.s, p, now)) node.s = retire(node.s)
  }
  const check = () => {
    const spent = nodes.reduce((a, n) => a + n.spent, 0)
    expect(spent).toBeLessThanOrEqual(cap + allowance)
    for (const n of nodes) expect(n.spent).toBeLessThanOrEqual(n.credited)
    for (const v of key.nodes.values()) expect(v.o).toBeGreaterThanOrEqual(0)
    // What Redis believes a node holds is exactly what the node holds, once the effects of
    // a sync applied but not yet acknowledged are accounted for.
    for (const n of nodes) {
      const v = key.nodes.get(n.id)
      if (n.crashed || !v || v.r || (v.lx && v.q > n.s.ackSeq)) continue
      const unacked = v.q > n.s.ackSeq ? v.lg - v.ls - v.lr : 0
      expect(v.o).toBe(n.s.remaining + n.s.unreported + n.s.unreturned + unacked)
    }
  }
  for (const a of actions) {
    if (a.t === 'advance') now += a.ms
    else {
      const node = nodes[a.n % nodeCount]!
      if (node.crashed) continue
      localTick(node)
      if (a.t === 'crash') node.crashed = true
      else if (a.t === 'retire') node.s = retire(node.s)
      else if (a.t === 'click') {
        const next = spend(node.s)
        if (next) {
          node.s = next
          node.spent++
        }
      } else if (node.inflight) {
        if (a.mode === 1) {
          node.inflight = undefined // reply lost: applied at Redis, unknown here
          node.s = applyFailure(node.s, now)
        } else deliver(node)
      } else {
        const plan = planSync(node.s, p, now)
        if (plan) {
          node.s = markSent(node.s, plan, now)
          if (a.mode === 2)
            node.s = applyFailure(node.s, now) // never reached Redis
          else node.inflight = { plan, sentAt: now, reply: redisCall(node, plan) }
        }
      }
    }
    check()
  }
  // Clean stop of the survivors: settle every lease over a perfect network.
  now += 1
  for (const node of nodes.filter((n) => !n.crashed)) {
    if (node.inflight) deliver(node)
    node.s = retire(node.s)
    for (let i = 0; i < 10 && !isSettled(node.s); i++) {
      now += 1_000
      const plan = planSync(node.s, p, now)
      if (!plan) continue
      node.s = markSent(node.s, plan, now)
      node.inflight = { plan, sentAt: now, reply: redisCall(node, plan) }
      deliver(node)
    }
    expect(isSettled(node.s)).toBe(true)
  }
  check()
  return {
    spent: nodes.reduce((a, n) => a + n.spent, 0),
    crashed: nodes.some((n) => n.crashed),
    reclaimedAny: reclaimed.size > 0,
    key,
    now,
    p,
  }
}

describe('leases against the script model (properties)', () => {
  it('without crashes: never more clicks than the cap unless a lease expired, and a clean stop leaves used = clicks spent', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(action(4, false), { minLength: 20, maxLength: 300, size: 'max' }),
        (cap, block, n, actions) => {
          const r = simulate(cap, block, n, actions)
          if (!r.reclaimedAny) expect(r.spent).toBeLessThanOrEqual(cap)
          // Every click reported exactly once, also by nodes whose lease Redis had reclaimed
          // while they were cut off; every unspent budget given back.
          expect(r.key.used).toBe(r.spent)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('with crashes: overshoot ≤ the clicks crashed or cut-off nodes served after their last acknowledged sync', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 2, max: 4 }),
        fc.array(action(4, true), { minLength: 20, maxLength: 300, size: 'max' }),
        (cap, block, n, actions) => {
          const r = simulate(cap, block, n, actions)
          // After every expiry, reconciliation with the true count never lowers used below it.
          const rec = reconcileModel(r.key, r.spent, r.now + r.p.leaseTtlMs + 1, 86_400_000)
          expect(rec.after).toBeGreaterThanOrEqual(r.spent)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('a lost reply carrying spends: retried without counting them twice', () => {
    const acts: Action[] = [
      { t: 'net', n: 0, mode: 0 },
      { t: 'net', n: 0, mode: 0 },
      ...Array.from({ length: 6 }, () => ({ t: 'click' as const, n: 0 })),
      { t: 'net', n: 0, mode: 0 },
      { t: 'net', n: 0, mode: 1 },
      { t: 'advance', ms: 600 },
      { t: 'net', n: 0, mode: 0 },
      { t: 'net', n: 0, mode: 0 },
    ]
    const r = simulate(100, 10, 1, acts)
    expect(r.spent).toBe(6)
    expect(r.key.used).toBe(6)
  })

  it('Redis lost its data: the node drops its old budget, even when the reply saying so was lost', () => {
    const p = defaultLeasePolicy(10)
    const call = (k: ModelKey, plan: SyncPlan, now: number) =>
      syncModel(k, { node: 'a', ...plan, cap: 100, leaseTtlMs: p.leaseTtlMs, tombstoneMs: 86_400_000 }, now)
    let s = newLease(100)
    let plan = planSync(s, p, 0)!
    s = markSent(s, plan, 0)
    const first = call({ used: 0, nodes: new Map() }, plan, 0)
    s = applyAck(s, plan, first.reply, 0) // holds 10
    // Redis restarts empty. The next refill is applied but its reply is lost.
    for (let i = 0; i < 6; i++) s = spend(s)!
    plan = planSync(s, p, 10)!
    s = markSent(s, plan, 10)
    const lostCall = call({ used: 0, nodes: new Map() }, plan, 10)
    expect(lostCall.reply.reclaimedSelf).toBe(true)
    s = applyFailure(s, 10)
    plan = planSync(s, p, 600)!
    s = markSent(s, plan, 600)
    const retry = call(lostCall.key, plan, 600)
    expect(retry.reply.reclaimedSelf).toBe(true)
    s = applyAck(s, plan, retry.reply, 600)
    // The node holds exactly what Redis believes it holds: the old budget is gone.
    expect(s.remaining).toBe(retry.key.nodes.get('a')!.o)
  })

  it('canSpend and the hot path agree: spend succeeds exactly when canSpend', () => {
    fc.assert(
      fc.property(fc.nat(5), fc.boolean(), (remaining, retired) => {
        const s = retired ? retire(held({ remaining })) : held({ remaining })
        expect(spend(s) !== undefined).toBe(canSpend(s))
      }),
    )
  })
})
