/**
 * Fixtures of the visitor-engine tests: a workspace funded with visit credits through the
 * ledger (a `deposit` posting, as a paid order would), and an active project row inserted
 * directly (the engine reads rows; the projects API has its own tests).
 */
import { randomUUID } from 'node:crypto'
import { workspaces } from '../../src/modules/accounts/index.ts'
import { ledgerAccounts, type LedgerRepository } from '../../src/modules/billing/index.ts'
import { visitorProjects } from '../../src/modules/visitors/index.ts'
import type { Db } from '../../src/platform/db/client.ts'

/** A new workspace holding `credits` visit credits (none when 0); answers its ID. */
export async function fundedWorkspace(db: Db, ledger: LedgerRepository, credits: number): Promise<string> {
  const [w] = await db
    .insert(workspaces)
    .values({ name: `ws ${randomUUID()}` })
    .returning({ id: workspaces.id })
  if (credits > 0)
    await ledger.post(
      {
        idempotencyKey: `deposit:${w!.id}`,
        type: 'deposit',
        workspaceId: w!.id,
        transfers: [
          {
            debit: ledgerAccounts.visitsIssued(),
            credit: ledgerAccounts.visitsAvailable(w!.id),
            amount: BigInt(credits),
          },
        ],
      },
      new Date(),
    )
  return w!.id
}

/** An active project of `ws` with `settings` (and any other columns); answers its ID. */
export async function activeProject(
  db: Db,
  ws: string,
  settings: Record<string, unknown>,
  extra: Partial<typeof visitorProjects.$inferInsert> = {},
): Promise<string> {
  const [p] = await db
    .insert(visitorProjects)
    .values({ workspaceId: ws, name: 'p', status: 'active', settings, ...extra })
    .returning({ id: visitorProjects.id })
  return p!.id
}
