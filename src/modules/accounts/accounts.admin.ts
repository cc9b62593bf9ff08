/**
 * Admin user management (global role `admin`): the user list, approval of sign-ups,
 * suspension and reactivation. The transitions are decided by {@link nextStatus}.
 */
import { eq } from 'drizzle-orm'
import type { Db } from '../../platform/db/client.ts'
import { users } from './accounts.tables.ts'
import { notFound } from '../../platform/errors.ts'
import { nextStatus, type StatusAction } from './accounts.core.ts'
import {
  deleteSessionsOf,
  listUsers,
  type UserRow,
  type UserStatus,
  updateUserStatus,
} from './accounts.repository.ts'

/**
 * A page of users, newest first.
 * @param query.status filter; @param query.q substring of email, name or company;
 *   @param query.limit 1–500; @param query.offset ≥ 0.
 */
export function adminListUsers(
  db: Db,
  query: { status?: UserStatus; q?: string; limit: number; offset: number },
): Promise<{ items: UserRow[]; total: number }> {
  return listUsers(db, query)
}

/**
 * Applies an admin action to an account in one transaction (the user row is locked, so two
 * admins acting at once serialise). Approval stamps `approved_at`/`approved_by` the first
 * time; suspension deletes every session of the user (their API keys are refused from then
 * on because every request checks the status). Repeating an action is a no-op.
 * @param opts.now the current time (from the caller's clock), stamped as `approved_at`.
 * @returns the user row after the action.
 * @throws AppError 404 when the user does not exist; 409 as {@link nextStatus} decides.
 */
export async function changeUserStatus(
  db: Db,
  opts: { actorId: string; userId: string; action: StatusAction; now: Date },
): Promise<UserRow> {
  const { now } = opts
  return db.transaction(async (tx) => {
    const [user] = await tx.select().from(users).where(eq(users.id, opts.userId)).for('update')
    if (!user) throw notFound('user')
    const t = nextStatus(opts.action, user.status, opts.actorId === user.id)
    let row = user
    if (t.changed) {
      row =
        (await updateUserStatus(
          tx,
          user.id,
          t.status,
          t.approves ? { at: now, by: opts.actorId } : undefined,
        )) ?? user
    }
    if (t.endSessions) await deleteSessionsOf(tx, user.id)
    return row
  })
}
