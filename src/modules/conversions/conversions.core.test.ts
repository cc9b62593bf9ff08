import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ADMISSION_ORDER,
  type AdmissionCheck,
  type AdmissionRefusal,
  admitPostback,
  clickRefusal,
  type ConversionState,
  type ConversionStatus,
  type DecideDefaults,
  decide,
  destinationDefaults,
  isFutureClickTime,
  isNetworkRef,
  isUnauthenticatedOutcome,
  type KnownNetworkFacts,
  MAX_CLICK_ID_LEAD_MS,
  type NormalizedPostback,
  needsDestinationDefaults,
  POSTBACK_OUTCOMES,
  type RefusalLogWindow,
  refusalLogKey,
  sampleRefusalLog,
} from './conversions.core.ts'

const CLICK = '01J0000000AAAAAAAAAAAAAAAA'
const NOW = Date.parse('2024-06-01T12:00:00Z')
const M = 1_000_000

function pb(status: ConversionStatus, over: Partial<NormalizedPostback> = {}): NormalizedPostback {
  return {
    clickId: CLICK,
    transactionId: 'T1',
    status,
    rawStatus: status,
    payoutMicros: undefined,
    currency: undefined,
    subs: {},
    ...over,
  }
}

/** State reached by accepting `steps` in order (asserts every step is accepted). */
function stateAfter(steps: [ConversionStatus, number | undefined][], tid = 'T1'): ConversionState {
  let s: ConversionState | undefined
  for (const [status, payout] of steps) {
    const d = decide(s, pb(status, { transactionId: tid, payoutMicros: payout }), NOW)
    if (d.outcome !== 'accepted') throw new Error(`setup step ${status} was ${d.outcome}`)
    s = d.next
  }
  return s!
}

describe('decide: new conversions', () => {
  const cases: {
    name: string
    postback: NormalizedPostback
    defaults?: DecideDefaults
    outcome: string
    revenue?: number
    payout?: number
    currency?: string
  }[] = [
    { name: 'lead $2', postback: pb('lead', { payoutMicros: 2 * M }), outcome: 'accepted', revenue: 2 * M },
    {
      name: 'sale $10',
      postback: pb('sale', { payoutMicros: 10 * M }),
      outcome: 'accepted',
      revenue: 10 * M,
    },
    {
      name: 'first postback rejected: stored, 0 revenue, payout kept on record',
      postback: pb('rejected', { payoutMicros: 10 * M }),
      outcome: 'accepted',
      revenue: 0,
      payout: 10 * M,
    },
    {
      name: 'rebill with its own transaction ID',
      postback: pb('rebill', { transactionId: 'R1', payoutMicros: 5 * M }),
      outcome: 'accepted',
      revenue: 5 * M,
    },
    {
      name: 'rebill without transaction ID',
      postback: pb('rebill', { transactionId: '' }),
      outcome: 'bad_status',
    },
    {
      name: 'no payout → destination default',
      postback: pb('sale'),
      defaults: { payoutMicros: 7 * M },
      outcome: 'accepted',
      revenue: 7 * M,
    },
    { name: 'no payout, no default → 0', postback: pb('sale'), outcome: 'accepted', revenue: 0 },
    {
      name: 'no currency → destination currency',
      postback: pb('sale'),
      defaults: { currency: 'EUR' },
      outcome: 'accepted',
      currency: 'EUR',
    },
    { name: 'no currency, no default → USD', postback: pb('sale'), outcome: 'accepted', currency: 'USD' },
    {
      name: "postback currency wins over the destination's",
      postback: pb('sale', { currency: 'GBP' }),
      defaults: { currency: 'EUR' },
      outcome: 'accepted',
      currency: 'GBP',
    },
  ]
  for (const c of cases) {
    it(c.name, () => {
      const d = decide(undefined, c.postback, NOW, c.defaults)
      expect(d.outcome).toBe(c.outcome)
      if (c.outcome !== 'accepted') {
        expect(d.next).toBeUndefined()
        expect(d.event).toBeUndefined()
        return
      }
      expect(d.next!.version).toBe(1)
      expect(d.next!.seenStatuses).toEqual([c.postback.status])
      expect(d.event).toMatchObject({ seq: 1, conversionsDelta: 1, previousStatus: '', ts: NOW })
      if (c.revenue !== undefined) {
        expect(d.next!.revenueMicros).toBe(c.revenue)
        expect(d.event!.revenueDeltaMicros).toBe(c.revenue)
      }
      if (c.payout !== undefined) expect(d.next!.payoutMicros).toBe(c.payout)
      if (c.currency !== undefined) expect(d.next!.currency).toBe(c.currency)
    })
  }
})

