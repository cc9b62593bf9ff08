import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  allowanceKey,
  canTransition,
  chargeKindOfKey,
  EMAIL_EVENTS,
  EMAIL_STATUSES,
  type EmailEvent,
  type EmailStatus,
  emailTransition,
  IllegalTransitionError,
  isFinal,
  replyCharge,
  replyKey,
  sendDecision,
  sendKey,
  statusesAllowing,
  usageOf,
} from './outreach.credits.core.ts'

describe('idempotency keys and usage', () => {
  it('keys are stable and tell their kind', () => {
    const ws = '11111111-1111-4111-8111-111111111111'
    expect(allowanceKey(ws, '2026-06-01')).toBe(`outreach:allowance:${ws}:2026-06-01`)
    expect(sendKey('e1', 1)).toBe('outreach:send:e1:1')
    expect(replyKey('r1')).toBe('outreach:reply:r1')
    expect(chargeKindOfKey(sendKey('e1', 2))).toBe('send')
    expect(chargeKindOfKey(replyKey('r1'))).toBe('reply')
    expect(chargeKindOfKey(allowanceKey(ws, '2026-06-01'))).toBeNull()
  })

  it.each([
    [20, [], 0, { limit: 20, used: 0, left: 20, sent: 0, replies: 0, replies_uncharged: 0 }],
    [
      20,
      [{ kind: 'send' }, { kind: 'send' }, { kind: 'reply' }],
      0,
      { limit: 20, used: 3, left: 17, sent: 2, replies: 1, replies_uncharged: 0 },
    ],
    [
      2,
      [{ kind: 'send' }, { kind: 'reply', amount: 1 }],
      4,
      { limit: 2, used: 2, left: 0, sent: 1, replies: 1, replies_uncharged: 4 },
    ],
    // Plan lowered after the grant was spent: left is never negative.
    [
      1,
      [{ kind: 'send', amount: 3 }],
      0,
      { limit: 1, used: 3, left: 0, sent: 3, replies: 0, replies_uncharged: 0 },
    ],
  ] as const)('usageOf limit %i', (limit, spent, uncharged, expected) => {
    expect(usageOf({ limit, spent, repliesUncharged: uncharged })).toEqual(expected)
  })
})

describe('sendDecision (table)', () => {
  const now = new Date('2026-06-01T10:00:00Z')
  const base = {
    status: 'scheduled' as EmailStatus,
    suppressed: false,
    creditsLeft: 5,
    mailboxSentToday: 3,
    mailboxCap: 200,
    earliestMailboxSlot: new Date('2026-06-01T09:59:00Z'),
    windowEnd: new Date('2026-06-01T17:00:00Z'),
    now,
  }
  it.each([
    ['all clear', {}, { action: 'send' }],
    ['not scheduled', { status: 'sent' }, { action: 'skip', reason: 'not_scheduled:sent' }],
    ['claimed by another worker', { status: 'claimed' }, { action: 'skip', reason: 'not_scheduled:claimed' }],
    [
      'suppressed beats everything',
      { suppressed: true, creditsLeft: 0, now: base.windowEnd },
      { action: 'suppressed' },
    ],
    ['window over', { now: base.windowEnd }, { action: 'expired', reason: 'window_over' }],
    [
      'window over, no credit',
      { now: base.windowEnd, creditsLeft: 0 },
      { action: 'expired', reason: 'window_over' },
    ],
    ['mailbox cap reached', { mailboxSentToday: 200 }, { action: 'expired', reason: 'mailbox_cap' }],
    ['no credit', { creditsLeft: 0 }, { action: 'unpaid' }],
    [
      'mailbox slot later today',
      { earliestMailboxSlot: new Date('2026-06-01T10:00:30Z') },
      { action: 'wait', until: new Date('2026-06-01T10:00:30Z') },
    ],
    ['mailbox slot exactly now', { earliestMailboxSlot: now }, { action: 'send' }],
    [
      'mailbox slot after the window',
      { earliestMailboxSlot: new Date('2026-06-01T17:00:00Z') },
      { action: 'expired', reason: 'no_slot_in_window' },
    ],
  ] as const)('%s', (_name, patch, expected) => {
    expect(sendDecision({ ...base, ...patch })).toEqual(expected)
  })

  it('property: sends only when scheduled, unsuppressed, in the window, under the cap, with a credit and a free slot', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...EMAIL_STATUSES),
        fc.boolean(),
        fc.integer({ min: -2, max: 5 }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: -100, max: 100 }),
        fc.integer({ min: -100, max: 100 }),
        (status, suppressed, creditsLeft, sentToday, cap, slotOff, endOff) => {
          const d = sendDecision({
            status,
            suppressed,
            creditsLeft,
            mailboxSentToday: sentToday,
            mailboxCap: cap,
            earliestMailboxSlot: new Date(now.getTime() + slotOff),
            windowEnd: new Date(now.getTime() + endOff),
            now,
          })
          const ok =
            status === 'scheduled' &&
            !suppressed &&
            endOff > 0 &&
            sentToday < cap &&
            creditsLeft > 0 &&
            slotOff <= 0
          expect(d.action === 'send').toBe(ok)
          if (d.action === 'wait') expect(d.until.getTime()).toBeLessThan(now.getTime() + endOff)
        },
      ),
    )
  })
})

