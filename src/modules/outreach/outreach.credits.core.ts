/**
 * Outreach credits and the email status machine (pure).
 *
 * Credits: a workspace's plan grants a daily allowance (`OUTREACH_PLANS`, e.g.
 * `free:20,starter:200,pro:1000`) into one ledger account per local day
 * (`accounts.outreachDay` in billing's ledger.core.ts); a sent email costs one credit, a
 * real reply one more; auto-replies and bounces cost nothing; what is left at midnight is
 * lost (the next day is another account). Every ledger posting here has an idempotency key
 * from {@link allowanceKey}, {@link sendKey} or {@link replyKey}, so a retried grant or charge
 * has effect once. Amounts are whole credits.
 *
 * Emails follow {@link emailTransition}: at most one SMTP transaction per email, ever.
 */

/** A plan: its name and the credits it grants per local day. */
export interface Plan {
  name: string
  /** Credits per local day (integer ≥ 0). */
  dailyLimit: number
}

/** Ledger idempotency key of a workspace's allowance grant for local day `YYYY-MM-DD`. */
export const allowanceKey = (workspaceId: string, day: string): string =>
  `outreach:allowance:${workspaceId}:${day}`
/**
 * Ledger idempotency key of the credit charged for attempt `attempt` (1-based) of sending
 * email `emailId`: an attempt the server refused is refunded ({@link refundKey}) and the next
 * attempt charges again under its own key.
 */
export const sendKey = (emailId: string, attempt: number): string => `outreach:send:${emailId}:${attempt}`
/** Ledger idempotency key of the refund of a send attempt the server refused (4xx, 5xx). */
export const refundKey = (emailId: string, attempt: number): string => `outreach:refund:${emailId}:${attempt}`
/** Ledger idempotency key of the credit charged for reply `replyId`. */
export const replyKey = (replyId: string): string => `outreach:reply:${replyId}`
/** Ledger idempotency key of the refund of a reply's credit (its kind was corrected to a non-reply). */
export const replyRefundKey = (replyId: string): string => `outreach:reply-refund:${replyId}`

/** What a charge was for, read back from its idempotency key; null for anything else. */
export function chargeKindOfKey(key: string): 'send' | 'reply' | null {
  if (key.startsWith('outreach:send:')) return 'send'
  if (key.startsWith('outreach:reply:')) return 'reply'
  return null
}

/** One day's credit use, as `GET /outreach/credits` shows it. */
export interface Usage {
  /** Credits granted for the day (or the plan's limit before the grant). */
  limit: number
  /** Credits spent: sends + charged replies. */
  used: number
  /** `max(0, limit − used)`. */
  left: number
  /** Emails charged (sent). */
  sent: number
  /** Replies charged. */
  replies: number
  /** Real replies received with no credit left (kept, not charged). */
  replies_uncharged: number
}

/**
 * A day's usage from its charges.
 * @param input.limit the day's granted allowance (the plan's `dailyLimit` when not granted yet).
 * @param input.spent the day's charges: each a `kind` (see {@link chargeKindOfKey}) and an
 *   `amount` in credits (default 1).
 * @param input.repliesUncharged count of the day's replies with `uncharged_reason = 'no_credit'`.
 */
export function usageOf(input: {
  limit: number
  spent: ReadonlyArray<{ kind: 'send' | 'reply'; amount?: number }>
  repliesUncharged: number
}): Usage {
  let sent = 0
  let replies = 0
  for (const s of input.spent) {
    const amount = s.amount ?? 1
    if (s.kind === 'send') sent += amount
    else replies += amount
  }
  const used = sent + replies
  return {
    limit: input.limit,
    used,
    left: Math.max(0, input.limit - used),
    sent,
    replies,
    replies_uncharged: input.repliesUncharged,
  }
}

/** Statuses of an email (contract: `GET /outreach/campaigns/:id/emails`). */
export const EMAIL_STATUSES = [
  'scheduled',
  'claimed',
  'sent',
  'unknown',
  'failed',
  'deferred',
  'suppressed',
  'unpaid',
  'cancelled',
  'replied',
  'expired',
] as const
export type EmailStatus = (typeof EMAIL_STATUSES)[number]