describe('decide: status changes', () => {
  type Case = {
    from: [ConversionStatus, number | undefined][]
    tid?: string
    postback: NormalizedPostback
    defaults?: DecideDefaults
    outcome: 'accepted' | 'duplicate' | 'bad_status' | 'malformed'
    delta?: number
    revenue?: number
  }
  const L2: [ConversionStatus, number][] = [['lead', 2 * M]]
  const LS: [ConversionStatus, number][] = [
    ['lead', 2 * M],
    ['sale', 10 * M],
  ]
  const cases: Record<string, Case> = {
    'lead → lead: duplicate': {
      from: L2,
      postback: pb('lead', { payoutMicros: 3 * M }),
      outcome: 'duplicate',
    },
    'lead $2 → sale $10: +8': {
      from: L2,
      postback: pb('sale', { payoutMicros: 10 * M }),
      outcome: 'accepted',
      delta: 8 * M,
      revenue: 10 * M,
    },
    'lead $2 → rejected: −2': {
      from: L2,
      postback: pb('rejected'),
      outcome: 'accepted',
      delta: -2 * M,
      revenue: 0,
    },
    'lead → rebill on the same transaction ID: bad_status': {
      from: L2,
      postback: pb('rebill'),
      outcome: 'bad_status',
    },
    'lead $2 → sale without payout, no default: payout unchanged': {
      from: L2,
      postback: pb('sale'),
      outcome: 'accepted',
      delta: 0,
      revenue: 2 * M,
    },
    'lead $2 → sale without payout, default $9: +7': {
      from: L2,
      postback: pb('sale'),
      defaults: { payoutMicros: 9 * M },
      outcome: 'accepted',
      delta: 7 * M,
      revenue: 9 * M,
    },
    'lead,sale → lead (replayed, already seen): duplicate': {
      from: LS,
      postback: pb('lead'),
      outcome: 'duplicate',
    },
    'lead,sale → sale: duplicate': {
      from: LS,
      postback: pb('sale', { payoutMicros: 99 * M }),
      outcome: 'duplicate',
    },
    'lead,sale $10 → rejected: −10': {
      from: LS,
      postback: pb('rejected', { payoutMicros: 50 * M }),
      outcome: 'accepted',
      delta: -10 * M,
      revenue: 0,
    },
    'sale → lead (never seen): bad_status': {
      from: [['sale', 10 * M]],
      postback: pb('lead'),
      outcome: 'bad_status',
    },
    'sale → rebill on the same transaction ID: bad_status': {
      from: [['sale', 10 * M]],
      postback: pb('rebill'),
      outcome: 'bad_status',
    },
    'lead,rejected → sale: bad_status': {
      from: [
        ['lead', 2 * M],
        ['rejected', undefined],
      ],
      postback: pb('sale'),
      outcome: 'bad_status',
    },
    'lead,rejected → lead: duplicate': {
      from: [
        ['lead', 2 * M],
        ['rejected', undefined],
      ],
      postback: pb('lead'),
      outcome: 'duplicate',
    },
    'rejected → rejected: duplicate': {
      from: [['rejected', 0]],
      postback: pb('rejected'),
      outcome: 'duplicate',
    },
    'rejected → lead (never seen): bad_status': {
      from: [['rejected', 0]],
      postback: pb('lead'),
      outcome: 'bad_status',
    },
    'rebill $5 → rejected: −5': {
      from: [['rebill', 5 * M]],
      postback: pb('rejected'),
      outcome: 'accepted',
      delta: -5 * M,
      revenue: 0,
    },
    'rebill → rebill: duplicate': { from: [['rebill', 5 * M]], postback: pb('rebill'), outcome: 'duplicate' },
    'rebill → sale: bad_status': { from: [['rebill', 5 * M]], postback: pb('sale'), outcome: 'bad_status' },
    'transaction ID of another click: malformed': {
      from: L2,
      postback: pb('sale', { clickId: '01J0000000BBBBBBBBBBBBBBBB' }),
      outcome: 'malformed',
    },
    'currency change: malformed': {
      from: L2,
      postback: pb('sale', { currency: 'EUR', payoutMicros: 10 * M }),
      outcome: 'malformed',
    },
    'no transaction ID: lead → sale on the click-keyed conversion': {
      from: L2,
      tid: '',
      postback: pb('sale', { transactionId: '', payoutMicros: 10 * M }),
      outcome: 'accepted',
      delta: 8 * M,
    },
    'no transaction ID: lead → lead again: duplicate': {
      from: L2,
      tid: '',
      postback: pb('lead', { transactionId: '' }),
      outcome: 'duplicate',
    },
  }
  for (const [name, c] of Object.entries(cases)) {
    it(name, () => {
      const before = stateAfter(c.from, c.tid ?? 'T1')
      const d = decide(before, c.postback, NOW + 1000, c.defaults)
      expect(d.outcome, d.reason).toBe(c.outcome)
      expect(d.reason).not.toBe('')
      if (c.outcome !== 'accepted') {
        expect(d.next).toBeUndefined()
        expect(d.event).toBeUndefined()
        return
      }
      expect(d.next!.version).toBe(before.version + 1)
      expect(d.next!.status).toBe(c.postback.status)
      expect(d.next!.seenStatuses).toEqual([...before.seenStatuses, c.postback.status])
      expect(d.event).toMatchObject({
        seq: before.version + 1,
        conversionsDelta: 0,
        previousStatus: before.status,
        status: c.postback.status,
        ts: NOW + 1000,
        currency: before.currency,
      })
      if (c.delta !== undefined) expect(d.event!.revenueDeltaMicros).toBe(c.delta)
      if (c.revenue !== undefined) expect(d.next!.revenueMicros).toBe(c.revenue)
      expect(before.revenueMicros + d.event!.revenueDeltaMicros).toBe(d.next!.revenueMicros)
    })
  }

  it('lead $2 → sale $10 → rejected emits +2, +8, −10 (sums to 0)', () => {
    let s: ConversionState | undefined
    const deltas: number[] = []
    for (const [status, payout] of [
      ['lead', 2 * M],
      ['sale', 10 * M],
      ['rejected', undefined],
    ] as const) {
      const d = decide(s, pb(status, { payoutMicros: payout }), NOW)
      deltas.push(d.event!.revenueDeltaMicros)
      s = d.next
    }
    expect(deltas).toEqual([2 * M, 8 * M, -10 * M])
    expect(s!.revenueMicros).toBe(0)
    expect(s!.payoutMicros).toBe(10 * M)
  })
})

