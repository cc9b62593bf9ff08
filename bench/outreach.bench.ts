/**
 * bench:outreach — one simulated month of BENCH_CAMPAIGNS recurring campaigns (default 100)
 * in BENCH_WORKSPACES workspaces (10) sending from BENCH_MAILBOXES mailboxes (20), on an
 * injected clock, against the Influencers Club and Clay simulators (with duplicate and lost
 * callbacks), a real SMTP server (smtp-server) and Debian's Dovecot (one IMAP account per
 * mailbox; creators' replies, auto-replies and bounces are delivered into its Maildirs and
 * read over IMAP three times a day).
 *
 * The clock steps through the month in 30-minute steps. Each step runs the minute tick,
 * delivers Clay's callbacks over HTTP, then runs the send loop and moves the clock from one
 * due email to the next until the step's end (event-driven, as the 5 s send loop would).
 *
 * Reported: emails sent, replies (charged, uncharged for lack of credit), auto-replies,
 * bounces, emails that waited for lack of credit; the checks — no email sent twice (by
 * Message-ID and by recipient), no creator contacted twice, every send inside its window in
 * its campaign's time zone, no day's credits over the limit, the ledger's invariants; wall
 * time, and CPU per email sent: this process's user + system time, which includes the
 * in-process simulators and SMTP server (Dovecot and PostgreSQL run outside it). The baseline in
 * the same run is a bare loop of the same number of SMTP sends through one nodemailer
 * connection (what sending alone costs), so the ratio says what the scheduling adds.
 * Writes bench/results/outreach.json; exit code 1 when a check fails.
 * Env: BENCH_DB (postgres | pglite, default postgres), BENCH_CAMPAIGNS, BENCH_WORKSPACES,
 * BENCH_MAILBOXES, BENCH_DAYS (31), BENCH_QUOTA (creators per run, 4), BENCH_DAILY_LIMIT (60).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { eq, inArray, sql } from 'drizzle-orm'
import { DateTime } from 'luxon'
import { createTransport } from 'nodemailer'
import {
  outreachCampaigns,
  outreachCreators,
  outreachEmails,
  outreachMailboxes,
  outreachReplies,
  outreachRuns,
} from '../src/modules/outreach/index.ts'
import { createWorkspaceWithKey } from '../test/helpers/auth.ts'
import { startDovecot } from '../test/helpers/dovecot.ts'
import { startOutreachWorld } from '../test/helpers/outreach.ts'
import { throwawayDb } from '../test/helpers/pg.ts'
import { ROOT } from '../test/helpers/server.ts'

const DB = (process.env.BENCH_DB ?? 'postgres') as 'postgres' | 'pglite'
const CAMPAIGNS = Number(process.env.BENCH_CAMPAIGNS ?? 100)
const WORKSPACES = Number(process.env.BENCH_WORKSPACES ?? 10)
const MAILBOXES = Number(process.env.BENCH_MAILBOXES ?? 20)
const DAYS = Number(process.env.BENCH_DAYS ?? 31)
const QUOTA = Number(process.env.BENCH_QUOTA ?? 4)
const DAILY_LIMIT = Number(process.env.BENCH_DAILY_LIMIT ?? 60)
const ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'America/Los_Angeles']
const PLATFORMS = ['instagram', 'tiktok', 'youtube', 'twitch', 'twitter'] as const
const NICHES = ['fitness', 'gaming', 'beauty', 'travel', 'food', 'tech', 'music', 'fashion', 'finance', 'ai']

/** mulberry32, so every run replays the same month. */
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

function answer(
  kind: 'reply' | 'auto' | 'bounce',
  mailbox: string,
  creator: string,
  messageId: string,
  n: number,
) {
  if (kind === 'bounce')
    return [
      'From: MAILER-DAEMON@mx.test',
      `To: ${mailbox}`,
      'Subject: Undelivered Mail Returned to Sender',
      `Message-ID: <bounce-${n}@mx.test>`,
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
      '',
      '--b',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.test',
      '',
      `Final-Recipient: rfc822; ${creator}`,
      'Action: failed',
      'Status: 5.1.1',
      '',
      '--b',
      'Content-Type: text/rfc822-headers',
      '',
      `Message-ID: ${messageId}`,
      '',
      '--b--',
      '',
    ].join('\r\n')
  return [
    `From: ${creator}`,
    `To: ${mailbox}`,
    `Subject: ${kind === 'auto' ? 'Automatic reply: away' : 'Re: collab'}`,
    `Message-ID: <answer-${n}@creator.test>`,
    `In-Reply-To: ${messageId}`,
    ...(kind === 'auto' ? ['Auto-Submitted: auto-replied'] : []),
    '',
    kind === 'auto' ? 'Away this week.' : 'Yes, interested.',
    '',
  ].join('\r\n')
}

