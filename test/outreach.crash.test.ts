/**
 * At most once across a crash: a worker process is killed (SIGKILL) after it claimed an
 * email and handed the message to the SMTP server, before the server answered. The email
 * stays `claimed`, becomes `unknown` once the claim is older than the timeout, stays charged,
 * and no later send loop — in a new process or this one — sends it again.
 */
import { spawn } from 'node:child_process'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { outreachEmails } from '../src/modules/outreach/index.ts'
import { type OutreachWorld, startOutreachWorld } from './helpers/outreach.ts'
import { throwawayDb } from './helpers/pg.ts'
import { ROOT } from './helpers/server.ts'

describe('outreach: a worker killed between claim and answer', () => {
  let h: Awaited<ReturnType<typeof throwawayDb>>
  let w: OutreachWorld

  beforeAll(async () => {
    h = await throwawayDb('postgres')
    w = await startOutreachWorld(h.db, { start: '2026-03-03T08:00:00Z', emailShare: 1, smtpSlowMs: 60_000 })
  })
  afterAll(async () => {
    await w?.close()
    await h?.drop()
  })

  it('never sends the email again and keeps it charged', async () => {
    const res = await w.api('POST', '/outreach/campaigns', {
      name: 'Crash',
      criteria: { platform: 'tiktok', keywords: ['gaming'] },
      mailbox_id: w.mailbox.id,
      daily_quota: 1,
      subject: 'Hi',
      body: 'Hello',
      footer_address: '1 Main St',
    })
    expect(res.statusCode).toBe(201)
    await expect.poll(() => w.clay.pending().length).toBe(1)
    await w.clay.flush()
    const [email] = await h.db.select().from(outreachEmails)
    expect(email!.status).toBe('scheduled')
    w.smtp.answerNext('slow', 1)

    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/outreach.crash.child.ts', h.url!, '2026-03-03T09:00:00Z', w.publicUrl],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
    // The server has the whole message and holds its answer: the worker is between claim and answer.
    await expect.poll(() => w.smtp.payloadsReceived(), { timeout: 20_000 }).toBe(1)
    child.kill('SIGKILL')
    await exited
    const [claimed] = await h.db.select().from(outreachEmails).where(eq(outreachEmails.id, email!.id))
    expect(claimed).toMatchObject({ status: 'claimed', attempts: 1 })

    // Before the claim timeout nothing happens; after it the claim is `unknown`, still charged.
    w.clock.set('2026-03-03T09:05:00Z')
    await w.service.tick()
    await w.service.sendDue()
    expect(
      (await h.db.select().from(outreachEmails).where(eq(outreachEmails.id, email!.id)))[0]!.status,
    ).toBe('claimed')
    w.clock.set('2026-03-03T09:11:00Z')
    await w.service.tick()
    for (const t of ['09:20', '12:00', '16:59']) {
      w.clock.set(`2026-03-03T${t}:00Z`)
      await w.service.sendDue()
    }
    const [after] = await h.db.select().from(outreachEmails).where(eq(outreachEmails.id, email!.id))
    expect(after).toMatchObject({ status: 'unknown', attempts: 1 })
    // The held answer was never given (the worker is gone) and nothing was sent again.
    expect(w.smtp.payloadsReceived()).toBe(1)
    expect((await w.api('GET', '/outreach/credits')).json()).toMatchObject({ used: 1 })
    expect(await w.ledger.audit()).toEqual([])
  }, 60_000)
})
