/**
 * The ledger on real databases (PGlite, and PostgreSQL with several connections at once):
 * random sequences of deposits, holds, commits, releases, refunds, replays and conflicting
 * replays, run partly concurrently (fast-check), after which every invariant holds:
 * for every asset the balances sum to 0; no account that forbids it is negative; every
 * idempotency key has effect once; cached balances equal the sums of their transfers.
 */
import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { accounts, type PostingSpec } from '../src/modules/billing/ledger.core.ts'
import { createLedgerRepository, type LedgerRepository } from '../src/modules/billing/ledger.repository.ts'
import { rowsOf } from '../src/platform/db/client.ts'
import { AppError } from '../src/platform/errors.ts'
import { throwawayDb } from './helpers/pg.ts'

const NOW = new Date('2026-12-06T12:00:00Z')

/** One step of a generated scenario. Keys are drawn from small pools so that replays happen. */
type Op =
  | { kind: 'deposit'; key: number; amount: number }
  | { kind: 'refund'; key: number; amount: number }
  | { kind: 'reserve'; key: number; amount: number }
  | { kind: 'commit'; hold: number; key: number; amount: number }
  | { kind: 'release'; hold: number }
  | { kind: 'conflict'; key: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('deposit' as const),
    key: fc.nat(8),
    amount: fc.integer({ min: 1, max: 1000 }),
  }),
  fc.record({
    kind: fc.constant('refund' as const),
    key: fc.nat(4),
    amount: fc.integer({ min: 1, max: 800 }),
  }),
  fc.record({
    kind: fc.constant('reserve' as const),
    key: fc.nat(4),
    amount: fc.integer({ min: 1, max: 600 }),
  }),
  fc.record({
    kind: fc.constant('commit' as const),
    hold: fc.nat(4),
    key: fc.nat(3),
    amount: fc.integer({ min: 1, max: 300 }),
  }),
  fc.record({ kind: fc.constant('release' as const), hold: fc.nat(4) }),
  fc.record({ kind: fc.constant('conflict' as const), key: fc.nat(8) }),
)
/** Steps in groups: the ops of one group run at the same time. */
const scenarioArb = fc.array(fc.array(opArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 8 })

/** Errors the ledger may answer; anything else (a deadlock, a 500) fails the property. */
const EXPECTED = new Set([
  'insufficient_funds',
  'idempotency_conflict',
  'hold_closed',
  'hold_exceeded',
  'not_found',
])

async function run(L: LedgerRepository, ws: string, scenario: Op[][]) {
  // Deposits use the amount of the key's first use, so a replay is "the same content".
  const depositAmount = new Map<number, number>()
  const refundAmount = new Map<number, number>()
  const reserveAmount = new Map<number, number>()
  const commitAmount = new Map<string, number>()
  const holdIds = new Map<number, string>()
  const deposit = (key: number, amount: number): PostingSpec => ({
    idempotencyKey: `${ws}:deposit:${key}`,
    type: 'deposit',
    workspaceId: ws,
    transfers: [
      { debit: accounts.visitsIssued(), credit: accounts.visitsAvailable(ws), amount: BigInt(amount) },
    ],
  })
  const step = async (op: Op): Promise<void> => {
    switch (op.kind) {
      case 'deposit': {
        const a = depositAmount.get(op.key) ?? op.amount
        depositAmount.set(op.key, a)
        await L.post(deposit(op.key, a), NOW)
        return
      }
      case 'conflict': {
        // The key with other content: refused when the key was used, else a first use.
        const a = (depositAmount.get(op.key) ?? 0) + 1
        try {
          await L.post(deposit(op.key, a), NOW)
          depositAmount.set(op.key, depositAmount.get(op.key) ?? a)
        } catch (err) {
          if (!(err instanceof AppError) || err.code !== 'idempotency_conflict') throw err
        }
        return
      }
      case 'refund': {
        const a = refundAmount.get(op.key) ?? op.amount
        refundAmount.set(op.key, a)
        await L.post(
          {
            idempotencyKey: `${ws}:refund:${op.key}`,
            type: 'refund',
            workspaceId: ws,
            transfers: [
              { debit: accounts.visitsAvailable(ws), credit: accounts.visitsIssued(), amount: BigInt(a) },
            ],
          },
          NOW,
        )
        return
      }
      case 'reserve': {
        const a = reserveAmount.get(op.key) ?? op.amount
        reserveAmount.set(op.key, a)
        const { hold } = await L.reserve(
          { workspaceId: ws, amount: BigInt(a), idempotencyKey: `${ws}:hold:${op.key}` },
          NOW,
        )
        holdIds.set(op.key, hold.id)
        return
      }
      case 'commit': {
        const id = holdIds.get(op.hold)
        if (!id) return
        const k = `${op.hold}:${op.key}`
        const a = commitAmount.get(k) ?? op.amount
        commitAmount.set(k, a)
        await L.commit({ holdId: id, amount: BigInt(a), idempotencyKey: `c${op.key}` }, NOW)
        return
      }
      case 'release': {
        const id = holdIds.get(op.hold)
        if (id) await L.release({ holdId: id, idempotencyKey: 'r' }, NOW)
        return
      }
    }
  }
  const unexpected: unknown[] = []
  for (const group of scenario) {
    const results = await Promise.allSettled(group.map(step))
    for (const r of results) {
      if (r.status === 'rejected' && !(r.reason instanceof AppError && EXPECTED.has(r.reason.code)))
        unexpected.push(r.reason)
    }
  }
  return unexpected
}

