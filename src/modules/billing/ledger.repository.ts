/**
 * The ledger in SQL (PostgreSQL and PGlite alike): postings with idempotency keys, cached
 * balances updated in the same transaction as the transfers, and holds. The rules come from
 * `ledger.core.ts`; this file only applies them.
 *
 * Concurrency: a posting updates each cached balance with one
 * `UPDATE … SET balance = balance + Δ WHERE id = … AND (allow_negative OR balance + Δ >= 0)`,
 * in the sorted order of {@link netChanges} (so two postings never wait on each other in a
 * cycle), as its last statements. The row lock taken by that UPDATE serialises postings on
 * one account until commit; the condition makes "never negative" hold under any
 * interleaving, and the table's CHECK is the backstop. System accounts cache no balance
 * (`cachesBalance`), so the platform-wide `spent` or `issued` rows are never a lock. The idempotency key is claimed first with `INSERT … ON CONFLICT DO NOTHING`:
 * a concurrent duplicate waits for the first to commit, then finds it.
 */
import { createHash } from 'node:crypto'
import { eq, type SQL, sql } from 'drizzle-orm'
import { type Db, rowsOf } from '../../platform/db/client.ts'
import { AppError, badRequest } from '../../platform/errors.ts'
import type { Logger } from '../../platform/logger.ts'
import { ledgerAccounts, ledgerHolds, ledgerPostings, ledgerTransfers } from './billing.tables.ts'
import {
  type AccountRef,
  accountKey,
  accounts,
  allowsNegative,
  cachesBalance,
  type InvariantViolation,
  checkInvariants,
  netChanges,
  type OwnerType,
  type PostingSpec,
  type PostingType,
  postingDigest,
  VISITS,
  validatePosting,
} from './ledger.core.ts'

/** What {@link LedgerRepository.post} answers. */
export interface PostingResult {
  postingId: string
  /** False when the idempotency key had already been used with the same content. */
  created: boolean
  createdAt: Date
}

/** A balance of one account of an owner. */
export interface BalanceRow {
  purpose: string
  asset: string
  /** Integer units of `asset` (visits, or minor units of a currency). */
  balance: bigint
}

/** An open or closed hold ({@link LedgerRepository.reserve}). */
export interface Hold {
  id: string
  workspaceId: string
  asset: string
  amount: bigint
  committed: bigint
  released: bigint
  status: 'open' | 'closed'
  reference: string | null
  expiresAt: Date | null
  createdAt: Date
}

/** A posting with its transfers, as listed ({@link LedgerRepository.postings}). */
export interface PostingRow {
  id: string
  type: PostingType
  workspaceId: string | null
  reference: string | null
  metadata: Record<string, unknown>
  createdAt: Date
  transfers: { debit: AccountRef; credit: AccountRef; amount: bigint; asset: string }[]
}

/** 409 `idempotency_conflict`: the key was used before with other content. */
export const idempotencyConflict = (key: string) =>
  new AppError(
    409,
    'idempotency_conflict',
    `idempotency key ${JSON.stringify(key)} was used with different content`,
  )

/** 422 `insufficient_funds`, naming the account and what it holds. */
export const insufficientFunds = (account: AccountRef, balance: bigint, delta: bigint) =>
  new AppError(422, 'insufficient_funds', `not enough ${account.asset} in ${account.purpose}`, {
    account: accountKey(account),
    balance: balance.toString(),
    requested: (-delta).toString(),
  })