/** What can happen to an email. */
export const EMAIL_EVENTS = [
  /** A sender takes it (row lock + status change in one statement) before talking SMTP. */
  'claim',
  /** The server accepted the message (2xx after DATA). */
  'sent',
  /** Permanent refusal (5xx). */
  'fail',
  /** Temporary refusal (4xx) or a connection failure before the message was handed over. */
  'defer',
  /** The outcome cannot be known (the sender died or lost the connection after DATA). */
  'unknown',
  /** A deferred email is scheduled again, inside the same window. */
  'retry',
  /** Its address is on the suppression list. */
  'suppress',
  /** No credit was left: back to the pool, the creator stays uncontacted. */
  'unpaid',
  /** A later run takes it again (after `unpaid`, or when the window ended before it went). */
  'reschedule',
  /** The campaign was stopped or deleted. */
  'cancel',
  /** A reply to it arrived. */
  'reply',
  /** Not sent before its window closed (or the mailbox's cap, or a paused campaign): waits for the next run. */
  'expire',
] as const
export type EmailEvent = (typeof EMAIL_EVENTS)[number]

/**
 * The transitions; anything else is illegal. Once claimed, an email never becomes
 * `scheduled` again unless the server told us it did not take the message (`deferred`):
 * `claimed`, `sent`, `unknown`, `failed` and `replied` have no way back, so an email is
 * handed to an SMTP server at most once with a possibly-accepted outcome.
 */
const TRANSITIONS: Readonly<Record<EmailStatus, Partial<Record<EmailEvent, EmailStatus>>>> = {
  scheduled: {
    claim: 'claimed',
    suppress: 'suppressed',
    unpaid: 'unpaid',
    reschedule: 'scheduled',
    cancel: 'cancelled',
    expire: 'expired',
  },
  claimed: { sent: 'sent', fail: 'failed', defer: 'deferred', unknown: 'unknown' },
  // A deferred email is claimed again when its retry time comes (the server refused it: nothing was sent).
  deferred: {
    retry: 'scheduled',
    claim: 'claimed',
    suppress: 'suppressed',
    cancel: 'cancelled',
    unpaid: 'unpaid',
    expire: 'expired',
  },
  unpaid: { reschedule: 'scheduled', suppress: 'suppressed', cancel: 'cancelled' },
  expired: { reschedule: 'scheduled', suppress: 'suppressed', cancel: 'cancelled' },
  sent: { reply: 'replied' },
  // A reply proves an `unknown` email went out.
  unknown: { reply: 'replied' },
  failed: {},
  suppressed: {},
  cancelled: {},
  replied: {},
}

/** An event that is not allowed in a status. */
export class IllegalTransitionError extends Error {
  constructor(
    readonly status: EmailStatus,
    readonly event: EmailEvent,
  ) {
    super(`email in status ${status} cannot take event ${event}`)
    this.name = 'IllegalTransitionError'
  }
}

/** Whether `event` is allowed in `status`. */
export function canTransition(status: EmailStatus, event: EmailEvent): boolean {
  return TRANSITIONS[status]?.[event] !== undefined
}

/**
 * The status after `event`. The shell applies it with a conditional update
 * (`… WHERE status = <from>`), so two workers cannot both claim one email.
 * @throws IllegalTransitionError for an event the status does not allow.
 */
export function emailTransition(status: EmailStatus, event: EmailEvent): EmailStatus {
  const next = TRANSITIONS[status]?.[event]
  if (next === undefined) throw new IllegalTransitionError(status, event)
  return next
}

/** The statuses an event may be applied from (for the shell's `WHERE status IN (…)`). */
export function statusesAllowing(event: EmailEvent): EmailStatus[] {
  return EMAIL_STATUSES.filter((s) => canTransition(s, event))
}