// ---------------------------------------------------------------------------------------
// property: replayed, duplicated and reordered postbacks

/** Valid histories (as a network would send them, in order). */
const CHAINS: ConversionStatus[][] = [
  ['lead'],
  ['sale'],
  ['rejected'],
  ['lead', 'sale'],
  ['lead', 'rejected'],
  ['sale', 'rejected'],
  ['lead', 'sale', 'rejected'],
]
const REBILL_CHAINS: ConversionStatus[][] = [['rebill'], ['rebill', 'rejected']]

const historyArb = fc.oneof(
  fc.record({
    tid: fc.boolean(),
    chain: fc.constantFrom(...CHAINS),
    payouts: fc.array(fc.integer({ min: 0, max: 1000 * M }), { minLength: 3, maxLength: 3 }),
  }),
  fc.record({
    tid: fc.constant(true),
    chain: fc.constantFrom(...REBILL_CHAINS),
    payouts: fc.array(fc.integer({ min: 0, max: 1000 * M }), { minLength: 3, maxLength: 3 }),
  }),
)

interface Sent {
  key: string
  step: number
  postback: NormalizedPostback
}

function sentPostbacks(histories: { tid: boolean; chain: ConversionStatus[]; payouts: number[] }[]): Sent[] {
  const out: Sent[] = []
  histories.forEach((h, i) => {
    const clickId = `01J00000000000000000000${String(i).padStart(3, '0')}`
    const tid = h.tid ? `T${i}` : ''
    h.chain.forEach((status, step) => {
      out.push({
        key: tid || clickId,
        step,
        postback: {
          clickId,
          transactionId: tid,
          status,
          rawStatus: status,
          payoutMicros: status === 'rejected' ? undefined : h.payouts[step],
          currency: undefined,
          subs: {},
        },
      })
    })
  })
  return out
}

