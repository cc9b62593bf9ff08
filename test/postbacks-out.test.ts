/**
 * Outbound postbacks end to end on PGlite and PostgreSQL: a postback in (`/postback`) is
 * accepted as a conversion, whose transaction writes the outbound row and its first pg-boss
 * job; workers deliver it to a real loopback receiver with retries, and the admin API lists,
 * shows and retries. Delays are the fast test schedule (150 → 300 → 600 ms, 4 attempts).
 */
import path from 'node:path'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrateClickHouse } from '../src/modules/analytics/index.ts'
import { createConversionsService } from '../src/modules/conversions/index.ts'
import {
  DELIVER_JOB,
  deliverKey,
  OUTBOUND_USER_AGENT,
} from '../src/modules/postbacks-out/outbound.service.ts'
import { type ClickHouseHandle, openClickHouse } from '../src/platform/clickhouse.ts'
import { conversionEvents, conversions } from '../src/modules/conversions/index.ts'
import { removeTempDirs, tempDir } from './analytics.helpers.ts'
import { createWorkspaceWithKey } from './helpers/auth.ts'
import {
  FAST_POLICY,
  type Json,
  type Receiver,
  type Stack,
  stack,
  startReceiver,
  until,
} from './postbacks-out.helpers.ts'

let ch: ClickHouseHandle
const receivers: Receiver[] = []
async function receiver(respond?: Receiver['respond']) {
  const r = await startReceiver(respond)
  receivers.push(r)
  return r
}

beforeAll(async () => {
  ch = await openClickHouse({ chDir: path.join(tempDir('pbout-ch'), 'ch'), database: 'tf_pbout' })
  await migrateClickHouse(ch)
})
afterAll(async () => {
  for (const r of receivers) await r.close()
  await ch?.close()
  removeTempDirs()
})

let tid = 0
/** A postback for a fresh click of `sourceId`; @returns the conversion ID. */
async function convert(
  s: Stack,
  sourceId: string,
  params: Record<string, string> = {},
  clickOver: Json = {},
) {
  const c = s.click(sourceId, clickOver)
  const r = await s.postback({ subid: c.click_id, tid: `T-${++tid}`, payout: '2', status: 'sale', ...params })
  expect(r).toMatchObject({ status: 200, body: { outcome: 'accepted' } })
  return { conversionId: r.body.conversion_id as string, click: c }
}

/** pg-boss jobs of one outbound postback in `states` (and, with `due`, already due). */
async function jobsOf(
  s: Stack,
  outboundId: string,
  states: string[],
  opts: { due?: boolean; except?: string } = {},
): Promise<number> {
  const r = await s.h.raw.executeSql(
    `SELECT count(*) AS n FROM pgboss.job WHERE name = $1 AND data->>'outbound_id' = $2
       AND state::text = ANY($3::text[]) AND id::text <> $4 ${opts.due ? 'AND start_after <= now()' : ''}`,
    [DELIVER_JOB, outboundId, states, opts.except ?? ''],
  )
  return Number(r.rows[0]!.n)
}

/**
 * Waits until no delivery job of the outbound postback is queued, scheduled or running, so
 * nothing more can reach the receiver for it: what "nothing else arrives later" means,
 * without sleeping for a guessed while. `except` leaves out one job (one taken by a worker that died).
 */
async function quiet(s: Stack, outboundId: string, except?: string): Promise<void> {
  const pending = () => jobsOf(s, outboundId, ['created', 'retry', 'active'], { except })
  await expect.poll(pending, { timeout: 10_000 }).toBe(0)
}

/** Waits until the conversion's only outbound postback leaves `pending`; @returns its detail. */
async function settled(s: Stack, conversionId: string, state = 'delivered'): Promise<Json> {
  let row: Json | undefined
  await until(`outbound ${state}`, async () => {
    ;[row] = await s.outboundOf(conversionId)
    return row?.state === state
  })
  return s.detail(row!.id)
}

