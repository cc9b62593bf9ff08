import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type AccountRef,
  accountKey,
  accounts,
  allowsNegative,
  cachesBalance,
  checkInvariants,
  netChanges,
  type PostingSpec,
  postingDigest,
  type TransferSpec,
  validatePosting,
} from './ledger.core.ts'

const WS = '11111111-1111-4111-8111-111111111111'
const U = '22222222-2222-4222-8222-222222222222'
const deposit = (amount: bigint, key = 'k'): PostingSpec => ({
  idempotencyKey: key,
  type: 'deposit',
  workspaceId: WS,
  transfers: [{ debit: accounts.visitsIssued(), credit: accounts.visitsAvailable(WS), amount }],
})

describe('validatePosting', () => {
  const cases: [string, PostingSpec, string[]][] = [
    ['a valid deposit', deposit(10n), []],
    ['an empty key', { ...deposit(10n), idempotencyKey: '' }, ['idempotencyKey']],
    ['a 201-character key', { ...deposit(10n), idempotencyKey: 'x'.repeat(201) }, ['idempotencyKey']],
    ['no transfers', { ...deposit(10n), transfers: [] }, ['transfers']],
    ['a zero amount', deposit(0n), ['transfers.0.amount']],
    ['a negative amount', deposit(-5n), ['transfers.0.amount']],
    ['an amount past 2^53 − 1', deposit(2n ** 53n), ['transfers.0.amount']],
    [
      'mixed assets',
      {
        ...deposit(1n),
        transfers: [{ debit: accounts.paymentsIn('EUR'), credit: accounts.visitsAvailable(WS), amount: 1n }],
      },
      ['transfers.0'],
    ],
    [
      'the same account on both sides',
      {
        ...deposit(1n),
        transfers: [{ debit: accounts.visitsSpent(), credit: accounts.visitsSpent(), amount: 1n }],
      },
      ['transfers.0'],
    ],
    [
      'a system account with an owner',
      {
        ...deposit(1n),
        transfers: [
          {
            debit: { ...accounts.visitsIssued(), ownerId: WS },
            credit: accounts.visitsAvailable(WS),
            amount: 1n,
          },
        ],
      },
      ['transfers.0.debit.ownerId'],
    ],
    [
      'an unknown asset',
      {
        ...deposit(1n),
        transfers: [{ debit: accounts.paymentsIn('eur'), credit: accounts.revenue('eur'), amount: 1n }],
      },
      ['transfers.0.debit.asset', 'transfers.0.credit.asset'],
    ],
    ['an unknown type', { ...deposit(1n), type: 'gift' as never }, ['type']],
  ]
  it.each(cases)('%s', (_n, p, paths) => {
    expect(validatePosting(p).map((x) => x.path)).toEqual(paths)
  })
})

describe('allowsNegative', () => {
  it.each<[string, AccountRef, boolean]>([
    ['workspace visits available', accounts.visitsAvailable(WS), false],
    ['workspace visits reserved', accounts.visitsReserved(WS), false],
    ['affiliate pending', accounts.affiliatePending(U, 'EUR'), false],
    [
      'affiliate available (a reversed, paid-out commission is a debt)',
      accounts.affiliateAvailable(U, 'EUR'),
      true,
    ],
    ['affiliate paid', accounts.affiliatePaid(U, 'EUR'), false],
    ['system source', accounts.visitsIssued(), true],
    ['system money in', accounts.paymentsIn('EUR'), true],
  ])('%s → %s', (_n, a, expected) => {
    expect(allowsNegative(a)).toBe(expected)
  })
})

describe('postingDigest', () => {
  it('ignores the key and the order of metadata keys, and sees every other change', () => {
    const a = { ...deposit(10n, 'a'), metadata: { x: 1, y: 'z' } }
    const b = { ...deposit(10n, 'b'), metadata: { y: 'z', x: 1 } }
    expect(postingDigest(a)).toBe(postingDigest(b))
    expect(postingDigest(a)).not.toBe(postingDigest({ ...a, metadata: { x: 2, y: 'z' } }))
    expect(postingDigest(a)).not.toBe(postingDigest(deposit(11n, 'a')))
    expect(postingDigest(a)).not.toBe(postingDigest({ ...a, reference: 'r' }))
    expect(postingDigest(a)).not.toBe(postingDigest({ ...a, type: 'bonus' }))
  })
})

const accountArb = fc.constantFrom(
  accounts.visitsIssued(),
  accounts.visitsSpent(),
  accounts.visitsAvailable(WS),
  accounts.visitsReserved(WS),
  accounts.visitsGranted(),
)
const transferArb: fc.Arbitrary<TransferSpec> = fc
  .record({ debit: accountArb, credit: accountArb, amount: fc.bigInt({ min: 1n, max: 10n ** 12n }) })
  .filter((t) => accountKey(t.debit) !== accountKey(t.credit))

describe('netChanges', () => {
  it('sums to zero, is sorted by account key, and nets each account once (property)', () => {
    fc.assert(
      fc.property(fc.array(transferArb, { minLength: 1, maxLength: 20 }), (ts) => {
        const n = netChanges(ts)
        expect(n.reduce((s, c) => s + c.delta, 0n)).toBe(0n)
        const keys = n.map((c) => accountKey(c.account))
        expect(keys).toEqual([...keys].sort())
        expect(new Set(keys).size).toBe(keys.length)
        for (const c of n) {
          const k = accountKey(c.account)
          const expected = ts.reduce(
            (s, t) =>
              s + (accountKey(t.credit) === k ? t.amount : 0n) - (accountKey(t.debit) === k ? t.amount : 0n),
            0n,
          )
          expect(c.delta).toBe(expected)
        }
      }),
    )
  })
})

describe('checkInvariants', () => {
  it('a ledger built by applying net changes keeps every invariant (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(transferArb, { minLength: 1, maxLength: 4 }), { maxLength: 30 }),
        (postings) => {
          const bal = new Map<string, { account: AccountRef; balance: bigint }>()
          for (const p of postings) {
            const changes = netChanges(p)
            // The repository refuses a posting that would take a no-negative account below 0.
            const ok = changes.every(
              (c) =>
                allowsNegative(c.account) || (bal.get(accountKey(c.account))?.balance ?? 0n) + c.delta >= 0n,
            )
            if (!ok) continue
            for (const c of changes) {
              const k = accountKey(c.account)
              const cur = bal.get(k) ?? { account: c.account, balance: 0n }
              bal.set(k, { account: c.account, balance: cur.balance + c.delta })
            }
          }
          // Rows as stored: system accounts cache no balance (0); the transfers hold the truth.
          const rows = [...bal.values()].map((r) => ({
            ...r,
            balance: cachesBalance(r.account) ? r.balance : 0n,
          }))
          const sums = new Map([...bal.values()].map((r) => [accountKey(r.account), r.balance]))
          expect(checkInvariants(rows, sums)).toEqual([])
        },
      ),
    )
  })

  it('names each kind of violation', () => {
    const rows = [
      { account: accounts.visitsAvailable(WS), balance: -1n },
      { account: accounts.visitsIssued(), balance: 0n },
      { account: accounts.visitsSpent(), balance: 3n },
    ]
    const sums = new Map([[accountKey(accounts.visitsAvailable(WS)), 5n]])
    expect(
      checkInvariants(rows, sums)
        .map((v) => v.invariant)
        .sort(),
    ).toEqual(['cache', 'cache', 'negative', 'zero_sum']) // spent: a system row caching a balance
  })
})