/** Feeds postbacks through `decide` against an in-memory store keyed like the database. */
function run(store: Map<string, ConversionState>, list: Sent[]) {
  const accepted: { key: string; status: ConversionStatus; delta: number; conv: number; payout: number }[] =
    []
  let t = NOW
  for (const s of list) {
    const d = decide(store.get(s.key), s.postback, t++)
    if (d.outcome === 'accepted') {
      store.set(s.key, d.next!)
      accepted.push({
        key: s.key,
        status: d.event!.status,
        delta: d.event!.revenueDeltaMicros,
        conv: d.event!.conversionsDelta,
        payout: d.event!.payoutMicros,
      })
    }
  }
  return accepted
}

describe('decide: properties over replayed and reordered postbacks', () => {
  const scenario = fc.array(historyArb, { minLength: 1, maxLength: 12 }).chain((histories) => {
    const sent = sentPostbacks(histories)
    return fc.record({
      histories: fc.constant(histories),
      sent: fc.constant(sent),
      // Each sent postback delivered 1–4 times, then everything shuffled.
      copies: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: sent.length, maxLength: sent.length }),
      order: fc.array(fc.nat(), { minLength: sent.length * 4, maxLength: sent.length * 4 }),
      replayOrder: fc.array(fc.nat(), { minLength: sent.length * 4, maxLength: sent.length * 4 }),
    })
  })

  const deliver = (sent: Sent[], copies: number[]) =>
    sent.flatMap((s, i) => new Array(copies[i]).fill(s) as Sent[])
  const shuffle = <T>(xs: T[], keys: number[]) =>
    xs
      .map((x, i) => ({ x, k: keys[i] ?? i }))
      .sort((a, b) => a.k - b.k)
      .map((e) => e.x)

  it('each conversion counts once, deltas sum to its revenue, revenue = last accepted non-rejected payout', () => {
    fc.assert(
      fc.property(scenario, ({ sent, copies, order, replayOrder }) => {
        const store = new Map<string, ConversionState>()
        const list = shuffle(deliver(sent, copies), order)
        const accepted = run(store, list)
        const keys = new Set(sent.map((s) => s.key))
        expect(store.size).toBe(keys.size)
        for (const key of keys) {
          const mine = accepted.filter((a) => a.key === key)
          const final = store.get(key)!
          // Counted once.
          expect(mine.reduce((n, a) => n + a.conv, 0)).toBe(1)
          // Never the same status twice.
          expect(new Set(mine.map((a) => a.status)).size).toBe(mine.length)
          // Revenue never double counted: the deltas sum to what the conversion counts now.
          expect(mine.reduce((n, a) => n + a.delta, 0)).toBe(final.revenueMicros)
          const last = mine[mine.length - 1]!
          expect(final.status).toBe(last.status)
          expect(final.revenueMicros).toBe(last.status === 'rejected' ? 0 : last.payout)
          const lastNonRejected = [...mine].reverse().find((a) => a.status !== 'rejected')
          if (final.status !== 'rejected') expect(final.revenueMicros).toBe(lastNonRejected!.payout)
        }
        // Replaying everything again, in any order, changes nothing.
        const before = JSON.stringify([...store.entries()])
        const again = run(store, shuffle(deliver(sent, copies), replayOrder))
        expect(again).toEqual([])
        expect(JSON.stringify([...store.entries()])).toBe(before)
      }),
      { numRuns: 300 },
    )
  })

  it('in-order delivery with duplicates ends in the last sent status with its payout', () => {
    fc.assert(
      fc.property(scenario, ({ histories, sent, copies }) => {
        const store = new Map<string, ConversionState>()
        // Duplicates right after their original: the order of first deliveries is the sent order.
        run(store, deliver(sent, copies))
        histories.forEach((h, i) => {
          const key = h.tid ? `T${i}` : `01J00000000000000000000${String(i).padStart(3, '0')}`
          const final = store.get(key)!
          const lastStatus = h.chain[h.chain.length - 1]!
          expect(final.status).toBe(lastStatus)
          const lastPaid = h.chain
            .map((s, j) => [s, h.payouts[j]!] as const)
            .filter(([s]) => s !== 'rejected')
          const expected = lastStatus === 'rejected' ? 0 : lastPaid[lastPaid.length - 1]![1]
          expect(final.revenueMicros).toBe(expected)
        })
      }),
      { numRuns: 300 },
    )
  })
})

