/**
 * A whole month of a recurring campaign, replayed on an injected clock against the real
 * clients and simulators (Influencers Club, Clay with duplicate and lost callbacks), a real
 * SMTP server and Debian's Dovecot (replies, auto-replies and DSN bounces delivered into its
 * Maildir and read over IMAP): 30 runs on 30 local days (a DST change included), daily credit
 * resets, the completion email, and the invariants — no email sent twice, no creator
 * contacted twice, every send inside the window in the campaign's time zone, credits never
 * negative, the ledger's invariants intact.
 */
import { DateTime } from 'luxon'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  outreachCampaigns,
  outreachCreators,
  outreachEmails,
  outreachMailboxes,
  outreachReplies,
  outreachRuns,
} from '../src/modules/outreach/index.ts'
import { startDovecot, type TestDovecot } from './helpers/dovecot.ts'
import { type OutreachWorld, startOutreachWorld } from './helpers/outreach.ts'
import { throwawayDb } from './helpers/pg.ts'

const TZ = 'America/New_York'
const DAY_LIMIT = 5
const QUOTA = 6

/** A deterministic PRNG (mulberry32) so a failure replays the same month. */
function prng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A creator's answer to one of our emails, as an RFC 5322 message. */
function answer(
  kind: 'reply' | 'auto' | 'bounce',
  to: string,
  from: string,
  messageId: string,
  n: number,
): string {
  const date = 'Mon, 02 Mar 2026 15:00:00 +0000'
  if (kind === 'bounce')
    return [
      'From: Mail Delivery System <MAILER-DAEMON@mx.test>',
      `To: ${to}`,
      'Subject: Undelivered Mail Returned to Sender',
      `Message-ID: <bounce-${n}@mx.test>`,
      `Date: ${date}`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain',
      '',
      'Your message could not be delivered.',
      '--b1',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.test',
      '',
      `Final-Recipient: rfc822; ${from}`,
      'Action: failed',
      'Status: 5.1.1',
      '',
      '--b1',
      'Content-Type: text/rfc822-headers',
      '',
      `Message-ID: ${messageId}`,
      `To: ${from}`,
      '',
      '--b1--',
      '',
    ].join('\r\n')
  return [
    `From: Creator <${from}>`,
    `To: ${to}`,
    `Subject: ${kind === 'auto' ? 'Out of office' : 'Re: hello'}`,
    `Message-ID: <answer-${n}@creator.test>`,
    `In-Reply-To: ${messageId}`,
    `References: ${messageId}`,
    `Date: ${date}`,
    ...(kind === 'auto' ? ['Auto-Submitted: auto-replied'] : []),
    'Content-Type: text/plain; charset=utf-8',
    '',
    kind === 'auto' ? 'I am away until next week.' : 'Sounds interesting, tell me more!',
    '',
  ].join('\r\n')
}