describe.each(['pglite', 'postgres'] as const)('outbound postbacks on %s', (kind) => {
  let s: Stack
  beforeAll(async () => {
    s = await stack(kind, ch)
  })
  afterAll(async () => {
    await s?.close()
  })

  it('a target that fails 3 times then recovers gets exactly one successful delivery, on schedule', async () => {
    const rx = await receiver((n) => (n < 3 ? 503 : 200))
    const src = await s.source(`${rx.base}/pb?cid={external_id}&status={status}`)
    const { conversionId } = await convert(s, src, {}, { external_id: 'ext-1' })
    const d = await settled(s, conversionId)
    await quiet(s, d.id) // nothing else can arrive later
    expect(rx.hits.map((h) => h.status)).toEqual([503, 503, 503, 200])
    expect(rx.delivered()).toBe(1)
    expect(rx.hits[0]!.userAgent).toBe(OUTBOUND_USER_AGENT)
    expect(d).toMatchObject({
      state: 'delivered',
      attempts: 4,
      last_status_code: 200,
      last_error: '',
      status: 'sale',
    })
    expect(d.delivered_at).toBeTruthy()
    expect(d.next_attempt_at).toBeNull()
    expect(d.attempt_log.map((a: Json) => [a.round, a.attempt, a.status_code, a.outcome])).toEqual([
      [0, 1, 503, 'retry'],
      [0, 2, 503, 'retry'],
      [0, 3, 503, 'retry'],
      [0, 4, 200, 'delivered'],
    ])
    expect(d.attempt_log[0].error).toBe('HTTP 503: nope 503')
    // Backoff respected: each request came at least the scheduled delay after the previous one.
    const gaps = rx.hits.slice(1).map((h, i) => h.at - rx.hits[i]!.at)
    const logGaps = d.attempt_log
      .slice(1)
      .map((a: Json, i: number) => Date.parse(a.created_at) - Date.parse(d.attempt_log[i].created_at))
    const expected = [150, 300, 600]
    for (const [i, g] of gaps.entries()) expect(g).toBeGreaterThanOrEqual(expected[i]! - 5)
    for (const [i, g] of logGaps.entries()) expect(g).toBeGreaterThanOrEqual(expected[i]!)
    // …and not absurdly later (workers poll every 25 ms).
    for (const [i, g] of gaps.entries()) expect(g).toBeLessThan(expected[i]! + 1_500)
  })

  it('a target that never recovers ends dead; a manual retry delivers it once', async () => {
    let ok = false
    const rx = await receiver(() => (ok ? 200 : 500))
    const src = await s.source(`${rx.base}/pb?c={click_id}`)
    const { conversionId } = await convert(s, src)
    const dead = await settled(s, conversionId, 'dead')
    expect(dead).toMatchObject({
      attempts: FAST_POLICY.maxAttempts,
      last_status_code: 500,
      manual_retries: 0,
    })
    expect(dead.attempt_log.map((a: Json) => a.outcome)).toEqual(['retry', 'retry', 'retry', 'dead'])
    expect(rx.hits).toHaveLength(4)

    // The dead-letter list.
    const list = await s.api(s.A.apiKey, 'GET', '/outbound-postbacks?state=failed,dead')
    expect(list.body.items.map((i: Json) => i.id)).toContain(dead.id)

    ok = true
    await s.restart({ workers: false }) // keep the retried row pending for the idempotency check
    const r1 = await s.api(s.A.apiKey, 'POST', `/outbound-postbacks/${dead.id}/retry`)
    expect(r1.status).toBe(202)
    expect(r1.body).toMatchObject({ state: 'pending', attempts: 0, manual_retries: 1 })
    // Idempotent while pending: no second round, no second job.
    const r2 = await s.api(s.A.apiKey, 'POST', `/outbound-postbacks/${dead.id}/retry`)
    expect(r2.status).toBe(202)
    expect(r2.body).toMatchObject({ state: 'pending', manual_retries: 1 })
    const queued = await s.h.raw.executeSql(
      `SELECT count(*) AS n FROM pgboss.job WHERE name = $1 AND state = 'created' AND data->>'outbound_id' = $2`,
      [DELIVER_JOB, dead.id],
    )
    expect(Number(queued.rows[0]!.n)).toBe(1)
    await s.restart()
    const done = await settled(s, conversionId)
    await quiet(s, dead.id)
    expect(rx.delivered()).toBe(1)
    expect(rx.hits).toHaveLength(5)
    expect(done.attempt_log.map((a: Json) => [a.round, a.attempt, a.outcome])).toEqual([
      [0, 1, 'retry'],
      [0, 2, 'retry'],
      [0, 3, 'retry'],
      [0, 4, 'dead'],
      [1, 1, 'delivered'],
    ])
    const r3 = await s.api(s.A.apiKey, 'POST', `/outbound-postbacks/${dead.id}/retry`)
    expect(r3).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } })
  })

  it('a 4xx fails for good at once; a retry after fixing the template re-renders the URL', async () => {
    const rx = await receiver((_n, p) => (p === '/good' ? 200 : 404))
    const src = await s.source(`${rx.base}/bad?x={external_id}`)
    const { conversionId } = await convert(s, src, { payout: '3.25' }, { external_id: 'E 1' })
    const failed = await settled(s, conversionId, 'failed')
    expect(failed).toMatchObject({ attempts: 1, last_status_code: 404, next_attempt_at: null })
    expect(failed.attempt_log.map((a: Json) => a.outcome)).toEqual(['failed'])
    await quiet(s, failed.id)
    expect(rx.hits).toHaveLength(1)

    const patch = await s.api(s.A.apiKey, 'PATCH', `/sources/${src}`, {
      postback_url: `${rx.base}/good?x={external_id}&p={payout}`,
    })
    expect(patch.status).toBe(200)
    const r = await s.api(s.A.apiKey, 'POST', `/outbound-postbacks/${failed.id}/retry`)
    expect(r.status).toBe(202)
    expect(r.body.url).toBe(`${rx.base}/good?x=E%201&p=3.25`)
    await settled(s, conversionId)
    expect(rx.hits.map((h) => h.url)).toEqual(['/bad?x=E%201', '/good?x=E%201&p=3.25'])
  })

  it('renders every macro URL-encoded; the token is hidden in the API; each status change is its own postback', async () => {
    const rx = await receiver()
    const tpl =
      `${rx.base}/m?eid={external_id}&p={payout}&rev={revenue}&s={status}&cid={click_id}&camp={campaign_id}` +
      '&conv={conversion_id}&tid={transaction_id}&cur={currency}&s1={sub1}&s10={sub10}&co={country}&token=S3CRET'
    const src = await s.source(tpl)
    const c = s.click(src, { external_id: 'ab c&d=e/é', sub1: 'x y', sub10: '#10', country: 'FR' })
    const lead = await s.postback({
      subid: c.click_id,
      tid: 'MAC-1',
      payout: '1.5',
      status: 'lead',
      currency: 'EUR',
    })
    expect(lead.body.outcome).toBe('accepted')
    const conv = lead.body.conversion_id as string
    await until('lead delivered', () => rx.delivered() === 1)
    const sale = await s.postback({ subid: c.click_id, tid: 'MAC-1', payout: '12.5', status: 'sale' })
    expect(sale.body.outcome).toBe('accepted')
    await until('sale delivered', () => rx.delivered() === 2)
    const rej = await s.postback({ subid: c.click_id, tid: 'MAC-1', status: 'rejected' })
    expect(rej.body.outcome).toBe('accepted')
    await until('rejection delivered', () => rx.delivered() === 3)

    const first = rx.hits[0]!.url
    expect(first).toContain('eid=ab%20c%26d%3De%2F%C3%A9')
    const qs = rx.hits.map((h) => new URL(h.url, rx.base).searchParams)
    expect(Object.fromEntries(qs[0]!)).toEqual({
      eid: 'ab c&d=e/é',
      p: '1.5',
      rev: '1.5',
      s: 'lead',
      cid: c.click_id,
      camp: c.campaign_id,
      conv,
      tid: 'MAC-1',
      cur: 'EUR',
      s1: 'x y',
      s10: '#10',
      co: 'FR',
      token: 'S3CRET',
    })
    expect([qs[1]!.get('s'), qs[1]!.get('p'), qs[1]!.get('rev')]).toEqual(['sale', '12.5', '12.5'])
    // A rejection keeps the payout on record and counts no revenue.
    expect([qs[2]!.get('s'), qs[2]!.get('p'), qs[2]!.get('rev')]).toEqual(['rejected', '12.5', '0'])

    const rows = await s.outboundOf(conv)
    expect(rows.map((r) => [r.status, r.state])).toEqual([
      ['lead', 'delivered'],
      ['sale', 'delivered'],
      ['rejected', 'delivered'],
    ])
    expect(rows[0]!.url).toContain('token=***')
    expect(rows[0]!.url).not.toContain('S3CRET')
    const d = await s.detail(rows[0]!.id)
    expect(d.attempt_log[0].url).toContain('token=***')
    expect(d.attempt_log[0].url).not.toContain('S3CRET')
    // The row keeps the real URL to send.
    const raw = (await s.h.raw.executeSql('SELECT url FROM outbound_postbacks WHERE id = $1', [rows[0]!.id]))
      .rows[0]!
    expect(raw.url).toContain('token=S3CRET')
  })

  it('replayed and concurrent postbacks, a replayed change and duplicate jobs deliver once', async () => {
    const rx = await receiver()
    const src = await s.source(`${rx.base}/once?c={click_id}`)
    const c = s.click(src)
    const params = { subid: c.click_id, tid: 'ONCE-1', payout: '5', status: 'sale' }
    const answers = await Promise.all(Array.from({ length: 10 }, () => s.postback(params)))
    expect(answers.filter((a) => a.body.outcome === 'accepted')).toHaveLength(1)
    expect(answers.filter((a) => a.body.outcome === 'duplicate')).toHaveLength(9)
    const conv = answers[0]!.body.conversion_id as string
    const d = await settled(s, conv)

    // The same conversion change written again (a replay of the outbox write) adds nothing.
    await s.h.db.transaction(async (tx) => {
      const [row] = await tx.select().from(conversions).where(eq(conversions.id, conv))
      const [ev] = await tx.select().from(conversionEvents).where(eq(conversionEvents.conversionId, conv))
      await s.outbound.outbox.write(tx, [
        {
          workspaceId: s.A.workspaceId,
          conversionId: conv,
          eventId: ev!.id,
          event: {
            seq: ev!.seq,
            ts: ev!.ts.getTime(),
            status: 'sale',
            previousStatus: '',
            conversionsDelta: 1,
            revenueDeltaMicros: ev!.revenueDeltaMicros,
            payoutMicros: ev!.payoutMicros,
            currency: ev!.currency,
          },
          conversion: row!,
        },
      ])
    })
    expect(await s.outboundOf(conv)).toHaveLength(1)

    // The first attempt's job again: same key → not enqueued; another key → runs, finds nothing to claim.
    const again = await s.jobs.enqueue(
      DELIVER_JOB,
      { outbound_id: d.id, generation: 0, attempt: 1 },
      {
        key: deliverKey(d.conversion_event_id, 0, 1),
      },
    )
    expect(again).toBeNull()
    const stale0 = s.outbound.stats().stale
    await s.jobs.enqueue(
      DELIVER_JOB,
      { outbound_id: d.id, generation: 0, attempt: 1 },
      { key: 'duplicate-1' },
    )
    await s.jobs.enqueue(
      DELIVER_JOB,
      { outbound_id: d.id, generation: 0, attempt: 2 },
      { key: 'duplicate-2' },
    )
    s.jobs.kick(DELIVER_JOB)
    await until('duplicates handled', () => s.outbound.stats().stale >= stale0 + 2)
    expect(rx.delivered()).toBe(1)
    expect(rx.hits).toHaveLength(1)
  })

  it('an outbox failure rolls the conversion back (503, nothing stored, logged as error)', async () => {
    const src = await s.source('http://127.0.0.1:9/never')
    const failing = createConversionsService({
      db: s.h.db,
      clickhouse: ch,
      recentClicks: s.recentClicks,
      networkCacheMs: 0,
      outbox: {
        async write(tx, changes) {
          await s.outbound.outbox.write(tx, changes) // the row and its job are written…
          throw new Error('outbox down') // …and rolled back with the conversion
        },
      },
    })
    const c = s.click(src)
    const r = await failing.handlePostback({
      method: 'GET',
      rawQuery: `network=${s.networkId}&subid=${c.click_id}&tid=RB-1&status=sale`,
      headers: {},
      ip: '',
    })
    expect(r).toMatchObject({ outcome: 'error', httpStatus: 503 })
    const count = async (q: string) => Number((await s.h.raw.executeSql(q, [c.click_id])).rows[0]!.n)
    expect(await count('SELECT count(*) AS n FROM conversions WHERE click_id = $1')).toBe(0)
    expect(
      await count(
        'SELECT count(*) AS n FROM outbound_postbacks o JOIN conversions c ON c.id = o.conversion_id WHERE c.click_id = $1',
      ),
    ).toBe(0)
    expect(
      await count("SELECT count(*) AS n FROM postback_log WHERE click_id = $1 AND outcome = 'error'"),
    ).toBe(1)
    const jobs = await s.h.raw.executeSql(
      `SELECT count(*) AS n FROM pgboss.job WHERE name = '${DELIVER_JOB}' AND data->>'outbound_id' NOT IN (SELECT id::text FROM outbound_postbacks)`,
    )
    expect(Number(jobs.rows[0]!.n)).toBe(0)
  })

  it('no source, or a source without a postback URL, sends nothing', async () => {
    const src = await s.source(null)
    const { conversionId } = await convert(s, src)
    const none = await convert(s, '')
    // Outbound rows are written in the conversion's own transaction: none now means none ever.
    expect(await s.outboundOf(conversionId)).toEqual([])
    expect(await s.outboundOf(none.conversionId)).toEqual([])
  })

  it('API: workspace isolation and bad input naming the field', async () => {
    const rx = await receiver()
    const src = await s.source(`${rx.base}/iso`)
    const { conversionId } = await convert(s, src)
    const d = await settled(s, conversionId)
    await settled(s, (await convert(s, src)).conversionId)
    const B = await createWorkspaceWithKey(s.h.db)
    const list = await s.api(B.apiKey, 'GET', '/outbound-postbacks')
    expect(list).toMatchObject({ status: 200, body: { items: [], total: 0 } })
    expect((await s.api(B.apiKey, 'GET', `/outbound-postbacks/${d.id}`)).status).toBe(404)
    expect((await s.api(B.apiKey, 'POST', `/outbound-postbacks/${d.id}/retry`)).status).toBe(404)
    expect(
      (await s.api(B.apiKey, 'GET', `/outbound-postbacks?conversion_id=${conversionId}`)).body.total,
    ).toBe(0)
    // A's own list filters.
    const bySource = await s.api(s.A.apiKey, 'GET', `/outbound-postbacks?source_id=${src}&state=delivered`)
    expect(bySource.body.items.map((i: Json) => i.id)).toHaveLength(2)
    expect(bySource.body.items.map((i: Json) => i.id)).toContain(d.id)
    const byConversion = await s.api(s.A.apiKey, 'GET', `/outbound-postbacks?conversion_id=${conversionId}`)
    expect(byConversion.body.items.map((i: Json) => i.id)).toEqual([d.id])
    const none = await s.api(s.A.apiKey, 'GET', `/outbound-postbacks?source_id=${src}&state=pending,dead`)
    expect(none.body.total).toBe(0)
    const page = await s.api(s.A.apiKey, 'GET', '/outbound-postbacks?limit=1&offset=0')
    expect(page.body).toMatchObject({ limit: 1, offset: 0 })
    expect(page.body.items).toHaveLength(1)
    expect(page.body.total).toBeGreaterThan(1)

    for (const [url, field] of [
      ['/outbound-postbacks?state=bogus', 'state'],
      ['/outbound-postbacks?source_id=nope', 'source_id'],
      ['/outbound-postbacks?conversion_id=1', 'conversion_id'],
      ['/outbound-postbacks?limit=0', 'limit'],
      ['/outbound-postbacks/not-a-uuid', 'id'],
    ] as const) {
      const r = await s.api(s.A.apiKey, 'GET', url)
      expect(r.status, url).toBe(400)
      expect(r.body.error.code).toBe('validation_failed')
      expect(r.body.error.details.map((x: Json) => x.path)).toContain(field)
    }
    const bad = await s.api(s.A.apiKey, 'POST', '/outbound-postbacks/not-a-uuid/retry')
    expect(bad.status).toBe(400)
  })
})