describe('admitPostback: the order of the checks', () => {
  const ok: KnownNetworkFacts = {
    network: 'known',
    ip: '203.0.113.7',
    ipAllowed: true,
    secret: 'match',
    body: { ok: true },
    parsed: { ok: true, clickId: CLICK, clickIdValid: true },
  }
  const badBody = { ok: false, reason: 'body is not valid JSON' } as const
  const badFields = { ok: false, outcome: 'bad_status', reason: 'unknown status "weird"' } as const
  const foreignClick = { ok: true, clickId: 'their-click-123', clickIdValid: false } as const
  const futureClick = {
    ok: true,
    clickId: '7ZZZZZZZZZAAAAAAAAAAAAAAAA',
    clickIdValid: true,
    clickIdFuture: true,
  } as const
  const cases: [string, Parameters<typeof admitPostback>[0], AdmissionRefusal | undefined][] = [
    [
      'no network parameter',
      { network: 'missing' },
      { check: 'network', outcome: 'unknown_network', reason: 'missing network parameter' },
    ],
    [
      'a network that does not exist',
      { network: 'unknown' },
      { check: 'network', outcome: 'unknown_network', reason: 'no such network' },
    ],
    ['everything in order', ok, undefined],
    ['no secret configured', { ...ok, secret: 'none' }, undefined],
    [
      'an IP outside the allowlist, before the secret',
      { ...ok, ipAllowed: false, secret: 'mismatch' },
      {
        check: 'ip_allowlist',
        outcome: 'ip_not_allowed',
        reason: "IP 203.0.113.7 is not in the network's allowlist",
      },
    ],
    [
      'no IP at all',
      { ...ok, ip: '', ipAllowed: false },
      {
        check: 'ip_allowlist',
        outcome: 'ip_not_allowed',
        reason: "IP (none) is not in the network's allowlist",
      },
    ],
    [
      'an unreadable body behind a wrong secret is malformed, flagged unauthenticated',
      { ...ok, secret: 'mismatch', body: badBody },
      { check: 'body', outcome: 'malformed', reason: 'body is not valid JSON', unauthenticated: true },
    ],
    [
      'a wrong secret, before fields the template refuses',
      { ...ok, secret: 'mismatch', parsed: badFields },
      { check: 'secret', outcome: 'bad_secret', reason: 'secret missing or wrong' },
    ],
    [
      'an unreadable body, before the fields',
      { ...ok, body: badBody, parsed: badFields },
      { check: 'body', outcome: 'malformed', reason: 'body is not valid JSON' },
    ],
    [
      'fields the template refuses keep their outcome',
      { ...ok, parsed: badFields },
      { check: 'fields', outcome: 'bad_status', reason: 'unknown status "weird"' },
    ],
    [
      'a click ID that is not ours',
      { ...ok, parsed: foreignClick },
      {
        check: 'click_id',
        outcome: 'malformed',
        reason: 'click ID "their-click-123" is not a traffoflex click ID',
      },
    ],
    [
      'a click ID from the far future (400, not a lookup that fails with 503)',
      { ...ok, parsed: futureClick },
      {
        check: 'click_id',
        outcome: 'malformed',
        reason: 'click ID "7ZZZZZZZZZAAAAAAAAAAAAAAAA" carries a time in the future; no such click exists',
      },
    ],
    [
      'a far-future click ID behind a wrong secret is a bad secret',
      { ...ok, secret: 'mismatch', parsed: futureClick },
      { check: 'secret', outcome: 'bad_secret', reason: 'secret missing or wrong' },
    ],
  ]
  it.each(cases)('%s', (_name, facts, expected) => {
    expect(admitPostback(facts)).toEqual(expected)
  })

  it('always names the first failing check of ADMISSION_ORDER', () => {
    const failing = (f: KnownNetworkFacts): Record<AdmissionCheck, boolean> => ({
      network: false,
      ip_allowlist: !f.ipAllowed,
      secret: f.secret === 'mismatch',
      body: !f.body.ok,
      fields: !f.parsed.ok,
      click_id: f.parsed.ok && (!f.parsed.clickIdValid || f.parsed.clickIdFuture === true),
    })
    const facts = fc.record({
      network: fc.constant('known' as const),
      ip: fc.constantFrom('', '198.51.100.1'),
      ipAllowed: fc.boolean(),
      secret: fc.constantFrom('none' as const, 'match' as const, 'mismatch' as const),
      body: fc.constantFrom<KnownNetworkFacts['body']>({ ok: true }, badBody),
      parsed: fc.constantFrom<KnownNetworkFacts['parsed']>(ok.parsed, badFields, foreignClick, futureClick),
    })
    fc.assert(
      fc.property(facts, (f) => {
        const fails = failing(f)
        expect(admitPostback(f)?.check).toBe(ADMISSION_ORDER.find((c) => fails[c]))
      }),
    )
  })
})