describe('replyCharge', () => {
  it.each([
    ['reply', 1, { charge: true }],
    ['reply', 0, { charge: false, reason: 'no_credit' }],
    ['auto_reply', 5, { charge: false, reason: 'auto_reply' }],
    ['bounce', 5, { charge: false, reason: 'bounce' }],
    ['bounce', 0, { charge: false, reason: 'bounce' }],
  ] as const)('%s with %i left', (kind, creditsLeft, expected) => {
    expect(replyCharge({ kind, creditsLeft })).toEqual(expected)
  })
})

describe('emailTransition', () => {
  it.each([
    ['scheduled', 'claim', 'claimed'],
    ['claimed', 'sent', 'sent'],
    ['claimed', 'fail', 'failed'],
    ['claimed', 'defer', 'deferred'],
    ['claimed', 'unknown', 'unknown'],
    ['deferred', 'retry', 'scheduled'],
    ['scheduled', 'suppress', 'suppressed'],
    ['scheduled', 'unpaid', 'unpaid'],
    ['scheduled', 'cancel', 'cancelled'],
    ['scheduled', 'reschedule', 'scheduled'],
    ['unpaid', 'reschedule', 'scheduled'],
    ['sent', 'reply', 'replied'],
    ['unknown', 'reply', 'replied'],
  ] as const)('%s --%s--> %s', (from, event, to) => {
    expect(emailTransition(from, event)).toBe(to)
  })

  it.each([
    ['claimed', 'claim'],
    ['sent', 'claim'],
    ['sent', 'retry'],
    ['unknown', 'claim'],
    ['unknown', 'retry'],
    ['unknown', 'reschedule'],
    ['failed', 'retry'],
    ['claimed', 'cancel'],
    ['replied', 'reply'],
    ['scheduled', 'sent'],
  ] as const)('%s --%s--> throws', (from, event) => {
    expect(() => emailTransition(from, event)).toThrow(IllegalTransitionError)
    expect(canTransition(from, event)).toBe(false)
  })

  it('claimed, sent, unknown, failed, replied never reach scheduled again', () => {
    const reach = (from: EmailStatus) => {
      const seen = new Set<EmailStatus>([from])
      const todo = [from]
      while (todo.length > 0) {
        const s = todo.pop()!
        for (const e of EMAIL_EVENTS) {
          if (!canTransition(s, e)) continue
          const n = emailTransition(s, e)
          if (!seen.has(n)) {
            seen.add(n)
            todo.push(n)
          }
        }
      }
      return seen
    }
    for (const s of ['sent', 'unknown', 'failed', 'replied'] as const)
      expect(reach(s).has('scheduled')).toBe(false)
    // claimed may come back only through deferred (the server refused it: not handed over).
    expect([...reach('claimed')].sort()).toEqual(
      [
        'cancelled',
        'claimed',
        'deferred',
        'expired',
        'failed',
        'replied',
        'scheduled',
        'sent',
        'suppressed',
        'unknown',
        'unpaid',
      ].sort(),
    )
    expect(statusesAllowing('claim')).toEqual(['scheduled', 'deferred'])
    expect(isFinal('failed')).toBe(true)
    expect(isFinal('sent')).toBe(true)
    expect(isFinal('scheduled')).toBe(false)
  })

  it('property: any event sequence sends at most once and never claims after unknown or sent', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...EMAIL_EVENTS), { maxLength: 60 }), (events: EmailEvent[]) => {
        let s: EmailStatus = 'scheduled'
        let sends = 0
        let possiblyHandedOver = false
        for (const e of events) {
          if (!canTransition(s, e)) {
            expect(() => emailTransition(s, e)).toThrow(IllegalTransitionError)
            continue
          }
          if (e === 'claim') expect(possiblyHandedOver).toBe(false)
          s = emailTransition(s, e)
          if (s === 'sent') sends++
          if (s === 'sent' || s === 'unknown') possiblyHandedOver = true
          if (possiblyHandedOver) expect(s === 'scheduled' || s === 'claimed').toBe(false)
        }
        expect(sends).toBeLessThanOrEqual(1)
      }),
      { numRuns: 1000 },
    )
  })
})