const h = await throwawayDb(DB)
const start = DateTime.fromISO('2026-03-01T00:05', { zone: 'UTC' })
const w = await startOutreachWorld(h.db, {
  start: start.toJSDate(),
  plans: [{ name: 'bench', dailyLimit: DAILY_LIMIT }],
  creators: 6_000,
  emailShare: 0.8,
  duplicateShare: 0.05,
  dropShare: 0.02,
  enrichWaitMs: 20 * 60_000,
})
const dovecot = await startDovecot({
  more: Array.from({ length: MAILBOXES }, (_, i) => ({ user: `mb${i}`, pass: `pw${i}` })),
})

// Workspaces (the world's owner is the first), two or more mailboxes each, campaigns spread.
const owners = [
  w.owner,
  ...(await Promise.all(Array.from({ length: WORKSPACES - 1 }, () => createWorkspaceWithKey(h.db)))),
]
const mailboxes: { id: string; workspace: number; address: string; user: string }[] = []
for (let i = 0; i < MAILBOXES; i++) {
  const ws = i % WORKSPACES
  const [mb] = await h.db
    .insert(outreachMailboxes)
    .values({
      workspaceId: owners[ws]!.workspaceId,
      name: `mb${i}`,
      fromEmail: `mb${i}@brand.test`,
      smtpHost: '127.0.0.1',
      smtpPort: w.smtp.port,
      imapHost: dovecot.host,
      imapPort: dovecot.port,
      imapSecure: false,
      imapUser: `mb${i}`,
      imapPasswordSealed: w.deps.box.seal(`pw${i}`),
      minGapSeconds: 60,
      dailyCap: 500,
    })
    .returning()
  mailboxes.push({ id: mb!.id, workspace: ws, address: `mb${i}@brand.test`, user: `mb${i}` })
}
await h.db.delete(outreachMailboxes).where(eq(outreachMailboxes.id, w.mailbox.id))
for (let ws = 0; ws < WORKSPACES; ws++) {
  const api = (method: string, url: string, body?: unknown) =>
    w.app.inject({
      method: method as 'GET',
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${owners[ws]!.apiKey}` },
      ...(body !== undefined && { payload: body as object }),
    })
  await api('PUT', '/outreach/settings', { plan: 'bench', timezone: ZONES[ws % ZONES.length] })
}
const tStart = performance.now()
const cpu0 = process.cpuUsage()
for (let c = 0; c < CAMPAIGNS; c++) {
  const ws = c % WORKSPACES
  const own = mailboxes.filter((m) => m.workspace === ws)
  const res = await w.app.inject({
    method: 'POST',
    url: '/api/v1/outreach/campaigns',
    headers: { authorization: `Bearer ${owners[ws]!.apiKey}` },
    payload: {
      name: `campaign ${c}`,
      criteria: {
        platform: PLATFORMS[c % PLATFORMS.length],
        keywords: [NICHES[Math.floor(c / 5) % NICHES.length]!],
      },
      mailbox_id: own[c % own.length]!.id,
      timezone: ZONES[c % ZONES.length],
      daily_quota: QUOTA,
      subject: 'Collab with {{first_name|you}}?',
      body: 'Hi {{first_name|there}}, we love your {{platform}} content ({{followers}} followers).',
      footer_address: '1 Main St, Springfield',
    },
  })
  if (res.statusCode !== 201) throw new Error(`campaign ${c}: ${res.statusCode} ${res.body}`)
}

const rnd = prng(7)
const answered = new Set<string>()
let n = 0
let steps = 0
const mailboxByAddress = new Map(mailboxes.map((m) => [m.address, m]))
for (let d = 0; d < DAYS; d++) {
  if (d > 0)
    process.stderr.write(
      `day ${d}/${DAYS}: ${((performance.now() - tStart) / 1000).toFixed(0)} s, ${w.smtp.messages.length} messages\n`,
    )
  for (let m = 5; m < 24 * 60; m += 30) {
    const at = start.plus({ days: d, minutes: m - 5 })
    w.clock.set(at.toJSDate())
    steps++
    await w.service.tick()
    await w.clay.flush()
    // The send loop runs every few seconds in production: within the step, jump the clock
    // from one due email to the next (event-driven), so mailbox gaps are honoured as they
    // would be, without simulating every 5 s.
    const stepEnd = at.plus({ minutes: 30 }).toMillis()
    for (;;) {
      await w.service.sendDue()
      const [next] = await h.db
        .select({ at: sql<Date>`min(${outreachEmails.scheduledAt})` })
        .from(outreachEmails)
        .where(inArray(outreachEmails.status, ['scheduled', 'deferred']))
      const due = next?.at ? new Date(next.at).getTime() : Number.POSITIVE_INFINITY
      if (due >= stepEnd) break
      w.clock.set(new Date(Math.max(due, w.clock.now().getTime() + 1)))
    }
    for (const msg of w.smtp.messages) {
      const id = msg.messageId
      if (!id || !msg.accepted || answered.has(id) || msg.subject.startsWith('New reply')) continue
      answered.add(id)
      const mb = mailboxByAddress.get(msg.envelope.from)
      if (!mb) continue
      const r = rnd()
      const kind = r < 0.25 ? 'reply' : r < 0.33 ? 'auto' : r < 0.37 ? 'bounce' : undefined
      if (kind) dovecot.deliver(answer(kind, mb.address, msg.envelope.to[0]!, id, ++n), mb.user)
    }
    // Mailboxes are read three times a UTC day (the watcher's IDLE does this live in production).
    if (m === 5 + 10 * 60 || m === 5 + 14 * 60 || m === 5 + 22 * 60)
      for (const mb of mailboxes) await w.service.pollMailbox(mb.id)
  }
}
// Replies still unread at the end.
for (const mb of mailboxes) await w.service.pollMailbox(mb.id)
const cpu = process.cpuUsage(cpu0)
const wallS = (performance.now() - tStart) / 1000

// The checks.
const emails = await h.db.select().from(outreachEmails)
const campaigns = await h.db.select().from(outreachCampaigns)
const zoneOf = new Map(campaigns.map((c) => [c.id, c]))
const sentRows = emails.filter((e) => e.sentAt)
const notices = (m: { subject: string }) =>
  m.subject.startsWith('New reply') || m.subject.startsWith('Campaign completed')
const outreachMsgs = w.smtp.messages.filter(
  (m) => m.accepted && mailboxByAddress.has(m.envelope.from) && !notices(m),
)
const ids = outreachMsgs.map((m) => m.messageId)
// Per workspace: two customers may both find (and email) the same creator.
const rcpts = outreachMsgs.map(
  (m) => `${mailboxByAddress.get(m.envelope.from)!.workspace}:${m.envelope.to[0]}`,
)
let outside = 0
for (const e of sentRows) {
  const c = zoneOf.get(e.campaignId)!
  const local = DateTime.fromJSDate(e.sentAt!, { zone: c.timezone })
  const minute = local.hour * 60 + local.minute
  if (minute < c.windowStartMin || minute >= c.windowEndMin) outside++
}
const creators = await h.db.select().from(outreachCreators)
const perWorkspaceCreator = new Set(creators.map((k) => `${k.workspaceId}:${k.platform}:${k.externalId}`))
const replies = await h.db.select().from(outreachReplies)
// Credits per workspace and credit day, from the ledger's own view.
let overLimit = 0
const byDay = new Map<string, number>()
for (const e of emails.filter((x) => x.charged && x.claimedAt)) {
  const owner = owners.findIndex((o) => o.workspaceId === e.workspaceId)
  const d = DateTime.fromJSDate(e.claimedAt!, { zone: ZONES[owner % ZONES.length] }).toISODate()
  byDay.set(`${e.workspaceId}:${d}`, (byDay.get(`${e.workspaceId}:${d}`) ?? 0) + 1)
}
for (const r of replies.filter((x) => x.charged)) {
  const k = `${r.workspaceId}:${r.chargedDay}`
  byDay.set(k, (byDay.get(k) ?? 0) + 1)
}
for (const used of byDay.values()) if (used > DAILY_LIMIT) overLimit++
const violations = await w.ledger.audit()
const runs = await h.db.select().from(outreachRuns)

// Baseline: the same number of plain SMTP sends through one kept nodemailer connection.
const base = createTransport({
  host: '127.0.0.1',
  port: w.smtp.port,
  secure: false,
  pool: true,
  maxConnections: 1,
})
const b0 = performance.now()
const bc0 = process.cpuUsage()
const baseSends = Math.min(sentRows.length, 2_000)
for (let i = 0; i < baseSends; i++)
  await base.sendMail({ from: 'b@brand.test', to: `c${i}@x.test`, subject: 'b', text: 'b' })
const bcpu = process.cpuUsage(bc0)
const baseWall = (performance.now() - b0) / 1000
base.close()

const checks = {
  duplicate_sends: ids.length - new Set(ids).size,
  recipients_twice: rcpts.length - new Set(rcpts).size,
  creators_twice: creators.length - perWorkspaceCreator.size,
  emails_per_creator_over_1: emails.length - new Set(emails.map((e) => e.creatorId)).size,
  sent_outside_window: outside,
  credit_days_over_limit: overLimit,
  ledger_violations: violations.length,
  smtp_vs_db_sent: outreachMsgs.length - sentRows.length,
}
const cpuMsPerEmail = (cpu.user + cpu.system) / 1000 / Math.max(1, sentRows.length)
const baseCpuMsPerEmail = (bcpu.user + bcpu.system) / 1000 / Math.max(1, baseSends)
const result = {
  bench: 'outreach',
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
  db: DB,
  setup: {
    campaigns: CAMPAIGNS,
    workspaces: WORKSPACES,
    mailboxes: MAILBOXES,
    days: DAYS,
    quota: QUOTA,
    daily_limit: DAILY_LIMIT,
    steps,
  },
  results: {
    runs: runs.length,
    runs_failed: runs.filter((r) => r.status === 'failed').length,
    campaigns_completed: campaigns.filter((c) => !c.isActive).length,
    creators_found: creators.length,
    emails_found: creators.filter((k) => k.email).length,
    emails_sent: sentRows.length,
    emails_unknown: emails.filter((e) => e.status === 'unknown').length,
    emails_by_status: Object.fromEntries(
      [...new Set(emails.map((e) => e.status))]
        .sort()
        .map((st) => [st, emails.filter((e) => e.status === st).length]),
    ),
    emails_by_error: Object.fromEntries(
      [...new Set(emails.map((e) => e.error ?? ''))]
        .sort()
        .map((er) => [er || '-', emails.filter((e) => (e.error ?? '') === er).length]),
    ),
    emails_waiting_no_credit: emails.filter((e) => e.status === 'unpaid').length,
    replies: replies.filter((r) => r.kind === 'reply').length,
    replies_charged: replies.filter((r) => r.charged).length,
    replies_uncharged_no_credit: replies.filter((r) => r.unchargedReason === 'no_credit').length,
    auto_replies: replies.filter((r) => r.kind === 'auto_reply').length,
    bounces: replies.filter((r) => r.kind === 'bounce').length,
    completion_emails: w.smtp.messages.filter((m) => m.subject.startsWith('Campaign completed')).length,
  },
  checks,
  timing: {
    wall_s: Number(wallS.toFixed(1)),
    cpu_ms_per_email: Number(cpuMsPerEmail.toFixed(2)),
    baseline_smtp_cpu_ms_per_email: Number(baseCpuMsPerEmail.toFixed(2)),
    baseline_smtp_wall_ms_per_email: Number(((baseWall * 1000) / Math.max(1, baseSends)).toFixed(2)),
    cpu_ratio_to_baseline: Number((cpuMsPerEmail / Math.max(0.001, baseCpuMsPerEmail)).toFixed(1)),
  },
}
console.table(result.results)
console.table(checks)
console.table(result.timing)
const dir = path.join(ROOT, 'bench', 'results')
mkdirSync(dir, { recursive: true })
writeFileSync(path.join(dir, 'outreach.json'), `${JSON.stringify(result, null, 2)}\n`)
await w.close()
await dovecot.stop()
await h.drop()
const failed = Object.entries(checks).filter(([, v]) => v !== 0)
if (failed.length > 0) {
  console.error('checks failed:', failed)
  process.exit(1)
}
process.exit(0)