describe('isFutureClickTime', () => {
  it.each<[string, number | undefined, boolean]>([
    ['no embedded time', undefined, false],
    ['now', NOW, false],
    ['a day ago', NOW - 86_400_000, false],
    ['within the clock-skew lead', NOW + MAX_CLICK_ID_LEAD_MS, false],
    ['past the lead', NOW + MAX_CLICK_ID_LEAD_MS + 1, true],
    ['7ZZZZZZZZZ… (year 10889)', 2 ** 48 - 1, true],
  ])('%s → %s', (_name, clickMs, expected) => {
    expect(isFutureClickTime(clickMs, NOW)).toBe(expected)
  })
})

describe('refused postbacks: which are unauthenticated, and which are logged', () => {
  it('unauthenticated outcomes are the credential refusals and the rate limit, nothing after them', () => {
    expect(POSTBACK_OUTCOMES.filter(isUnauthenticatedOutcome)).toEqual([
      'bad_secret',
      'unknown_network',
      'ip_not_allowed',
      'rate_limited',
    ])
  })

  it('keys by outcome and network, never by the caller-chosen network parameter', () => {
    expect(refusalLogKey('unknown_network', null)).toBe('unknown_network:')
    expect(refusalLogKey('bad_secret', 'n1')).toBe('bad_secret:n1')
    expect(refusalLogKey('bad_secret', 'n1')).not.toBe(refusalLogKey('ip_not_allowed', 'n1'))
  })

  const policy = { windowMs: 60_000, perWindow: 2 }
  const cases: [string, RefusalLogWindow | undefined, number, ReturnType<typeof sampleRefusalLog>][] = [
    [
      'the first refusal of a key',
      undefined,
      NOW,
      { log: true, suppressedBefore: 0, next: { start: NOW, logged: 1, suppressed: 0 } },
    ],
    [
      'the second in the window',
      { start: NOW, logged: 1, suppressed: 0 },
      NOW + 10,
      { log: true, suppressedBefore: 0, next: { start: NOW, logged: 2, suppressed: 0 } },
    ],
    [
      'past the window budget: counted only',
      { start: NOW, logged: 2, suppressed: 5 },
      NOW + 59_999,
      { log: false, suppressedBefore: 0, next: { start: NOW, logged: 2, suppressed: 6 } },
    ],
    [
      'a new window logs again and reports what was left out',
      { start: NOW, logged: 2, suppressed: 6 },
      NOW + 60_000,
      { log: true, suppressedBefore: 6, next: { start: NOW + 60_000, logged: 1, suppressed: 0 } },
    ],
    [
      'a clock that went back starts a new window',
      { start: NOW, logged: 2, suppressed: 3 },
      NOW - 1,
      { log: true, suppressedBefore: 3, next: { start: NOW - 1, logged: 1, suppressed: 0 } },
    ],
  ]
  it.each(cases)('%s', (_name, state, now, expected) => {
    expect(sampleRefusalLog(state, now, policy)).toEqual(expected)
  })

  it('perWindow 0 logs nothing and counts everything', () => {
    let s: RefusalLogWindow | undefined
    for (let i = 0; i < 5; i++) {
      const d = sampleRefusalLog(s, NOW + i * 100_000, { windowMs: 60_000, perWindow: 0 })
      expect(d.log).toBe(false)
      s = d.next
    }
    expect(s?.suppressed).toBe(5)
  })

  it('at most perWindow rows per key per window, and every refusal is logged or reported', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_000, max: 120_000 }),
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 30_000 })), {
          maxLength: 300,
        }),
        (windowMs, perWindow, steps) => {
          const states = new Map<string, RefusalLogWindow>()
          const loggedAt = new Map<string, number[]>()
          const reported = new Map<string, number>()
          let now = NOW
          for (const [key, dt] of steps) {
            now += dt
            const d = sampleRefusalLog(states.get(key), now, { windowMs, perWindow })
            states.set(key, d.next)
            if (d.log) {
              loggedAt.set(key, [...(loggedAt.get(key) ?? []), now])
              reported.set(key, (reported.get(key) ?? 0) + 1 + d.suppressedBefore)
            }
          }
          for (const [key, times] of loggedAt) {
            // A span of windowMs overlaps at most two fixed windows of perWindow rows each.
            for (let i = 0; i < times.length; i++) {
              const within = times.filter((t) => t >= times[i]! && t < times[i]! + windowMs).length
              expect(within).toBeLessThanOrEqual(2 * perWindow)
            }
            // Every refusal is either logged, reported by a later logged row, or still pending.
            const total = steps.filter(([k]) => k === key).length
            expect((reported.get(key) ?? 0) + (states.get(key)?.suppressed ?? 0)).toBe(total)
          }
          for (const s of states.values()) expect(s.logged).toBeLessThanOrEqual(perWindow)
        },
      ),
    )
  })
})

