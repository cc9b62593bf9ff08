/**
 * The ledger's pure rules: account naming and policy, posting validation, the canonical
 * digest that makes idempotency keys safe, net balance changes, and the invariants every
 * state must keep. No I/O; `ledger.repository.ts` applies them in SQL.
 *
 * Model (after TigerBeetle's transfers and Formance's postings, in our own SQL):
 * - an **account** is (owner, purpose, asset); its balance is Σ credits − Σ debits in integer
 *   units of the asset (visit credits, or minor units of a currency: cents);
 * - a **transfer** moves `amount > 0` of one asset from a debit account to a credit account;
 * - a **posting** is one or more transfers committed together under one idempotency key.
 *
 * Invariants (property-tested in ledger.core.test.ts and test/billing.ledger.test.ts):
 * 1. for every asset, the balances of all accounts sum to 0 (every transfer debits what it credits);
 * 2. an account whose policy forbids it never has a negative balance;
 * 3. an idempotency key has effect once: the same content returns the first posting, other
 *    content is refused;
 * 4. a cached balance equals the sum of its account's transfers (system accounts cache none:
 *    see {@link cachesBalance}).
 */
import { createHash } from 'node:crypto'

/** Visit credits (what the visitor engine spends), in whole visits. */
export const VISITS = 'visits'
/**
 * Asset of outreach credits: a daily allowance per workspace, one account per local day
 * (`accounts.outreachDay`), so the allowance resets at midnight without moving anything
 * and nothing rolls over (see `src/modules/outreach/README.md`, "Credits").
 */
export const OUTREACH = 'outreach'

/** An ISO 4217 code (money in minor units), {@link VISITS} or {@link OUTREACH}. */
export type Asset = string

/** Who an account belongs to. */
export type OwnerType = 'workspace' | 'user' | 'system'

/** Identifies an account; it is created on first use. */
export interface AccountRef {
  ownerType: OwnerType
  /** Workspace or user ID; null for system accounts. */
  ownerId: string | null
  /** What the account holds, e.g. `available`, `reserved`, `affiliate_pending`, `payments_in`. */
  purpose: string
  asset: Asset
}

/** Posting types (README "Ledger"). */
export const POSTING_TYPES = [
  'deposit',
  'spend',
  'bonus',
  'adjustment',
  'commission',
  'commission_release',
  'commission_reversal',
  'refund',
  'payout',
  'hold',
  'hold_commit',
  'hold_release',
  'allowance',
] as const
export type PostingType = (typeof POSTING_TYPES)[number]

/** One movement in a posting. */
export interface TransferSpec {
  debit: AccountRef
  credit: AccountRef
  /** Integer units of the accounts' asset, > 0. */
  amount: bigint
}

/** What a caller asks the ledger to record. */
export interface PostingSpec {
  /** Unique per intended effect (e.g. `payment:stripe:evt_123`); at most 200 characters. */
  idempotencyKey: string
  type: PostingType
  /** The workspace the posting concerns (listing, scoping); null for user-only postings. */
  workspaceId?: string | null
  reference?: string | null
  metadata?: Record<string, unknown>
  transfers: TransferSpec[]
}

