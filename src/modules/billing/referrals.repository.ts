/**
 * SQL of the affiliate program (tables in `billing.tables.ts`): affiliate rows with their
 * codes and referrals, commissions as the affiliate sees them, payout requests, and the
 * billing audit log. Money never moves here: postings go through the ledger repository, in
 * the caller's transaction (`referrals.service.ts`).
 */
import { randomBytes } from 'node:crypto'
import { and, count, countDistinct, desc, eq, isNotNull, isNull, ne, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../../platform/db/client.ts'
import { affiliateCommissions, affiliatePayouts, affiliates, billingAudit } from './billing.tables.ts'
import { type Cursor, codeFromBytes } from './referrals.core.ts'

/** An `affiliates` row. */
export type AffiliateRow = typeof affiliates.$inferSelect
/** An `affiliate_commissions` row. */
export type CommissionRow = typeof affiliateCommissions.$inferSelect
/** An `affiliate_payouts` row. */
export type PayoutRow = typeof affiliatePayouts.$inferSelect

/** What a sign-up records about the new user (all optional: a lazy creation records nothing). */
export interface SignupFacts {
  signupIp?: string | null
  referral?: { referredBy: string; at: Date; flag: string | null }
}

/** The affiliate row of a user, or undefined. */
export async function findAffiliate(db: Db, userId: string): Promise<AffiliateRow | undefined> {
  const [r] = await db.select().from(affiliates).where(eq(affiliates.userId, userId))
  return r
}

/** The affiliate row holding `code`, or undefined. */
export async function findAffiliateByCode(db: Db, code: string): Promise<AffiliateRow | undefined> {
  const [r] = await db.select().from(affiliates).where(eq(affiliates.code, code))
  return r
}

/**
 * Creates the user's affiliate row with a fresh random code, or completes an existing one:
 * `signup_ip` and the referral are only ever filled in where still empty, so `referred_by`
 * is set once and never changed. A code that collides with another user's is drawn again.
 * @returns the row as stored.
 */
export async function upsertAffiliate(
  db: Db,
  userId: string,
  now: Date,
  facts: SignupFacts = {},
): Promise<AffiliateRow> {
  const existing = await findAffiliate(db, userId)
  if (existing && !facts.signupIp && !facts.referral) return existing
  for (let attempt = 0; attempt < 8; attempt++) {
    const code = codeFromBytes(randomBytes(8))
    // ON CONFLICT on any unique constraint: either the user's row exists (completed below)
    // or the code is taken (drawn again).
    const inserted = await db
      .insert(affiliates)
      .values({
        userId,
        code,
        referredBy: facts.referral?.referredBy ?? null,
        referredAt: facts.referral?.at ?? null,
        flag: facts.referral?.flag ?? null,
        signupIp: facts.signupIp ?? null,
        createdAt: now,
      })
      .onConflictDoNothing()
      .returning()
    if (inserted[0]) return inserted[0]
    const row = await findAffiliate(db, userId)
    if (!row) continue // the code was taken
    const set: Partial<AffiliateRow> = {}
    if (facts.signupIp && !row.signupIp) set.signupIp = facts.signupIp
    if (facts.referral && !row.referredBy) {
      set.referredBy = facts.referral.referredBy
      set.referredAt = facts.referral.at
      set.flag = facts.referral.flag
    }
    if (Object.keys(set).length === 0) return row
    const conds: SQL[] = [eq(affiliates.userId, userId)]
    if (set.referredBy) conds.push(isNull(affiliates.referredBy))
    const [updated] = await db
      .update(affiliates)
      .set(set)
      .where(and(...conds))
      .returning()
    return updated ?? ((await findAffiliate(db, userId)) as AffiliateRow)
  }
  throw new Error('could not draw an unused affiliate code')
}

/** Counts shown on the affiliate's summary. */
export async function referralCounts(db: Db, userId: string): Promise<{ signups: number; paying: number }> {
  const [s] = await db.select({ n: count() }).from(affiliates).where(eq(affiliates.referredBy, userId))
  const [p] = await db
    .select({ n: countDistinct(affiliateCommissions.refereeId) })
    .from(affiliateCommissions)
    .where(and(eq(affiliateCommissions.referrerId, userId), ne(affiliateCommissions.status, 'reversed')))
  return { signups: Number(s?.n ?? 0), paying: Number(p?.n ?? 0) }
}

/** One referral of an affiliate with what it earned them. */
export interface ReferralListRow {
  userId: string
  referredAt: Date
  flag: string | null
  /** Σ commissions not reversed, minor units. */
  earnedMinor: number
}

const keyset = (at: SQL | unknown, id: SQL | unknown, c: Cursor | undefined): SQL | undefined =>
  c ? sql`(${at}, ${id}) < (${c.at.toISOString()}::timestamptz, ${c.id}::uuid)` : undefined

/** The users an affiliate referred, newest first, `limit` + 1 rows (the extra one says there is more). */
export async function listReferrals(
  db: Db,
  q: { referrerId: string; limit: number; before?: Cursor | undefined },
): Promise<ReferralListRow[]> {
  const earned = sql<string>`COALESCE((SELECT SUM(c.amount_minor) FROM affiliate_commissions c
    WHERE c.referrer_id = ${q.referrerId} AND c.referee_id = ${affiliates.userId} AND c.status <> 'reversed'), 0)`
  const rows = await db
    .select({
      userId: affiliates.userId,
      referredAt: affiliates.referredAt,
      flag: affiliates.flag,
      earned,
    })
    .from(affiliates)
    .where(
      and(
        eq(affiliates.referredBy, q.referrerId),
        isNotNull(affiliates.referredAt),
        keyset(affiliates.referredAt, affiliates.userId, q.before),
      ),
    )
    .orderBy(desc(affiliates.referredAt), desc(affiliates.userId))
    .limit(q.limit + 1)
  return rows.map((r) => ({
    userId: r.userId,
    referredAt: r.referredAt as Date,
    flag: r.flag,
    earnedMinor: Number(r.earned),
  }))
}

/** Referrals for the admins' review, newest first, `limit` + 1 rows. */
export async function listReferralsForAdmin(
  db: Db,
  q: { flagged?: boolean | undefined; limit: number; before?: Cursor | undefined },
): Promise<AffiliateRow[]> {
  return db
    .select()
    .from(affiliates)
    .where(
      and(
        isNotNull(affiliates.referredBy),
        isNotNull(affiliates.referredAt),
        q.flagged === undefined
          ? undefined
          : q.flagged
            ? isNotNull(affiliates.flag)
            : isNull(affiliates.flag),
        keyset(affiliates.referredAt, affiliates.userId, q.before),
      ),
    )
    .orderBy(desc(affiliates.referredAt), desc(affiliates.userId))
    .limit(q.limit + 1)
}

/** An affiliate's commissions, newest first, `limit` + 1 rows. */
export async function listCommissions(
  db: Db,
  q: { referrerId: string; limit: number; before?: Cursor | undefined },
): Promise<CommissionRow[]> {
  return db
    .select()
    .from(affiliateCommissions)
    .where(
      and(
        eq(affiliateCommissions.referrerId, q.referrerId),
        keyset(affiliateCommissions.createdAt, affiliateCommissions.id, q.before),
      ),
    )
    .orderBy(desc(affiliateCommissions.createdAt), desc(affiliateCommissions.id))
    .limit(q.limit + 1)
}

/** IDs of pending commissions whose hold has ended at `now`, oldest first. */
export async function dueCommissionIds(db: Db, now: Date, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: affiliateCommissions.id })
    .from(affiliateCommissions)
    .where(
      and(
        eq(affiliateCommissions.status, 'pending'),
        sql`${affiliateCommissions.availableAt} <= ${now.toISOString()}::timestamptz`,
      ),
    )
    .orderBy(affiliateCommissions.availableAt, affiliateCommissions.id)
    .limit(limit)
  return rows.map((r) => r.id)
}