/** A UUID derived from a text (SHA-256, version nibble 5): the same key gives the same ID. */
export function uuidFromKey(key: string): string {
  const h = createHash('sha256').update(key).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((Number.parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`
}

const big = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(v as string | number))
const date = (v: unknown): Date => (v instanceof Date ? v : new Date(v as string))

/** Σ credits − Σ debits of the account aliased `a` (for accounts that cache no balance). */
const transferSum = sql`(
  COALESCE((SELECT SUM(amount) FROM ledger_transfers WHERE credit_account_id = a.id), 0)
  - COALESCE((SELECT SUM(amount) FROM ledger_transfers WHERE debit_account_id = a.id), 0))`

function ownerCond(a: AccountRef): SQL {
  return a.ownerId === null ? sql`owner_id IS NULL` : sql`owner_id = ${a.ownerId}`
}

/** The ledger over one database: every method may run inside a caller's transaction (`tx`). */
export interface LedgerRepository {
  /**
   * Records a posting atomically: in the caller's `tx`, or else in a group commit with the
   * other postings sent meanwhile (each still succeeds or fails on its own).
   * @param now the posting's time (UTC).
   * @throws AppError 400 `validation_failed` for an invalid posting (details name the part),
   *   409 `idempotency_conflict` for a reused key with other content, 422 `insufficient_funds`
   *   when an account that forbids it would go negative (nothing is written).
   */
  post(spec: PostingSpec, now: Date, tx?: Db): Promise<PostingResult>
  /** Balances of every account of an owner (empty when it has none yet). */
  balances(ownerType: OwnerType, ownerId: string | null, tx?: Db): Promise<BalanceRow[]>
  /** The balance of one account (0 when it does not exist yet). */
  balance(account: AccountRef, tx?: Db): Promise<bigint>
  /**
   * Holds `amount` visits of a workspace: moves them from `available` to `reserved`.
   * The hold's ID is derived from the idempotency key, so a retry answers the same hold.
   * @throws as {@link post} (422 when fewer visits are available).
   */
  reserve(
    req: {
      workspaceId: string
      amount: bigint
      idempotencyKey: string
      reference?: string
      expiresAt?: Date
    },
    now: Date,
  ): Promise<{ hold: Hold; created: boolean }>
  /**
   * Spends `amount` of an open hold (reserved → spent). Idempotent per key.
   * @param tx the caller's transaction (e.g. the visitor engine's counters commit with it).
   * @throws AppError 404 unknown hold, 409 `hold_closed`, 422 `hold_exceeded` past what is left.
   */
  commit(
    req: { holdId: string; amount: bigint; idempotencyKey: string },
    now: Date,
    tx?: Db,
  ): Promise<{ hold: Hold; created: boolean }>
  /** Returns what is left of a hold to `available` and closes it. Idempotent (a closed hold answers as is). */
  release(
    req: { holdId: string; idempotencyKey: string },
    now: Date,
  ): Promise<{ hold: Hold; created: boolean }>
  /** One hold, or undefined. */
  hold(holdId: string, tx?: Db): Promise<Hold | undefined>
  /** The open holds whose `reference` is exactly this text (oldest first). */
  openHolds(reference: string, tx?: Db): Promise<Hold[]>
  /**
   * Postings of a workspace (or of the accounts of a user, for affiliates), newest first.
   * @param q.before keyset cursor: postings created before this posting's time and ID.
   */
  postings(
    q: {
      workspaceId?: string
      userId?: string
      types?: PostingType[]
      from?: Date
      to?: Date
      limit: number
      before?: { createdAt: Date; id: string }
    },
    tx?: Db,
  ): Promise<PostingRow[]>
  /** Checks the ledger's invariants over every account and transfer (tests, bench, ops). */
  audit(tx?: Db): Promise<InvariantViolation[]>
  /** Group-commit counters: batches of ≥ 2 committed, postings in them, batches that fell back to one by one, queue length. */
  stats(): { batches: number; batchedPostings: number; fallbacks: number; queued: number }
}

/** Most postings committed in one group-commit transaction. */
const MAX_BATCH = 256

/** Thrown inside a batch's transaction to roll it back when an account cannot cover it. */
class BatchDoesNotFit extends Error {}

/**
 * Builds the ledger repository over `db`.
 * @param deps.groupCommit commit concurrent `post()` calls made without a transaction
 *   together (default true; see "group commit" below and the module README).
 */
export function createLedgerRepository(
  db: Db,
  deps: { groupCommit?: boolean; logger?: Pick<Logger, 'warn'> } = {},
): LedgerRepository {
  const groupCommit = deps.groupCommit ?? true
  const inTx = <T>(tx: Db | undefined, fn: (tx: Db) => Promise<T>): Promise<T> =>
    tx ? fn(tx) : db.transaction((t) => fn(t as unknown as Db))

  // Account IDs never change (accounts are never deleted): cached once read from a committed
  // row. An ID this transaction inserted is not cached, since the transaction may roll back.
  const accountIds = new Map<string, string>()

  /** The ID of an account, creating it (balance 0) on first use. */
  async function accountId(tx: Db, a: AccountRef): Promise<string> {
    const key = accountKey(a)
    const hit = accountIds.get(key)
    if (hit) return hit
    const find = async () =>
      rowsOf<{ id: string }>(
        await tx.execute(sql`
          SELECT id FROM ledger_accounts
          WHERE owner_type = ${a.ownerType} AND ${ownerCond(a)} AND purpose = ${a.purpose} AND asset = ${a.asset}`),
      )[0]?.id
    const found = await find()
    if (found) {
      accountIds.set(key, found)
      return found
    }
    const ins = rowsOf<{ id: string }>(
      await tx.execute(sql`
        INSERT INTO ledger_accounts (owner_type, owner_id, purpose, asset, allow_negative)
        VALUES (${a.ownerType}, ${a.ownerId}, ${a.purpose}, ${a.asset}, ${allowsNegative(a)})
        ON CONFLICT ON CONSTRAINT ledger_accounts_key DO NOTHING
        RETURNING id`),
    )
    if (ins[0]) return ins[0].id
    // Another transaction created it meanwhile (ON CONFLICT waited for it to commit).
    const again = await find()
    if (!again) throw new Error(`ledger account ${key} could not be created`)
    accountIds.set(key, again)
    return again
  }

  /** Applies Δ to a cached balance; throws 422 (nothing written) when the account may not go negative. */
  async function applyDelta(tx: Db, id: string, a: AccountRef, delta: bigint): Promise<void> {
    const upd = rowsOf<{ id: string }>(
      await tx.execute(sql`
        UPDATE ledger_accounts SET balance = balance + ${delta}
        WHERE id = ${id} AND (allow_negative OR balance + ${delta} >= 0)
        RETURNING id`),
    )
    if (upd[0]) return
    const cur = rowsOf<{ balance: unknown }>(
      await tx.execute(sql`SELECT balance FROM ledger_accounts WHERE id = ${id}`),
    )
    throw insufficientFunds(a, big(cur[0]?.balance ?? 0), delta)
  }

  /**
   * One posting inside `tx`: account IDs resolved (cached after first use), then one
   * statement that claims the key, inserts the transfers and updates the balance, so a hot
   * account's row lock is held only from that statement to the commit.
   */
  async function postIn(tx: Db, spec: PostingSpec, now: Date): Promise<PostingResult> {
    const problems = validatePosting(spec)
    if (problems.length > 0)
      throw badRequest(`invalid posting: ${problems[0]!.path}: ${problems[0]!.message}`, problems)
    const digest = postingDigest(spec)
    const changes = netChanges(spec.transfers)
    const ids = new Map<string, string>()
    for (const { account } of changes) ids.set(accountKey(account), await accountId(tx, account))
    const cached = changes.filter((c) => c.delta !== 0n && cachesBalance(c.account))
    const at = now.toISOString()
    const transferRows = spec.transfers.map(
      (t) =>
        sql`(${ids.get(accountKey(t.debit))}::uuid, ${ids.get(accountKey(t.credit))}::uuid, ${t.amount}::bigint, ${t.debit.asset}::text)`,
    )
    // One statement claims the key, inserts the transfers and, for a posting that changes at
    // most one cached balance (deposits, spends, most of all), updates that balance too:
    // fewer round trips, and the row lock is taken last. With several cached balances they
    // are updated one by one below, in sorted order (a multi-row UPDATE locks in no set order).
    const single = cached.length <= 1 ? cached[0] : undefined
    const update = single
      ? sql`, u AS (
          UPDATE ledger_accounts SET balance = balance + ${single.delta}
          WHERE id = ${ids.get(accountKey(single.account))} AND EXISTS (SELECT 1 FROM p)
            AND (allow_negative OR balance + ${single.delta} >= 0)
          RETURNING id)`
      : sql``
    const [row] = rowsOf<{ posting_id: string | null; updated: unknown }>(
      await tx.execute(sql`
        WITH p AS (
          INSERT INTO ledger_postings (idempotency_key, digest, type, workspace_id, reference, metadata, created_at)
          VALUES (${spec.idempotencyKey}, ${digest}, ${spec.type}, ${spec.workspaceId ?? null}, ${spec.reference ?? null},
                  ${JSON.stringify(spec.metadata ?? {})}::jsonb, ${at})
          ON CONFLICT (idempotency_key) DO NOTHING
          RETURNING id
        ), t AS (
          INSERT INTO ledger_transfers (posting_id, debit_account_id, credit_account_id, amount, asset, created_at)
          SELECT p.id, v.debit, v.credit, v.amount, v.asset, ${at} FROM p
          CROSS JOIN (VALUES ${sql.join(transferRows, sql`, `)}) AS v(debit, credit, amount, asset)
          RETURNING 1
        )${update}
        SELECT (SELECT id FROM p) AS posting_id, ${single ? sql`(SELECT count(*) FROM u)` : sql`0`} AS updated`),
    )
    const postingId = row?.posting_id
    if (!postingId) {
      const [first] = rowsOf<{ id: string; digest: string; created_at: unknown }>(
        await tx.execute(
          sql`SELECT id, digest, created_at FROM ledger_postings WHERE idempotency_key = ${spec.idempotencyKey}`,
        ),
      )
      if (!first) throw new Error('idempotency key conflict without a posting')
      if (first.digest !== digest) throw idempotencyConflict(spec.idempotencyKey)
      return { postingId: first.id, created: false, createdAt: date(first.created_at) }
    }
    if (single) {
      if (Number(row.updated) !== 1) {
        // Nothing may stay of this posting: the caller's transaction rolls back on the throw.
        const id = ids.get(accountKey(single.account))!
        const cur = rowsOf<{ balance: unknown }>(
          await tx.execute(sql`SELECT balance FROM ledger_accounts WHERE id = ${id}`),
        )
        throw insufficientFunds(single.account, big(cur[0]?.balance ?? 0), single.delta)
      }
    } else {
      for (const { account, delta } of cached)
        await applyDelta(tx, ids.get(accountKey(account))!, account, delta)
    }
    return { postingId, created: true, createdAt: now }
  }

  // ---- group commit ------------------------------------------------------------------
  // Postings sent without a caller's transaction queue here; while one batch is in flight
  // the next gathers, and each batch commits all its postings in one transaction (one
  // commit, one fsync, and the hot account's row updated once). No timer: at low load a
  // batch is one posting and nothing waits.
  interface Queued {
    spec: PostingSpec
    now: Date
    digest: string
    resolve: (r: PostingResult) => void
    reject: (err: unknown) => void
  }
  const queue: Queued[] = []
  let flushing = false
  const counters = { batches: 0, batchedPostings: 0, fallbacks: 0 }

  function enqueue(spec: PostingSpec, now: Date): Promise<PostingResult> {
    const problems = validatePosting(spec)
    if (problems.length > 0)
      return Promise.reject(
        badRequest(`invalid posting: ${problems[0]!.path}: ${problems[0]!.message}`, problems),
      )
    return new Promise((resolve, reject) => {
      queue.push({ spec, now, digest: postingDigest(spec), resolve, reject })
      if (!flushing) void flush()
    })
  }

  async function flush(): Promise<void> {
    flushing = true
    try {
      while (queue.length > 0) {
        // One posting per key per batch: a second use of a key waits for the next batch,
        // where it finds the first (same content) or is refused (other content).
        const batch: Queued[] = []
        const later: Queued[] = []
        const keys = new Set<string>()
        for (const q of queue.splice(0, MAX_BATCH)) {
          if (keys.has(q.spec.idempotencyKey)) later.push(q)
          else {
            keys.add(q.spec.idempotencyKey)
            batch.push(q)
          }
        }
        queue.unshift(...later)
        await runBatch(batch)
      }
    } finally {
      flushing = false
    }
  }

  /** Each posting in its own transaction (a batch of one, or a batch that could not commit whole). */
  async function oneByOne(batch: Queued[]): Promise<void> {
    for (const q of batch) {
      try {
        q.resolve(await db.transaction((t) => postIn(t as unknown as Db, q.spec, q.now)))
      } catch (err) {
        q.reject(err)
      }
    }
  }

  async function runBatch(batch: Queued[]): Promise<void> {
    if (batch.length === 1) return oneByOne(batch)
    let claimed: Map<string, string>
    try {
      claimed = await db.transaction(async (t) => {
        const tx = t as unknown as Db
        const ids = new Map<string, string>()
        const accountsOf = new Map<string, AccountRef>()
        for (const q of batch)
          for (const tr of q.spec.transfers)
            for (const a of [tr.debit, tr.credit]) accountsOf.set(accountKey(a), a)
        for (const [k, a] of [...accountsOf].sort(([x], [y]) => (x < y ? -1 : 1)))
          ids.set(k, await accountId(tx, a))
        const rows = rowsOf<{ id: string; idempotency_key: string }>(
          await tx.execute(sql`
            INSERT INTO ledger_postings (idempotency_key, digest, type, workspace_id, reference, metadata, created_at)
            VALUES ${sql.join(
              batch.map(
                (q) =>
                  sql`(${q.spec.idempotencyKey}, ${q.digest}, ${q.spec.type}, ${q.spec.workspaceId ?? null}, ${q.spec.reference ?? null}, ${JSON.stringify(q.spec.metadata ?? {})}::jsonb, ${q.now.toISOString()})`,
              ),
              sql`, `,
            )}
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING id, idempotency_key`),
        )
        const byKey = new Map(rows.map((r) => [r.idempotency_key, r.id]))
        const fresh = batch.filter((q) => byKey.has(q.spec.idempotencyKey))
        if (fresh.length > 0) {
          await tx.execute(sql`
            INSERT INTO ledger_transfers (posting_id, debit_account_id, credit_account_id, amount, asset, created_at)
            VALUES ${sql.join(
              fresh.flatMap((q) =>
                q.spec.transfers.map(
                  (tr) =>
                    sql`(${byKey.get(q.spec.idempotencyKey)}, ${ids.get(accountKey(tr.debit))}, ${ids.get(accountKey(tr.credit))}, ${tr.amount}, ${tr.debit.asset}, ${q.now.toISOString()})`,
                ),
              ),
              sql`, `,
            )}`)
          // Per cached account: the batch's net change, applied only if the account covers all
          // of the batch's debits without counting its credits — then every order of these
          // postings is valid on its own, as if each had committed alone.
          const net = new Map<string, { delta: bigint; debits: bigint }>()
          for (const q of fresh)
            for (const { account, delta } of netChanges(q.spec.transfers)) {
              if (!cachesBalance(account) || delta === 0n) continue
              const k = accountKey(account)
              const cur = net.get(k) ?? { delta: 0n, debits: 0n }
              cur.delta += delta
              if (delta < 0n) cur.debits += delta
              net.set(k, cur)
            }
          for (const [k, { delta, debits }] of [...net].sort(([x], [y]) => (x < y ? -1 : 1))) {
            const upd = rowsOf<{ id: string }>(
              await tx.execute(sql`
                UPDATE ledger_accounts SET balance = balance + ${delta}
                WHERE id = ${ids.get(k)} AND (allow_negative OR balance + ${debits} >= 0)
                RETURNING id`),
            )
            if (!upd[0]) throw new BatchDoesNotFit()
          }
        }
        return byKey
      })
    } catch (err) {
      // Some account cannot cover the whole batch (or the batch failed otherwise): roll it
      // back and let each posting succeed or fail on its own.
      if (!(err instanceof BatchDoesNotFit))
        deps.logger?.warn({ err }, 'ledger batch failed; posting one by one')
      counters.fallbacks++
      return oneByOne(batch)
    }
    counters.batches++
    counters.batchedPostings += claimed.size
    const seen = batch.filter((q) => !claimed.has(q.spec.idempotencyKey))
    const firsts = new Map<string, { id: string; digest: string; created_at: unknown }>()
    if (seen.length > 0) {
      const rows = rowsOf<{ id: string; digest: string; created_at: unknown; idempotency_key: string }>(
        await db.execute(sql`
          SELECT id, digest, created_at, idempotency_key FROM ledger_postings
          WHERE idempotency_key IN (${sql.join(
            seen.map((q) => sql`${q.spec.idempotencyKey}`),
            sql`, `,
          )})`),
      )
      for (const r of rows) firsts.set(r.idempotency_key, r)
    }
    for (const q of batch) {
      const id = claimed.get(q.spec.idempotencyKey)
      if (id) {
        q.resolve({ postingId: id, created: true, createdAt: q.now })
        continue
      }
      const first = firsts.get(q.spec.idempotencyKey)
      if (!first) q.reject(new Error('idempotency key conflict without a posting'))
      else if (first.digest !== q.digest) q.reject(idempotencyConflict(q.spec.idempotencyKey))
      else q.resolve({ postingId: first.id, created: false, createdAt: date(first.created_at) })
    }
  }

  const toHold = (r: typeof ledgerHolds.$inferSelect): Hold => ({
    id: r.id,
    workspaceId: r.workspaceId,
    asset: r.asset,
    amount: r.amount,
    committed: r.committed,
    released: r.released,
    status: r.status,
    reference: r.reference,
    expiresAt: r.expiresAt,
    createdAt: r.createdAt,
  })

  async function lockHold(tx: Db, holdId: string): Promise<Hold> {
    const [r] = await tx.select().from(ledgerHolds).where(eq(ledgerHolds.id, holdId)).for('update')
    if (!r) throw new AppError(404, 'not_found', 'hold not found')
    return toHold(r)
  }

  async function accountOf(tx: Db, id: string, cache: Map<string, AccountRef>): Promise<AccountRef> {
    const hit = cache.get(id)
    if (hit) return hit
    const [r] = await tx.select().from(ledgerAccounts).where(eq(ledgerAccounts.id, id))
    if (!r) throw new Error(`ledger account ${id} missing`)
    const a: AccountRef = { ownerType: r.ownerType, ownerId: r.ownerId, purpose: r.purpose, asset: r.asset }
    cache.set(id, a)
    return a
  }

  return {
    post: (spec, now, tx) =>
      tx
        ? postIn(tx, spec, now)
        : groupCommit
          ? enqueue(spec, now)
          : inTx(undefined, (t) => postIn(t, spec, now)),

    stats: () => ({ ...counters, queued: queue.length }),

    async balances(ownerType, ownerId, tx) {
      const owner = ownerId === null ? sql`owner_id IS NULL` : sql`owner_id = ${ownerId}`
      const value = ownerType === 'system' ? transferSum : sql`a.balance`
      const rows = rowsOf<{ purpose: string; asset: string; balance: unknown }>(
        await (tx ?? db).execute(sql`
          SELECT a.purpose, a.asset, ${value} AS balance FROM ledger_accounts a
          WHERE owner_type = ${ownerType} AND ${owner} ORDER BY a.purpose, a.asset`),
      )
      return rows.map((r) => ({ purpose: r.purpose, asset: r.asset, balance: big(r.balance) }))
    },

    async balance(a, tx) {
      const rows = rowsOf<{ balance: unknown }>(
        await (tx ?? db).execute(sql`
          SELECT ${cachesBalance(a) ? sql`a.balance` : transferSum} AS balance FROM ledger_accounts a
          WHERE owner_type = ${a.ownerType} AND ${ownerCond(a)} AND purpose = ${a.purpose} AND asset = ${a.asset}`),
      )
      return rows[0] ? big(rows[0].balance) : 0n
    },

    async reserve(req, now) {
      const holdId = uuidFromKey(`hold:${req.idempotencyKey}`)
      return db.transaction(async (t) => {
        const tx = t as unknown as Db
        const r = await postIn(
          tx,
          {
            idempotencyKey: `hold:${req.idempotencyKey}`,
            type: 'hold',
            workspaceId: req.workspaceId,
            reference: holdId,
            transfers: [
              {
                debit: accounts.visitsAvailable(req.workspaceId),
                credit: accounts.visitsReserved(req.workspaceId),
                amount: req.amount,
              },
            ],
          },
          now,
        )
        if (r.created) {
          await tx.insert(ledgerHolds).values({
            id: holdId,
            workspaceId: req.workspaceId,
            asset: VISITS,
            amount: req.amount,
            reference: req.reference ?? null,
            expiresAt: req.expiresAt ?? null,
            createdAt: now,
          })
        }
        const [h] = await tx.select().from(ledgerHolds).where(eq(ledgerHolds.id, holdId))
        return { hold: toHold(h!), created: r.created }
      })
    },

    async commit(req, now, outer) {
      return inTx(outer, async (tx) => {
        const h = await lockHold(tx, req.holdId)
        const key = `hold_commit:${req.holdId}:${req.idempotencyKey}`
        const spec: PostingSpec = {
          idempotencyKey: key,
          type: 'hold_commit',
          workspaceId: h.workspaceId,
          reference: h.id,
          transfers: [
            {
              debit: accounts.visitsReserved(h.workspaceId),
              credit: accounts.visitsSpent(),
              amount: req.amount,
            },
          ],
        }
        const [seen] = await tx
          .select({ id: ledgerPostings.id })
          .from(ledgerPostings)
          .where(eq(ledgerPostings.idempotencyKey, key))
        if (seen) {
          await postIn(tx, spec, now) // same content → the first result; other content → 409
          return { hold: h, created: false }
        }
        if (h.status !== 'open') throw new AppError(409, 'hold_closed', 'the hold is closed')
        const left = h.amount - h.committed - h.released
        if (req.amount > left)
          throw new AppError(422, 'hold_exceeded', `only ${left} of the hold is left`, {
            left: left.toString(),
          })
        await postIn(tx, spec, now)
        const [u] = await tx
          .update(ledgerHolds)
          .set({ committed: sql`${ledgerHolds.committed} + ${req.amount}` })
          .where(eq(ledgerHolds.id, h.id))
          .returning()
        return { hold: toHold(u!), created: true }
      })
    },

    async release(req, now) {
      return db.transaction(async (t) => {
        const tx = t as unknown as Db
        const h = await lockHold(tx, req.holdId)
        if (h.status === 'closed') return { hold: h, created: false }
        const left = h.amount - h.committed - h.released
        if (left > 0n) {
          await postIn(
            tx,
            {
              idempotencyKey: `hold_release:${h.id}`,
              type: 'hold_release',
              workspaceId: h.workspaceId,
              reference: h.id,
              metadata: { key: req.idempotencyKey },
              transfers: [
                {
                  debit: accounts.visitsReserved(h.workspaceId),
                  credit: accounts.visitsAvailable(h.workspaceId),
                  amount: left,
                },
              ],
            },
            now,
          )
        }
        const [u] = await tx
          .update(ledgerHolds)
          .set({ released: sql`${ledgerHolds.released} + ${left}`, status: 'closed' })
          .where(eq(ledgerHolds.id, h.id))
          .returning()
        return { hold: toHold(u!), created: true }
      })
    },

    async hold(holdId, tx) {
      const [r] = await (tx ?? db).select().from(ledgerHolds).where(eq(ledgerHolds.id, holdId))
      return r ? toHold(r) : undefined
    },

    async openHolds(reference, tx) {
      const rows = await (tx ?? db)
        .select()
        .from(ledgerHolds)
        .where(sql`${ledgerHolds.reference} = ${reference} AND ${ledgerHolds.status} = 'open'`)
        .orderBy(ledgerHolds.createdAt)
      return rows.map(toHold)
    },

    async postings(q, tx) {
      const d = tx ?? db
      const conds: SQL[] = []
      if (q.workspaceId) conds.push(sql`p.workspace_id = ${q.workspaceId}`)
      if (q.userId)
        conds.push(sql`EXISTS (SELECT 1 FROM ledger_transfers t JOIN ledger_accounts a
          ON a.id IN (t.debit_account_id, t.credit_account_id)
          WHERE t.posting_id = p.id AND a.owner_type = 'user' AND a.owner_id = ${q.userId})`)
      if (q.types && q.types.length > 0)
        conds.push(
          sql`p.type IN (${sql.join(
            q.types.map((t) => sql`${t}`),
            sql`, `,
          )})`,
        )
      if (q.from) conds.push(sql`p.created_at >= ${q.from.toISOString()}`)
      if (q.to) conds.push(sql`p.created_at < ${q.to.toISOString()}`)
      if (q.before)
        conds.push(
          sql`(p.created_at, p.id) < (${q.before.createdAt.toISOString()}::timestamptz, ${q.before.id}::uuid)`,
        )
      const where = conds.length ? sql`WHERE ${sql.join(conds, sql` AND `)}` : sql``
      const posts = rowsOf<{
        id: string
        type: PostingType
        workspace_id: string | null
        reference: string | null
        metadata: Record<string, unknown> | string
        created_at: unknown
      }>(
        await d.execute(sql`
          SELECT p.id, p.type, p.workspace_id, p.reference, p.metadata, p.created_at FROM ledger_postings p
          ${where} ORDER BY p.created_at DESC, p.id DESC LIMIT ${q.limit}`),
      )
      if (posts.length === 0) return []
      const transfers = await d
        .select()
        .from(ledgerTransfers)
        .where(
          sql`${ledgerTransfers.postingId} IN (${sql.join(
            posts.map((p) => sql`${p.id}`),
            sql`, `,
          )})`,
        )
        .orderBy(ledgerTransfers.id)
      const cache = new Map<string, AccountRef>()
      const byPosting = new Map<string, PostingRow['transfers']>()
      for (const t of transfers) {
        const list = byPosting.get(t.postingId) ?? []
        list.push({
          debit: await accountOf(d, t.debitAccountId, cache),
          credit: await accountOf(d, t.creditAccountId, cache),
          amount: big(t.amount),
          asset: t.asset,
        })
        byPosting.set(t.postingId, list)
      }
      return posts.map((p) => ({
        id: p.id,
        type: p.type,
        workspaceId: p.workspace_id,
        reference: p.reference,
        metadata:
          typeof p.metadata === 'string' ? (JSON.parse(p.metadata) as Record<string, unknown>) : p.metadata,
        createdAt: date(p.created_at),
        transfers: byPosting.get(p.id) ?? [],
      }))
    },

    async audit(tx) {
      const d = tx ?? db
      const accs = await d.select().from(ledgerAccounts)
      const sums = rowsOf<{ account_id: string; sum: unknown }>(
        await d.execute(sql`
          SELECT account_id, SUM(delta) AS sum FROM (
            SELECT credit_account_id AS account_id, amount AS delta FROM ledger_transfers
            UNION ALL
            SELECT debit_account_id, -amount FROM ledger_transfers
          ) x GROUP BY account_id`),
      )
      const byId = new Map(sums.map((s) => [s.account_id, big(s.sum)]))
      const balances = accs.map((r) => ({
        account: {
          ownerType: r.ownerType,
          ownerId: r.ownerId,
          purpose: r.purpose,
          asset: r.asset,
        } as AccountRef,
        balance: big(r.balance),
      }))
      const transferSums = new Map(
        accs.map((r, i) => [accountKey(balances[i]!.account), byId.get(r.id) ?? 0n]),
      )
      return checkInvariants(balances, transferSums)
    },
  }
}