/** Named accounts, so that every module spells them the same way. */
export const accounts = {
  /** A workspace's spendable visit credits (never negative). */
  visitsAvailable: (workspaceId: string): AccountRef => ws(workspaceId, 'available', VISITS),
  /** Visit credits held for metered spending (never negative). */
  visitsReserved: (workspaceId: string): AccountRef => ws(workspaceId, 'reserved', VISITS),
  /** Affiliate money earned but still in its hold (never negative). */
  affiliatePending: (userId: string, currency: string): AccountRef =>
    user(userId, 'affiliate_pending', currency),
  /** Affiliate money that may be paid out; may go negative when a paid commission is reversed. */
  affiliateAvailable: (userId: string, currency: string): AccountRef =>
    user(userId, 'affiliate_available', currency),
  /**
   * Affiliate money of payout requests awaiting an admin (never negative): paid → {@link accounts.affiliatePaid},
   * rejected → back to available.
   */
  affiliatePayoutRequested: (userId: string, currency: string): AccountRef =>
    user(userId, 'affiliate_payout_requested', currency),
  /** Affiliate money paid out so far (never negative). */
  affiliatePaid: (userId: string, currency: string): AccountRef => user(userId, 'affiliate_paid', currency),
  /** System: source of visit credits sold (goes negative by what was sold). */
  visitsIssued: (): AccountRef => sys('issued', VISITS),
  /** System: source of bonus and adjustment credits. */
  visitsGranted: (): AccountRef => sys('granted', VISITS),
  /** System: visits spent (visitor engine). */
  visitsSpent: (): AccountRef => sys('spent', VISITS),
  /** System: money received from payment providers (negative by what came in). */
  paymentsIn: (currency: string): AccountRef => sys('payments_in', currency),
  /** System: revenue of paid orders (net of refunds). */
  revenue: (currency: string): AccountRef => sys('revenue', currency),
  /** System: commissions owed to affiliates (the expense side). */
  commissionExpense: (currency: string): AccountRef => sys('commission_expense', currency),
  /** System: money paid out to affiliates. */
  payoutsOut: (currency: string): AccountRef => sys('payouts_out', currency),
  /**
   * A workspace's outreach credits of one local day `YYYY-MM-DD` (never negative). Each day
   * is its own account: the day's allowance is granted into it, sends and replies spend from
   * it, and what is left when the day ends stays there unused (no rollover).
   */
  outreachDay: (workspaceId: string, day: string): AccountRef =>
    ws(workspaceId, `outreach_${day.replaceAll('-', '')}`, OUTREACH),
  /** System: source of the daily outreach allowances. */
  outreachAllowance: (): AccountRef => sys('outreach_allowance', OUTREACH),
  /** System: outreach credits spent (emails sent, replies received). */
  outreachSpent: (): AccountRef => sys('outreach_spent', OUTREACH),
}

function ws(id: string, purpose: string, asset: Asset): AccountRef {
  return { ownerType: 'workspace', ownerId: id, purpose, asset }
}
function user(id: string, purpose: string, asset: Asset): AccountRef {
  return { ownerType: 'user', ownerId: id, purpose, asset }
}
function sys(purpose: string, asset: Asset): AccountRef {
  return { ownerType: 'system', ownerId: null, purpose, asset }
}

/**
 * Whether an account may have a negative balance: system accounts (sources and sinks of the
 * outside world) and affiliate `affiliate_available` (a commission reversed after it was
 * paid out becomes a debt netted against later earnings). Everything else may not.
 */
export function allowsNegative(a: AccountRef): boolean {
  return a.ownerType === 'system' || (a.ownerType === 'user' && a.purpose === 'affiliate_available')
}

/**
 * Whether an account's balance is cached in its row (updated with each posting). System
 * accounts are not: no check needs their balance (they may go negative), and they are the
 * hottest rows of all — every spend of every workspace credits `spent` — so updating them
 * would serialise all postings on one row lock. Their balance is the sum of their transfers.
 */
export function cachesBalance(a: AccountRef): boolean {
  return a.ownerType !== 'system'
}

/** A stable text key of an account (maps, locks, error messages). */
export function accountKey(a: AccountRef): string {
  return `${a.ownerType}:${a.ownerId ?? '-'}:${a.purpose}:${a.asset}`
}

const ASSET = /^(visits|outreach|[A-Z]{3})$/
const PURPOSE = /^[a-z][a-z0-9_]{0,63}$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** Largest amount of one transfer: 2^53 − 1, so balances stay exact in JavaScript numbers too. */
export const MAX_AMOUNT = BigInt(Number.MAX_SAFE_INTEGER)

/** A problem found by {@link validatePosting}: the path of the bad part and why. */
export interface PostingProblem {
  path: string
  message: string
}

/**
 * Checks a posting before it touches the database. Pure.
 * @returns the problems (empty when valid): key 1–200 characters; a known type; 1–32
 *   transfers; each with a valid account pair of the same asset, different accounts, and an
 *   integer amount in 1..{@link MAX_AMOUNT}.
 */
