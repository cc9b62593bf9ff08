/**
 * The outreach API and runtime with every part real (PGlite; the two-worker race on
 * PostgreSQL): campaign and mailbox CRUD with field-level errors, workspace isolation,
 * the first run on creation, sends with their headers, 4xx retried inside the window, 5xx
 * suppressing the address, a connection lost after DATA (`unknown`, never retried), one-click
 * unsubscribe (RFC 8058) stopping the next email, the Clay callback's token, reply
 * classification overrides, credits never negative, and two workers on one database never
 * sending an email twice nor contacting a creator twice.
 */
import { and, eq } from 'drizzle-orm'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  createOutreachService,
  outreachCampaigns,
  outreachEmails,
  outreachReplies,
  outreachSuppressions,
} from '../src/modules/outreach/index.ts'
import { createWorkspaceWithKey } from './helpers/auth.ts'
import { type OutreachWorld, startOutreachWorld } from './helpers/outreach.ts'
import { throwawayDb } from './helpers/pg.ts'

// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
type Json = any

/** Tuesday 3 March 2026, 08:00 UTC (campaigns below use UTC: window 09:00–17:00). */
const START = '2026-03-03T08:00:00Z'

const campaignBody = (mailboxId: string, extra: Record<string, unknown> = {}) => ({
  name: 'Fitness creators',
  criteria: { platform: 'instagram', keywords: ['fitness'] },
  mailbox_id: mailboxId,
  daily_quota: 4,
  subject: 'Hi {{first_name|there}}',
  body: 'Hello {{first_name|there}}, we like your {{platform}} work.',
  footer_address: '1 Main St, Springfield',
  ...extra,
})

/** Advances the world's clock to `iso` and runs one tick, the Clay callbacks and the send loop. */
async function step(w: OutreachWorld, iso: string) {
  w.clock.set(iso)
  await w.service.tick()
  await w.clay.flush()
  await w.service.sendDue()
}