/** Locks a commission row until the transaction ends (`tx`); undefined when absent. */
export async function lockCommission(tx: Db, id: string): Promise<CommissionRow | undefined> {
  const [r] = await tx
    .select()
    .from(affiliateCommissions)
    .where(eq(affiliateCommissions.id, id))
    .for('update')
  return r
}

/** Sets a commission's status. */
export async function setCommissionStatus(tx: Db, id: string, status: 'available'): Promise<void> {
  await tx.update(affiliateCommissions).set({ status }).where(eq(affiliateCommissions.id, id))
}

/** Inserts a payout request. */
export async function insertPayout(
  tx: Db,
  p: { id: string; userId: string; amountMinor: number; currency: string; destination: string; now: Date },
): Promise<PayoutRow> {
  const [r] = await tx
    .insert(affiliatePayouts)
    .values({
      id: p.id,
      userId: p.userId,
      amountMinor: p.amountMinor,
      currency: p.currency,
      status: 'requested',
      destination: p.destination,
      createdAt: p.now,
    })
    .returning()
  return r!
}

/** Locks a payout row until the transaction ends; undefined when absent. */
export async function lockPayout(tx: Db, id: string): Promise<PayoutRow | undefined> {
  const [r] = await tx.select().from(affiliatePayouts).where(eq(affiliatePayouts.id, id)).for('update')
  return r
}

/** Records an admin's decision on a payout. */
export async function decidePayoutRow(
  tx: Db,
  id: string,
  d: { status: 'paid' | 'rejected'; by: string; at: Date; paidReference?: string; note?: string },
): Promise<PayoutRow> {
  const [r] = await tx
    .update(affiliatePayouts)
    .set({
      status: d.status,
      decidedBy: d.by,
      decidedAt: d.at,
      paidReference: d.paidReference ?? null,
      note: d.note ?? null,
    })
    .where(eq(affiliatePayouts.id, id))
    .returning()
  return r!
}

/**
 * Payout requests, newest first (`order: 'desc'`, `limit` + 1 rows for paging) or oldest
 * first (`'asc'`, the CSV of what is due), optionally of one user and/or status.
 */
export async function listPayouts(
  db: Db,
  q: {
    userId?: string | undefined
    status?: string | undefined
    limit: number
    before?: Cursor | undefined
    order?: 'asc' | 'desc'
  },
): Promise<PayoutRow[]> {
  const asc = q.order === 'asc'
  return db
    .select()
    .from(affiliatePayouts)
    .where(
      and(
        q.userId ? eq(affiliatePayouts.userId, q.userId) : undefined,
        q.status ? eq(affiliatePayouts.status, q.status) : undefined,
        asc ? undefined : keyset(affiliatePayouts.createdAt, affiliatePayouts.id, q.before),
      ),
    )
    .orderBy(
      ...(asc
        ? [affiliatePayouts.createdAt, affiliatePayouts.id]
        : [desc(affiliatePayouts.createdAt), desc(affiliatePayouts.id)]),
    )
    .limit(asc ? q.limit : q.limit + 1)
}

/** Appends a billing audit row (same transaction as the action it records). */
export async function insertAudit(
  tx: Db,
  a: {
    at: Date
    actorUserId: string
    workspaceId?: string | null
    action: string
    reason?: string | null
    details: Record<string, unknown>
  },
): Promise<void> {
  await tx.insert(billingAudit).values({
    at: a.at,
    actorUserId: a.actorUserId,
    workspaceId: a.workspaceId ?? null,
    action: a.action,
    reason: a.reason ?? null,
    details: a.details,
  })
}