export function validatePosting(p: PostingSpec): PostingProblem[] {
  const out: PostingProblem[] = []
  if (p.idempotencyKey.length === 0 || p.idempotencyKey.length > 200)
    out.push({ path: 'idempotencyKey', message: 'must be 1 to 200 characters' })
  if (!(POSTING_TYPES as readonly string[]).includes(p.type))
    out.push({ path: 'type', message: `unknown posting type ${JSON.stringify(p.type)}` })
  if (p.transfers.length === 0 || p.transfers.length > 32)
    out.push({ path: 'transfers', message: 'a posting has 1 to 32 transfers' })
  p.transfers.forEach((t, i) => {
    for (const side of ['debit', 'credit'] as const) {
      const a = t[side]
      if (!ASSET.test(a.asset)) out.push({ path: `transfers.${i}.${side}.asset`, message: 'unknown asset' })
      if (!PURPOSE.test(a.purpose))
        out.push({ path: `transfers.${i}.${side}.purpose`, message: 'bad purpose' })
      if (
        (a.ownerType === 'system') !== (a.ownerId === null) ||
        (a.ownerId !== null && !UUID.test(a.ownerId))
      )
        out.push({
          path: `transfers.${i}.${side}.ownerId`,
          message: 'system accounts have no owner; others a UUID',
        })
    }
    if (t.debit.asset !== t.credit.asset)
      out.push({ path: `transfers.${i}`, message: 'debit and credit accounts hold different assets' })
    if (accountKey(t.debit) === accountKey(t.credit))
      out.push({ path: `transfers.${i}`, message: 'debit and credit are the same account' })
    if (typeof t.amount !== 'bigint' || t.amount <= 0n || t.amount > MAX_AMOUNT)
      out.push({ path: `transfers.${i}.amount`, message: `must be an integer in 1..${MAX_AMOUNT}` })
  })
  return out
}

/** JSON with object keys sorted at every depth and bigints as decimal strings. */
function canonical(v: unknown): string {
  if (typeof v === 'bigint') return JSON.stringify(v.toString())
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null)
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  const o = v as Record<string, unknown>
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`
}

/**
 * SHA-256 (hex) of a posting's content — everything but the idempotency key — in a
 * canonical form (sorted keys). Two requests with one key are "the same" iff digests match.
 */
export function postingDigest(p: PostingSpec): string {
  return createHash('sha256')
    .update(
      canonical({
        type: p.type,
        workspaceId: p.workspaceId ?? null,
        reference: p.reference ?? null,
        metadata: p.metadata ?? {},
        transfers: p.transfers,
      }),
    )
    .digest('hex')
}

/**
 * Net change of each account of a posting: credits add, debits subtract. Keys are
 * {@link accountKey}s, in sorted order (the lock order of the repository, so that two
 * postings never wait on each other in a cycle).
 */
export function netChanges(transfers: readonly TransferSpec[]): { account: AccountRef; delta: bigint }[] {
  const m = new Map<string, { account: AccountRef; delta: bigint }>()
  const add = (a: AccountRef, d: bigint) => {
    const k = accountKey(a)
    const cur = m.get(k)
    if (cur) cur.delta += d
    else m.set(k, { account: a, delta: d })
  }
  for (const t of transfers) {
    add(t.debit, -t.amount)
    add(t.credit, t.amount)
  }
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v)
}

/** A violation found by {@link checkInvariants}. */
export interface InvariantViolation {
  invariant: 'zero_sum' | 'negative' | 'cache'
  detail: string
}

/**
 * Checks invariants 1, 2 and 4 over a whole ledger. Pure.
 * @param balances every account with its cached balance (0 for accounts that cache none).
 * @param transferSums Σ credits − Σ debits per account key, recomputed from the transfers.
 */
export function checkInvariants(
  balances: readonly { account: AccountRef; balance: bigint }[],
  transferSums: ReadonlyMap<string, bigint>,
): InvariantViolation[] {
  const out: InvariantViolation[] = []
  const perAsset = new Map<string, bigint>()
  for (const { account, balance: cached } of balances) {
    const sum = transferSums.get(accountKey(account)) ?? 0n
    // Uncached accounts (system) hold 0 in their row; their balance is the transfers' sum.
    const balance = cachesBalance(account) ? cached : sum
    perAsset.set(account.asset, (perAsset.get(account.asset) ?? 0n) + balance)
    if (balance < 0n && !allowsNegative(account))
      out.push({ invariant: 'negative', detail: `${accountKey(account)} = ${balance}` })
    if (sum !== balance || (!cachesBalance(account) && cached !== 0n))
      out.push({ invariant: 'cache', detail: `${accountKey(account)}: cached ${cached}, transfers ${sum}` })
  }
  for (const [asset, sum] of perAsset)
    if (sum !== 0n) out.push({ invariant: 'zero_sum', detail: `${asset} sums to ${sum}` })
  return out
}