/** Whether no event can change the status any more (except `reply` for `sent`/`unknown`). */
export function isFinal(status: EmailStatus): boolean {
  return Object.keys(TRANSITIONS[status]).every((e) => e === 'reply')
}

/** Why an email is not sent now although it is scheduled. */
export type ExpiredReason = 'window_over' | 'mailbox_cap' | 'no_slot_in_window'

/** Outcome of {@link sendDecision}. */
export type SendDecision =
  | { action: 'send' }
  /** Not yet: try again at `until` (the mailbox's next slot, before the window's end). */
  | { action: 'wait'; until: Date }
  /** No credit left: event `unpaid` (back to the pool, creator stays uncontacted). */
  | { action: 'unpaid' }
  /** Address suppressed: event `suppress`. */
  | { action: 'suppressed' }
  /** Cannot go today: it waits for the next run (event `reschedule` then), uncontacted. */
  | { action: 'expired'; reason: ExpiredReason }
  /** Not a scheduled email: nothing to do. */
  | { action: 'skip'; reason: string }

/**
 * Whether a scheduled, due email goes out now. In order:
 * 1. status other than `scheduled` → `skip` (`not_scheduled:<status>`);
 * 2. address suppressed → `suppressed` (whatever the time or credits);
 * 3. `now ≥ windowEnd` → `expired` (`window_over`): never sent tomorrow;
 * 4. mailbox sent `mailboxCap` emails today already → `expired` (`mailbox_cap`);
 * 5. no credit left → `unpaid`;
 * 6. mailbox's next slot after `now`: at or past `windowEnd` → `expired`
 *    (`no_slot_in_window`), else `wait` until it;
 * 7. → `send` (the caller charges {@link sendKey} and claims in one transaction, then sends).
 *
 * @param input.creditsLeft the workspace's credits left today (ledger day balance).
 * @param input.mailboxSentToday emails the mailbox sent (or claimed) today in its local day.
 * @param input.earliestMailboxSlot from `mailboxSlot` (outreach.schedule.core.ts).
 * @param input.windowEnd end of today's sending window of the email's campaign.
 */
export function sendDecision(input: {
  status: EmailStatus
  suppressed: boolean
  creditsLeft: number
  mailboxSentToday: number
  mailboxCap: number
  earliestMailboxSlot: Date
  windowEnd: Date
  now: Date
}): SendDecision {
  if (input.status !== 'scheduled') return { action: 'skip', reason: `not_scheduled:${input.status}` }
  if (input.suppressed) return { action: 'suppressed' }
  if (input.now >= input.windowEnd) return { action: 'expired', reason: 'window_over' }
  if (input.mailboxSentToday >= input.mailboxCap) return { action: 'expired', reason: 'mailbox_cap' }
  if (input.creditsLeft <= 0) return { action: 'unpaid' }
  if (input.earliestMailboxSlot > input.now) {
    if (input.earliestMailboxSlot >= input.windowEnd)
      return { action: 'expired', reason: 'no_slot_in_window' }
    return { action: 'wait', until: input.earliestMailboxSlot }
  }
  return { action: 'send' }
}

/** The kinds of incoming mail (outreach.classify). */
export type ReplyKind = 'reply' | 'auto_reply' | 'bounce'

/** Outcome of {@link replyCharge}. */
export type ReplyCharge = { charge: true } | { charge: false; reason: 'no_credit' | 'auto_reply' | 'bounce' }

/**
 * Whether an incoming message costs a credit: a real reply does (key {@link replyKey}) if a
 * credit is left — with none left it is kept uncharged (`no_credit`); auto-replies and
 * bounces never cost one. Use the effective kind (the owner's override when set).
 */
export function replyCharge(input: { kind: ReplyKind; creditsLeft: number }): ReplyCharge {
  if (input.kind === 'auto_reply') return { charge: false, reason: 'auto_reply' }
  if (input.kind === 'bounce') return { charge: false, reason: 'bounce' }
  if (input.creditsLeft <= 0) return { charge: false, reason: 'no_credit' }
  return { charge: true }
}
