import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { accounts } from '../src/modules/billing/ledger.core.ts'
import { createLedgerRepository } from '../src/modules/billing/ledger.repository.ts'
import { throwawayDb } from './helpers/pg.ts'

for (const kind of ['pglite', 'postgres'] as const) {
  describe(`ledger smoke ${kind}`, () => {
    let h: Awaited<ReturnType<typeof throwawayDb>>
    beforeAll(async () => {
      h = await throwawayDb(kind)
    })
    afterAll(async () => h?.drop())
    it('posts, is idempotent, refuses negative, holds', async () => {
      const L = createLedgerRepository(h.db)
      const ws = '11111111-1111-4111-8111-111111111111'
      const now = new Date('2026-12-06T00:00:00Z')
      const dep = {
        idempotencyKey: 'k1',
        type: 'deposit' as const,
        workspaceId: ws,
        transfers: [{ debit: accounts.visitsIssued(), credit: accounts.visitsAvailable(ws), amount: 1000n }],
      }
      expect((await L.post(dep, now)).created).toBe(true)
      expect((await L.post(dep, now)).created).toBe(false)
      await expect(
        L.post({ ...dep, transfers: [{ ...dep.transfers[0]!, amount: 5n }] }, now),
      ).rejects.toMatchObject({ status: 409 })
      expect(await L.balance(accounts.visitsAvailable(ws))).toBe(1000n)
      await expect(
        L.post(
          {
            idempotencyKey: 'k2',
            type: 'spend',
            workspaceId: ws,
            transfers: [
              { debit: accounts.visitsAvailable(ws), credit: accounts.visitsSpent(), amount: 1001n },
            ],
          },
          now,
        ),
      ).rejects.toMatchObject({ status: 422, code: 'insufficient_funds' })
      const { hold } = await L.reserve({ workspaceId: ws, amount: 600n, idempotencyKey: 'h1' }, now)
      expect((await L.reserve({ workspaceId: ws, amount: 600n, idempotencyKey: 'h1' }, now)).hold.id).toBe(
        hold.id,
      )
      await L.commit({ holdId: hold.id, amount: 100n, idempotencyKey: 'c1' }, now)
      await L.commit({ holdId: hold.id, amount: 100n, idempotencyKey: 'c1' }, now)
      await expect(
        L.commit({ holdId: hold.id, amount: 501n, idempotencyKey: 'c2' }, now),
      ).rejects.toMatchObject({ status: 422 })
      const rel = await L.release({ holdId: hold.id, idempotencyKey: 'r' }, now)
      expect(rel.hold).toMatchObject({ committed: 100n, released: 500n, status: 'closed' })
      expect(await L.balance(accounts.visitsAvailable(ws))).toBe(900n)
      expect(await L.balance(accounts.visitsReserved(ws))).toBe(0n)
      expect(await L.audit()).toEqual([])
      const ps = await L.postings({ workspaceId: ws, limit: 10 })
      expect(ps.map((p) => p.type)).toHaveLength(4)
      await expect(
        h.db.execute((await import('drizzle-orm')).sql`DELETE FROM ledger_transfers`),
      ).rejects.toThrow()
    })
  })
}