const CONFIGS = [
  { kind: 'pglite', groupCommit: true },
  { kind: 'postgres', groupCommit: true },
  { kind: 'pglite', groupCommit: false },
  { kind: 'postgres', groupCommit: false },
] as const

for (const { kind, groupCommit } of CONFIGS) {
  describe(`ledger invariants on ${kind}${groupCommit ? ' (group commit)' : ', a transaction per posting'}`, () => {
    let h: Awaited<ReturnType<typeof throwawayDb>>
    let L: LedgerRepository
    beforeAll(async () => {
      h = await throwawayDb(kind)
      L = createLedgerRepository(h.db, { groupCommit })
    })
    afterAll(async () => h?.drop())

    it('random concurrent sequences keep every invariant (property)', async () => {
      await fc.assert(
        fc.asyncProperty(scenarioArb, async (scenario) => {
          const ws = randomUUID()
          const unexpected = await run(L, ws, scenario)
          expect(unexpected).toEqual([])
          expect(await L.audit()).toEqual([])
          // Every idempotency key has effect once: one posting per key, and per posting
          // the transfers it was built with (no double application under concurrency).
          const dup = rowsOf(
            await h.db.execute(sql`
              SELECT p.id FROM ledger_postings p
              WHERE p.workspace_id = ${ws}
                AND NOT EXISTS (SELECT 1 FROM ledger_transfers t WHERE t.posting_id = p.id)
                AND p.type <> 'hold_release'`),
          )
          expect(dup).toEqual([])
          // Holds never commit + release more than they hold, and visits are conserved.
          const holds = rowsOf<{ amount: unknown; committed: unknown; released: unknown; status: string }>(
            await h.db.execute(
              sql`SELECT amount, committed, released, status FROM ledger_holds WHERE workspace_id = ${ws}`,
            ),
          )
          let openLeft = 0n
          for (const x of holds) {
            const left =
              BigInt(x.amount as string) - BigInt(x.committed as string) - BigInt(x.released as string)
            expect(left >= 0n).toBe(true)
            if (x.status === 'open') openLeft += left
            else expect(left).toBe(0n)
          }
          expect(await L.balance(accounts.visitsReserved(ws))).toBe(openLeft)
        }),
        { numRuns: kind === 'pglite' ? 25 : 20 },
      )
      // Concurrent postings were group-committed (when on).
      expect(L.stats().batches > 0).toBe(groupCommit)
    }, 120_000)

    it('32 concurrent writers on one account: every posting lands once, none is lost', async () => {
      const ws = randomUUID()
      await L.post(
        {
          idempotencyKey: `${ws}:seed`,
          type: 'deposit',
          workspaceId: ws,
          transfers: [
            { debit: accounts.visitsIssued(), credit: accounts.visitsAvailable(ws), amount: 10_000n },
          ],
        },
        NOW,
      )
      // Each writer sends its postings twice (a retry) — the second is a no-op.
      const spend = (w: number, i: number): PostingSpec => ({
        idempotencyKey: `${ws}:spend:${w}:${i}`,
        type: 'spend',
        workspaceId: ws,
        transfers: [{ debit: accounts.visitsAvailable(ws), credit: accounts.visitsSpent(), amount: 7n }],
      })
      const results = await Promise.all(
        Array.from({ length: 32 }, async (_, w) => {
          let created = 0
          for (let i = 0; i < 10; i++) {
            if ((await L.post(spend(w, i), NOW)).created) created++
            if ((await L.post(spend(w, i), NOW)).created) created++
          }
          return created
        }),
      )
      expect(results.reduce((a, b) => a + b, 0)).toBe(320)
      expect(L.stats().batchedPostings > 0).toBe(groupCommit)
      expect(await L.balance(accounts.visitsAvailable(ws))).toBe(10_000n - 320n * 7n)
      expect(await L.audit()).toEqual([])
    }, 120_000)

    it('spending past the balance from many writers at once never goes below zero', async () => {
      const ws = randomUUID()
      await L.post(
        {
          idempotencyKey: `${ws}:seed`,
          type: 'deposit',
          workspaceId: ws,
          transfers: [{ debit: accounts.visitsIssued(), credit: accounts.visitsAvailable(ws), amount: 100n }],
        },
        NOW,
      )
      const outcomes = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) =>
          L.post(
            {
              idempotencyKey: `${ws}:over:${i}`,
              type: 'spend',
              workspaceId: ws,
              transfers: [
                { debit: accounts.visitsAvailable(ws), credit: accounts.visitsSpent(), amount: 3n },
              ],
            },
            NOW,
          ),
        ),
      )
      const ok = outcomes.filter((o) => o.status === 'fulfilled').length
      expect(ok).toBe(33)
      for (const o of outcomes)
        if (o.status === 'rejected')
          expect(o.reason).toMatchObject({ status: 422, code: 'insufficient_funds' })
      expect(await L.balance(accounts.visitsAvailable(ws))).toBe(1n)
      expect(await L.audit()).toEqual([])
    }, 60_000)

    it('transfers and postings cannot be changed or deleted', async () => {
      // drizzle wraps the driver's error; the trigger's message is on its cause.
      const cause = (p: Promise<unknown>) =>
        p.then(
          () => 'changed',
          (e: { cause?: { message?: string } }) => e.cause?.message ?? '',
        )
      expect(await cause(h.db.execute(sql`UPDATE ledger_transfers SET amount = amount + 1`))).toMatch(
        /immutable/,
      )
      expect(await cause(h.db.execute(sql`DELETE FROM ledger_postings`))).toMatch(/immutable/)
    })
  })
}