describe('outreach API and runtime (PGlite)', () => {
  let h: Awaited<ReturnType<typeof throwawayDb>>
  let w: OutreachWorld

  beforeAll(async () => {
    h = await throwawayDb('pglite')
  })
  afterAll(async () => {
    await h?.close()
  })
  afterEach(async () => {
    await w?.close()
  })

  it('validates bodies field by field and keeps workspaces apart', async () => {
    w = await startOutreachWorld(h.db, { start: START, emailShare: 1 })
    const bad = await w.api('POST', '/outreach/campaigns', {
      ...campaignBody(w.mailbox.id),
      criteria: { platform: 'myspace', keywords: [] },
      window_start: '18:00',
      subject: 'Hi {{nickname}}',
      extra: 1,
    })
    expect(bad.statusCode).toBe(400)
    const paths = (bad.json().error.details as { path: string }[]).map((d) => d.path)
    expect(paths).toEqual(expect.arrayContaining(['criteria.platform']))

    const noFooter = await w.api('POST', '/outreach/campaigns', {
      ...campaignBody(w.mailbox.id),
      footer_address: '',
    })
    expect(noFooter.statusCode).toBe(400)
    expect(noFooter.json().error.details[0].path).toBe('footer_address')

    const ok = await w.api('POST', '/outreach/campaigns', campaignBody(w.mailbox.id))
    expect(ok.statusCode, ok.body).toBe(201)
    const id = ok.json().id

    // A campaign that ran all its runs resumes only with more runs.
    await h.db
      .update(outreachCampaigns)
      .set({ runCount: 30, isActive: false })
      .where(eq(outreachCampaigns.id, id))
    const resume = await w.api('PATCH', `/outreach/campaigns/${id}`, { is_active: true })
    expect(resume.statusCode).toBe(409)
    expect(resume.json().error.details[0].path).toBe('max_runs')
    const more = await w.api('PATCH', `/outreach/campaigns/${id}`, { is_active: true, max_runs: 40 })
    expect(more.json()).toMatchObject({ is_active: true, max_runs: 40, completed_at: null })
    const shortWindow = await w.api('PATCH', `/outreach/campaigns/${id}`, { window_end: '09:10' })
    expect(shortWindow.statusCode).toBe(400)
    expect(shortWindow.json().error.details[0].path).toBe('window_end')

    // Another workspace sees none of it.
    const other = await createWorkspaceWithKey(h.db)
    const as = (method: string, url: string, body?: unknown) =>
      w.app.inject({
        method: method as 'GET',
        url: `/api/v1${url}`,
        headers: { authorization: `Bearer ${other.apiKey}` },
        ...(body !== undefined && { payload: body as object }),
      })
    expect((await as('GET', `/outreach/campaigns/${id}`)).statusCode).toBe(404)
    expect((await as('GET', '/outreach/campaigns')).json().items).toEqual([])
    expect((await as('GET', '/outreach/mailboxes')).json().items).toEqual([])
    expect((await as('PATCH', `/outreach/mailboxes/${w.mailbox.id}`, { name: 'x' })).statusCode).toBe(404)
    expect((await as('POST', '/outreach/campaigns', campaignBody(w.mailbox.id))).statusCode).toBe(404)

    // Passwords are write-only.
    const mb = await w.api('POST', '/outreach/mailboxes', {
      name: 'Second',
      from_email: 'Two@Brand.test',
      smtp_host: '127.0.0.1',
      smtp_port: 2525,
      smtp_user: 'u',
      smtp_password: 'p4ss',
    })
    expect(mb.statusCode, mb.body).toBe(201)
    expect(mb.json()).toMatchObject({ from_email: 'two@brand.test', has_smtp_password: true })
    expect(mb.body).not.toContain('p4ss')
    expect((await w.api('DELETE', `/outreach/mailboxes/${w.mailbox.id}`)).statusCode).toBe(409)
  })

  it('runs Day 1 on creation and sends inside the window with the unsubscribe headers', async () => {
    w = await startOutreachWorld(h.db, { start: START, emailShare: 1 })
    const res = await w.api('POST', '/outreach/campaigns', campaignBody(w.mailbox.id))
    expect(res.statusCode).toBe(201)
    const id = res.json().id as string
    // Day 1 started at creation (discovery and enrichment ran in the background).
    await expect
      .poll(async () => (await w.api('GET', `/outreach/campaigns/${id}/runs`)).json().items.length)
      .toBe(1)
    await expect
      .poll(async () => (await w.api('GET', `/outreach/campaigns/${id}/runs`)).json().items[0].status)
      .toBe('enriching')
    // Rows reach Clay paced (10/s) in the background: deliver the callbacks of those that
    // arrived until all four creators have their email scheduled (a loaded machine is slower).
    let emails: Json[] = []
    await expect
      .poll(
        async () => {
          await w.clay.flush()
          emails = (await w.api('GET', `/outreach/campaigns/${id}/emails`)).json().items as Json[]
          return emails.length
        },
        { timeout: 20_000 },
      )
      .toBe(4)
    // Spread over the window, the first at its start (it opens at 09:00).
    expect(emails[0].scheduled_at).toBe('2026-03-03T09:00:00.000Z')
    expect(emails.every((e) => e.scheduled_at < '2026-03-03T17:00:00.000Z')).toBe(true)

    await step(w, '2026-03-03T08:59:00Z')
    expect(w.smtp.messages).toHaveLength(0)
    for (let t = Date.parse('2026-03-03T09:00:00Z'); t < Date.parse('2026-03-03T17:30:00Z'); t += 15 * 60_000)
      await step(w, new Date(t).toISOString())
    expect(w.smtp.messages).toHaveLength(4)
    const m = w.smtp.messages[0]!
    expect(m.header('list-unsubscribe')).toMatch(
      /^<http:\/\/127\.0\.0\.1:\d+\/api\/v1\/outreach\/unsubscribe\/[^>\s]+>$/,
    )
    expect(m.header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click')
    expect(m.text).toContain('1 Main St, Springfield')
    const rows = await h.db.select().from(outreachEmails).where(eq(outreachEmails.campaignId, id))
    expect(new Set(rows.map((r) => r.messageId))).toEqual(new Set(w.smtp.messages.map((x) => x.messageId)))
    const credits = (await w.api('GET', '/outreach/credits')).json()
    expect(credits).toMatchObject({ date: '2026-03-03', limit: 200, used: 4, left: 196, sent: 4 })
    const list = (await w.api('GET', '/outreach/campaigns')).json().items[0]
    expect(list.today).toMatchObject({ found: 4, emails_found: 4, sent: 4 })
  })

  it('retries 4xx inside the window, suppresses on 5xx, never retries a send lost after DATA', async () => {
    w = await startOutreachWorld(h.db, { start: START, emailShare: 1 })
    const res = await w.api('POST', '/outreach/campaigns', campaignBody(w.mailbox.id, { daily_quota: 3 }))
    const id = res.json().id as string
    await expect
      .poll(async () => (await w.clay.flush()) + w.clay.submissions().length)
      .toBeGreaterThanOrEqual(3)
    await w.clay.flush()
    const emails = (await w.api('GET', `/outreach/campaigns/${id}/emails`)).json().items as Json[]
    expect(emails).toHaveLength(3)
    w.smtp.answerRecipient(emails[0].to_email, '4xx-data', 1)
    w.smtp.answerRecipient(emails[1].to_email, '5xx')
    w.smtp.answerRecipient(emails[2].to_email, 'drop-after-data')
    for (let t = Date.parse('2026-03-03T09:00:00Z'); t < Date.parse('2026-03-03T17:30:00Z'); t += 10 * 60_000)
      await step(w, new Date(t).toISOString())
    const byTo = new Map(
      (await h.db.select().from(outreachEmails).where(eq(outreachEmails.campaignId, id))).map((e) => [
        e.toEmail,
        e,
      ]),
    )
    expect(byTo.get(emails[0].to_email)).toMatchObject({ status: 'sent', attempts: 2, charged: true })
    expect(byTo.get(emails[1].to_email)).toMatchObject({ status: 'failed', charged: false })
    expect(byTo.get(emails[2].to_email)).toMatchObject({ status: 'unknown', attempts: 1, charged: true })
    const sup = await h.db
      .select()
      .from(outreachSuppressions)
      .where(eq(outreachSuppressions.workspaceId, w.owner.workspaceId))
    expect(sup.map((s) => [s.email, s.reason])).toEqual([[emails[1].to_email, 'smtp_5xx']])
    // Accepted once, refused once (4xx), refused (5xx), and the dropped one read once, never again.
    const to2 = w.smtp.messages.filter((x) => x.envelope.to[0] === emails[2].to_email)
    expect(to2).toHaveLength(1)
    // Credits: the 4xx attempt and the 5xx were refunded; sent + unknown are charged.
    expect((await w.api('GET', '/outreach/credits')).json()).toMatchObject({ used: 2 })
    expect(await w.ledger.audit()).toEqual([])
  })

  it('one-click unsubscribe (RFC 8058) stops the next email at once', async () => {
    w = await startOutreachWorld(h.db, { start: START, emailShare: 1 })
    const res = await w.api('POST', '/outreach/campaigns', campaignBody(w.mailbox.id, { daily_quota: 2 }))
    const id = res.json().id as string
    await expect.poll(() => w.clay.pending().length).toBe(2)
    await w.clay.flush()
    await step(w, '2026-03-03T09:00:00Z')
    expect(w.smtp.messages).toHaveLength(1)
    const first = w.smtp.messages[0]!
    const url = first.header('list-unsubscribe')!.slice(1, -1)
    // A tampered token is refused and changes nothing.
    const bad = await fetch(`${url.slice(0, -2)}xx`, { method: 'POST', body: 'List-Unsubscribe=One-Click' })
    expect(bad.status).toBe(400)
    // The page's GET shows the masked address; the one-click POST needs no login.
    const info = await fetch(url)
    expect(await info.json()).toMatchObject({ already: false })
    const post = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    })
    expect(post.status).toBe(200)
    // The second email goes to another creator; unsubscribe the second address too, by hand.
    const emails = (await w.api('GET', `/outreach/campaigns/${id}/emails`)).json().items as Json[]
    const second = emails.find((e) => e.to_email !== first.envelope.to[0])!
    expect(
      (await w.api('POST', '/outreach/suppressions', { email: second.to_email.toUpperCase() })).statusCode,
    ).toBe(201)
    for (let t = Date.parse('2026-03-03T09:10:00Z'); t < Date.parse('2026-03-03T17:30:00Z'); t += 30 * 60_000)
      await step(w, new Date(t).toISOString())
    expect(w.smtp.messages).toHaveLength(1)
    const rows = await h.db.select().from(outreachEmails).where(eq(outreachEmails.campaignId, id))
    expect(rows.find((r) => r.toEmail === second.to_email)!.status).toBe('suppressed')
    const list = (await w.api('GET', '/outreach/suppressions')).json().items as Json[]
    expect(list.map((s) => s.reason).sort()).toEqual(['manual', 'unsubscribe'])
    // Import: the header's email column, invalid lines reported.
    const imp = await w.api('POST', '/outreach/suppressions/import', {
      csv: 'name,email\nA,a@x.test\nB,not-an-email\n',
    })
    expect(imp.json()).toMatchObject({ added: 1, invalid: [{ line: 3, value: 'not-an-email' }] })
  })

  it('refuses Clay callbacks without the right token; a duplicate answer changes nothing', async () => {
    w = await startOutreachWorld(h.db, { start: START, emailShare: 1 })
    await w.api('POST', '/outreach/campaigns', campaignBody(w.mailbox.id, { daily_quota: 1 }))
    await expect.poll(() => w.clay.pending().length).toBe(1)
    const p = w.clay.pending()[0]!
    const u = new URL(p.url)
    const wrong = await fetch(`${u.origin}${u.pathname}?token=${'A'.repeat(43)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ correlation_id: p.body.correlation_id, email: 'evil@x.test' }),
    })
    expect(wrong.status).toBe(401)
    const send = () =>
      fetch(p.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ correlation_id: p.body.correlation_id, email: 'Real@Creator.test' }),
      })
    expect(await (await send()).json()).toEqual({ ok: true, duplicate: false })
    expect(await (await send()).json()).toEqual({ ok: true, duplicate: true })
    const unknownKey = await fetch(p.url, {
      method: 'POST',
      body: JSON.stringify({ correlation_id: 'x', extra: 1 }),
    })
    expect(unknownKey.status).toBe(400)
  })

  it('charges a reply once, keeps one with no credit uncharged, and applies overrides', async () => {
    w = await startOutreachWorld(h.db, {
      start: START,
      emailShare: 1,
      plans: [{ name: 'one', dailyLimit: 2 }],
    })
    const res = await w.api('POST', '/outreach/campaigns', campaignBody(w.mailbox.id, { daily_quota: 2 }))
    const id = res.json().id as string
    await expect.poll(() => w.clay.pending().length).toBe(2)
    await w.clay.flush()
    for (let t = Date.parse('2026-03-03T09:00:00Z'); t < Date.parse('2026-03-03T17:30:00Z'); t += 60 * 60_000)
      await step(w, new Date(t).toISOString())
    expect(w.smtp.messages).toHaveLength(2)
    // Both credits went to the sends: the reply arrives with none left.
    const raw = (to: string, mid: string, n: number, extra: string[] = []) =>
      [
        `From: ${to}`,
        'To: me@brand.test',
        'Subject: Re: hi',
        `Message-ID: <r${n}@c.test>`,
        `In-Reply-To: ${mid}`,
        ...extra,
        '',
        'Yes please',
        '',
      ].join('\r\n')
    const [a, b] = w.smtp.messages
    await w.service.incoming(w.mailbox.id, raw(a!.envelope.to[0]!, a!.messageId!, 1), {
      uid: 1,
      uidValidity: 1,
    })
    await w.service.incoming(w.mailbox.id, raw(a!.envelope.to[0]!, a!.messageId!, 1), {
      uid: 1,
      uidValidity: 1,
    })
    await w.service.incoming(
      w.mailbox.id,
      raw(b!.envelope.to[0]!, b!.messageId!, 2, ['Auto-Submitted: auto-replied']),
      {
        uid: 2,
        uidValidity: 1,
      },
    )
    let replies = (await w.api('GET', '/outreach/replies')).json().items as Json[]
    expect(replies).toHaveLength(2)
    const real = replies.find((r) => r.kind === 'reply')!
    expect(real).toMatchObject({ charged: false, uncharged_reason: 'no_credit' })
    expect(real.thread.to_email).toBe(a!.envelope.to[0])
    const auto = replies.find((r) => r.kind === 'auto_reply')!
    expect(auto.evidence.some((e: Json) => e.header === 'Auto-Submitted')).toBe(true)
    expect((await w.api('GET', '/outreach/credits')).json()).toMatchObject({
      used: 2,
      left: 0,
      replies_uncharged: 1,
    })

    // Next day: a fresh allowance; the owner corrects the auto-reply into a reply → charged.
    w.clock.set('2026-03-04T10:00:00Z')
    const o = await w.api('POST', `/outreach/replies/${auto.id}/classification`, { kind: 'reply' })
    expect(o.json()).toMatchObject({ effective_kind: 'reply', charged: true })
    const back = await w.api('POST', `/outreach/replies/${auto.id}/classification`, { kind: 'auto_reply' })
    expect(back.json()).toMatchObject({ effective_kind: 'auto_reply', charged: false })
    expect((await w.api('GET', '/outreach/credits')).json()).toMatchObject({ used: 0, left: 2 })
    const stopped = await h.db
      .select()
      .from(outreachEmails)
      .where(and(eq(outreachEmails.campaignId, id), eq(outreachEmails.toEmail, a!.envelope.to[0]!)))
    expect(stopped[0]!.status).toBe('replied')
    replies = await h.db.select().from(outreachReplies)
    expect(replies).toHaveLength(2)
    expect(await w.ledger.audit()).toEqual([])
  })
})

describe('outreach: two workers on one PostgreSQL database', () => {
  let h: Awaited<ReturnType<typeof throwawayDb>>
  let w: OutreachWorld

  beforeAll(async () => {
    h = await throwawayDb('postgres')
  })
  afterAll(async () => {
    await w?.close()
    await h?.close()
  })

  it('never send an email twice nor contact a creator twice, and a crashed claim stays unknown', async () => {
    w = await startOutreachWorld(h.db, { start: START, emailShare: 1 })
    // A second runtime on the same database and clock: another worker process.
    const second = createOutreachService(w.deps, { sendEveryMs: 0, imap: false })
    for (let i = 0; i < 3; i++)
      expect(
        (
          await w.api(
            'POST',
            '/outreach/campaigns',
            campaignBody(w.mailbox.id, { name: `c${i}`, daily_quota: 5 }),
          )
        ).statusCode,
      ).toBe(201)
    await expect.poll(() => w.clay.pending().length, { timeout: 10_000 }).toBe(15)
    await w.clay.flush()
    for (
      let t = Date.parse('2026-03-03T09:00:00Z');
      t < Date.parse('2026-03-05T17:30:00Z');
      t += 20 * 60_000
    ) {
      w.clock.set(new Date(t))
      await Promise.all([w.service.tick(), second.tick()])
      await w.clay.flush()
      await Promise.all([w.service.sendDue(), second.sendDue(), w.service.sendDue()])
    }
    const ids = w.smtp.messages.map((m) => m.messageId)
    expect(ids.length).toBeGreaterThanOrEqual(40)
    expect(new Set(ids).size).toBe(ids.length)
    const rcpts = w.smtp.messages.map((m) => m.envelope.to[0])
    expect(new Set(rcpts).size).toBe(rcpts.length)
    const campaigns = await h.db.select().from(outreachCampaigns)
    expect(campaigns.map((c) => c.runCount)).toEqual([3, 3, 3])

    // A worker that died between claim and answer: the claim becomes unknown, never resent.
    const [victim] = await h.db
      .update(outreachEmails)
      .set({ status: 'claimed', claimedAt: w.clock.now() })
      .where(eq(outreachEmails.status, 'expired'))
      .returning()
    if (victim) {
      w.clock.set(new Date(w.clock.now().getTime() + 11 * 60_000))
      await second.tick()
      await second.sendDue()
      const [after] = await h.db.select().from(outreachEmails).where(eq(outreachEmails.id, victim.id))
      expect(after!.status).toBe('unknown')
      expect(w.smtp.messages.filter((m) => m.messageId === victim.messageId).length).toBeLessThanOrEqual(1)
    }
    expect(await w.ledger.audit()).toEqual([])
  }, 120_000)
})