describe.each(['pglite', 'postgres'] as const)('outbound postbacks, isolated cases on %s', (kind) => {
  it('SSRF: a private target is refused when not allowed (nothing is sent)', async () => {
    const s = await stack(kind, ch, { allowPrivate: false })
    try {
      const rx = await receiver()
      const src = await s.source(`${rx.base}/private`)
      const { conversionId } = await convert(s, src)
      const d = await settled(s, conversionId, 'failed')
      expect(d.last_error).toMatch(/^blocked: .*non-public address 127\.0\.0\.1/)
      expect(d.attempt_log).toMatchObject([{ outcome: 'failed', status_code: null }])
      expect(rx.hits).toHaveLength(0)
    } finally {
      await s.close()
    }
  })

  it('a restart between attempts delivers once; so does a worker that died mid-attempt', async () => {
    const s = await stack(kind, ch)
    try {
      // Restart between attempts: the scheduled job survives in pg-boss.
      const rx = await receiver((n) => (n < 1 ? 503 : 200))
      const src = await s.source(`${rx.base}/restart`)
      const { conversionId } = await convert(s, src)
      await until('first attempt recorded', () => rx.hits.length === 1)
      await s.restart({ workers: false })
      const [first] = await s.outboundOf(conversionId)
      // The retry falls due while no worker runs.
      await expect
        .poll(() => jobsOf(s, first!.id, ['created', 'retry'], { due: true }), { timeout: 10_000 })
        .toBe(1)
      expect(rx.hits).toHaveLength(1)
      await s.restart()
      const d = await settled(s, conversionId)
      await quiet(s, d.id)
      expect(rx.delivered()).toBe(1)
      expect(d.attempt_log.map((a: Json) => a.outcome)).toEqual(['retry', 'delivered'])

      // A worker takes the first attempt and dies before sending anything: its lease expires
      // and the sweep re-enqueues the attempt for the next process.
      await s.restart({ workers: false })
      const rx2 = await receiver()
      const src2 = await s.source(`${rx2.base}/crash`)
      const second = await convert(s, src2)
      const [row] = await s.outboundOf(second.conversionId)
      const [job] = await s.jobs.boss.fetch(DELIVER_JOB)
      expect(job?.data).toMatchObject({ outbound_id: row!.id, attempt: 1 })
      await s.h.raw.executeSql(
        `UPDATE outbound_postbacks SET attempts = 1, locked_until = now() + interval '300 milliseconds',
           lease_token = gen_random_uuid() WHERE id = $1`,
        [row!.id],
      )
      await s.restart()
      const done = await settled(s, second.conversionId)
      // The dead worker's job stays active until pg-boss expires it; it finds nothing to send then.
      await quiet(s, row!.id, job!.id)
      expect(rx2.delivered()).toBe(1)
      expect(rx2.hits).toHaveLength(1)
      expect(done.attempt_log.map((a: Json) => [a.attempt, a.outcome])).toEqual([[1, 'delivered']])
      expect(s.outbound.stats().swept).toBeGreaterThanOrEqual(1)
    } finally {
      await s.close()
    }
  })
})