describe('isNetworkRef', () => {
  it.each([
    ['6f1c2b9e-3d4a-4e5f-8a7b-1c2d3e4f5a6b', true],
    ['6F1C2B9E-3D4A-4E5F-8A7B-1C2D3E4F5A6B', true],
    ['', false],
    ['net-1', false],
    ['6f1c2b9e-3d4a-4e5f-8a7b-1c2d3e4f5a6b-x', false],
  ])('%j → %s', (ref, expected) => {
    expect(isNetworkRef(ref)).toBe(expected)
  })
})

describe('clickRefusal', () => {
  it.each([
    ['found', undefined],
    ['absent', { outcome: 'unknown_click', reason: 'no such click in this workspace (yet)' }],
    ['failed', { outcome: 'error', reason: 'click lookup unavailable; retry later' }],
  ] as const)('%s', (lookup, expected) => {
    expect(clickRefusal(lookup)).toEqual(expected)
  })
})

describe('payout defaults from the destination', () => {
  it.each([
    ['payout and currency present', 5 * M, 'EUR', false],
    ['payout missing', undefined, 'EUR', true],
    ['currency missing', 5 * M, undefined, true],
    ['both missing', undefined, undefined, true],
  ])('%s → needed: %s', (_name, payoutMicros, currency, needed) => {
    expect(needsDestinationDefaults({ payoutMicros, currency })).toBe(needed)
  })

  it.each<[string, { payoutCents: number; currency: string } | undefined, DecideDefaults]>([
    [
      'cents become micros',
      { payoutCents: 1250, currency: 'EUR' },
      { payoutMicros: 12_500_000, currency: 'EUR' },
    ],
    [
      'no default payout leaves the payout open',
      { payoutCents: 0, currency: 'GBP' },
      { payoutMicros: undefined, currency: 'GBP' },
    ],
    ['no destination, no defaults', undefined, { payoutMicros: undefined, currency: undefined }],
  ])('%s', (_name, dest, expected) => {
    expect(destinationDefaults(dest)).toEqual(expected)
  })

  it('a new conversion without payout or currency takes the destination defaults, else 0 USD', () => {
    const bare = pb('lead', { payoutMicros: undefined, currency: undefined })
    const withDest = decide(undefined, bare, NOW, destinationDefaults({ payoutCents: 1250, currency: 'EUR' }))
    expect(withDest.next).toMatchObject({ payoutMicros: 12_500_000, currency: 'EUR' })
    const without = decide(undefined, bare, NOW, destinationDefaults(undefined))
    expect(without.next).toMatchObject({ payoutMicros: 0, currency: 'USD' })
  })
})