describe('outreach: a month of one recurring campaign', () => {
  let h: Awaited<ReturnType<typeof throwawayDb>>
  let w: OutreachWorld
  let dovecot: TestDovecot
  let campaignId: string

  beforeAll(async () => {
    h = await throwawayDb('pglite')
    dovecot = await startDovecot()
    w = await startOutreachWorld(h.db, {
      // Sunday 1 March 2026, 06:00 in New York; DST starts on Sunday 8 March.
      start: '2026-03-01T11:00:00Z',
      plans: [{ name: 'tiny', dailyLimit: DAY_LIMIT }],
      creators: 1_000,
      emailShare: 0.8,
      duplicateShare: 0.1,
      dropShare: 0.05,
      enrichWaitMs: 20 * 60_000,
    })
    await h.db
      .update(outreachMailboxes)
      .set({
        imapHost: dovecot.host,
        imapPort: dovecot.port,
        imapSecure: false,
        imapUser: dovecot.user,
        imapPasswordSealed: w.deps.box.seal(dovecot.pass),
      })
      .where(eq(outreachMailboxes.id, w.mailbox.id))
    await w.api('PUT', '/outreach/settings', { timezone: TZ })
  }, 60_000)

  afterAll(async () => {
    await w?.close()
    await dovecot?.stop()
    await h?.close()
  })

  it('runs 30 days with every invariant holding', async () => {
    const res = await w.api('POST', '/outreach/campaigns', {
      name: 'Baseball Instagram',
      criteria: { platform: 'instagram', keywords: ['fitness', 'travel'] },
      mailbox_id: w.mailbox.id,
      timezone: TZ,
      daily_quota: QUOTA,
      subject: 'Hello {{first_name|there}}',
      body: 'Hi {{first_name|there}}, we love your {{platform}} posts.',
      footer_address: '1 Main St, Springfield, USA',
    })
    expect(res.statusCode, res.body).toBe(201)
    campaignId = res.json().id

    const rnd = prng(42)
    const answered = new Set<string>()
    let n = 0
    const start = DateTime.fromISO('2026-03-01T06:00', { zone: TZ })
    // Local times of the day's steps: before and through the window, and after it.
    const steps = ['00:10', '06:00', '08:55', '09:05']
    for (let m = 9 * 60 + 30; m < 17 * 60; m += 30)
      steps.push(`${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`)
    steps.push('17:05', '22:00')
    for (let d = 0; d < 32; d++) {
      const day = start.plus({ days: d }).toISODate()!
      for (const t of steps) {
        const at = DateTime.fromISO(`${day}T${t}`, { zone: TZ })
        if (at.toMillis() < w.clock.now().getTime()) continue
        w.clock.set(at.toJSDate())
        await w.service.tick()
        await w.clay.flush()
        await w.service.sendDue()
        // Creators answer some of what was sent: replies, auto-replies, bounces.
        for (const msg of w.smtp.messages) {
          const id = msg.messageId!
          if (!msg.accepted || answered.has(id)) continue
          answered.add(id)
          const r = rnd()
          const kind = r < 0.3 ? 'reply' : r < 0.4 ? 'auto' : r < 0.45 ? 'bounce' : undefined
          if (!kind) continue
          const raw = answer(kind, 'me@brand.test', msg.envelope.to[0]!, id, ++n)
          dovecot.deliver(raw)
          // A copy filed twice (a mail client's move, a re-delivery) must change nothing.
          if (rnd() < 0.1) dovecot.deliver(raw)
        }
        await w.service.pollMailbox(w.mailbox.id)
      }
    }

    const [c] = await h.db.select().from(outreachCampaigns).where(eq(outreachCampaigns.id, campaignId))
    expect(c!.runCount).toBe(30)
    expect(c!.isActive).toBe(false)
    const runs = await h.db.select().from(outreachRuns).where(eq(outreachRuns.campaignId, campaignId))
    expect(runs.map((r) => r.runNumber).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1),
    )
    expect(new Set(runs.map((r) => r.runDate)).size).toBe(30)
    expect(runs.every((r) => r.status === 'completed')).toBe(true)

    // The completion email reached the owner.
    const done = w.smtp.messages.filter((m) => m.subject.startsWith('Campaign completed'))
    expect(done).toHaveLength(1)
    expect(done[0]!.envelope.to).toEqual([w.owner.email])

    // No email sent twice, no address emailed twice, no creator contacted twice.
    const outreach = w.smtp.messages.filter(
      (m) => !m.subject.startsWith('Campaign completed') && !m.subject.startsWith('New reply'),
    )
    const ids = outreach.map((m) => m.messageId)
    expect(new Set(ids).size).toBe(ids.length)
    const rcpts = outreach.map((m) => m.envelope.to[0])
    expect(new Set(rcpts).size).toBe(rcpts.length)
    const emails = await h.db.select().from(outreachEmails)
    expect(new Set(emails.map((e) => e.creatorId)).size).toBe(emails.length)
    const creators = await h.db.select().from(outreachCreators)
    expect(new Set(creators.map((k) => k.externalId)).size).toBe(creators.length)
    if (process.env.DEBUG_MONTH) {
      console.log(
        runs.slice(0, 3),
        emails.slice(0, 3),
        creators.length,
        w.clay.submissions().length,
        w.clay.pending().length,
        w.clay.deliveries().slice(0, 3),
      )
    }
    expect(outreach.length).toBeGreaterThan(60)

    // Every send inside 09:00–17:00 New York time (both sides of the DST change).
    const sent = emails.filter((e) => e.sentAt)
    expect(sent.length).toBe(outreach.length)
    for (const e of sent) {
      const local = DateTime.fromJSDate(e.sentAt!, { zone: TZ })
      const minute = local.hour * 60 + local.minute
      expect(minute, `${e.sentAt!.toISOString()} is ${local.toISO()}`).toBeGreaterThanOrEqual(9 * 60)
      expect(minute).toBeLessThan(17 * 60)
    }

    // Credits: never negative, never over the day's limit; every send and charged reply paid.
    const days = new Map<string, number>()
    for (const e of sent) {
      const d = DateTime.fromJSDate(e.sentAt!, { zone: TZ }).toISODate()!
      days.set(d, (days.get(d) ?? 0) + 1)
    }
    const replies = await h.db.select().from(outreachReplies)
    for (const r of replies.filter((x) => x.charged)) {
      const d = DateTime.fromJSDate(r.receivedAt, { zone: TZ }).toISODate()!
      days.set(d, (days.get(d) ?? 0) + 1)
    }
    for (const [d, used] of days) expect(used, d).toBeLessThanOrEqual(DAY_LIMIT)
    expect(await w.ledger.audit()).toEqual([])
    // Some sends waited for lack of credit, and some replies found none.
    expect(emails.some((e) => e.status === 'unpaid' || (e.error ?? '').includes('credit'))).toBe(true)

    // Replies: recorded once each, auto-replies and bounces never charged, bounces suppress.
    expect(new Set(replies.map((r) => r.messageId)).size).toBe(replies.length)
    expect(replies.filter((r) => r.kind !== 'reply' && r.charged)).toEqual([])
    expect(replies.some((r) => r.kind === 'reply')).toBe(true)
    expect(replies.some((r) => r.kind === 'auto_reply')).toBe(true)
    expect(replies.some((r) => r.kind === 'bounce')).toBe(true)
    const credits = await w.api('GET', '/outreach/credits')
    expect(credits.statusCode).toBe(200)
    expect(credits.json().left).toBeGreaterThanOrEqual(0)
  }, 300_000)
})
