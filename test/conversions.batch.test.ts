/**
 * Postbacks by group commit (`postback.committer.ts`), on PGlite and PostgreSQL:
 * - random interleavings of duplicate, out-of-order and concurrent postbacks sent through two
 *   committers (on PostgreSQL two services with their own connection pools, i.e. concurrent
 *   transactions in separate backends) store exactly the conversions and revenue of applying
 *   them one by one (fast-check);
 * - lead → sale → replay inside one batch; a poisoned row fails only itself (the batch is
 *   re-run row by row); a full queue answers 503 with Retry-After and writes nothing; the
 *   outbox's `committed` runs only after a batch that enqueued work;
 * - the plain node:http handler: GET, POST, HEAD/PUT 405, 413, X-Forwarded-For from a
 *   trusted proxy only.
 */
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrateClickHouse } from '../src/modules/analytics/index.ts'
import {
  type ConversionOutbox,
  createConversionsService,
  createPostbackHttpHandler,
} from '../src/modules/conversions/index.ts'
import type { ConversionsService } from '../src/modules/conversions/conversions.service.ts'
import { resetSync as resetConversionSync } from '../src/modules/conversions/conversions.repository.ts'
import { type ClickHouseHandle, openClickHouse } from '../src/platform/clickhouse.ts'
import { type DbHandle, openDb } from '../src/platform/db/client.ts'
import { removeTempDirs, tempDir } from './analytics.helpers.ts'
import { type Fixture, fixture, type Json } from './conversions.helpers.ts'
import {
  expandSteps,
  expectedConversions,
  interleavingScenario,
  M,
  postbackParams,
  readStored,
  serialOrderProblems,
  storedConversions,
} from './conversions.interleavings.ts'
import { ROOT } from './helpers/server.ts'

let ch: ClickHouseHandle

beforeAll(async () => {
  ch = await openClickHouse({ chDir: path.join(tempDir('conv-batch-ch'), 'ch'), database: 'tf_batch' })
  await migrateClickHouse(ch)
})
afterAll(async () => {
  await ch?.close()
  removeTempDirs()
})

describe.each(['pglite', 'postgres'] as const)('group commit on %s', (kind) => {
  let f: Fixture
  let net: Json
  let second: DbHandle | undefined
  const secret = 'b4tch-s3cret'
  const q = (params: Record<string, string>) =>
    new URLSearchParams({ network: net.id, secret, ...params }).toString()
  const services: ConversionsService[] = []
  /** A service on `db` with a warm network cache (so concurrent calls reach the queue in one turn). */
  const service = (opts: Partial<Parameters<typeof createConversionsService>[0]> = {}) => {
    const s = createConversionsService({
      db: f.h.db,
      clickhouse: ch,
      recentClicks: f.recentClicks,
      networkCacheMs: 60_000,
      ...opts,
    })
    services.push(s)
    return s
  }
  /** Fills the service's network cache (a malformed postback), so the next calls queue in one turn. */
  const warm = async (s: ConversionsService) => {
    expect((await send(s, { subid: 'warm-up' })).outcome).toBe('malformed')
    return s
  }
  const send = (s: ConversionsService, params: Record<string, string>) =>
    s.handlePostback({ method: 'GET', rawQuery: q(params), headers: {}, ip: '10.0.0.1' })
  const scalar = async (text: string, values: unknown[] = []) =>
    Number(Object.values((await f.h.raw.executeSql(text, values)).rows[0] ?? {})[0] ?? 0)

  beforeAll(async () => {
    f = await fixture(kind, ch, { TRUSTED_PROXIES: '127.0.0.1' })
    net = await f.network(f.A.apiKey, { postback_secret: secret })
    if (kind === 'postgres') second = await openDb({ databaseUrl: f.h.url!, pgDir: '' })
  })
  afterAll(async () => {
    for (const s of services) await s.stop()
    await second?.close()
    await f?.close()
  })

  it('random interleavings across two committers store the conversions and revenue of one-by-one application (property)', async () => {
    const a = await warm(service({ batchMax: 8 }))
    const b = await warm(service({ batchMax: 8, ...(second ? { db: second.db } : {}) }))
    // Scenario, reference and checks shared with the two-process test (conversions.interleavings.ts).
    let run = 0
    const allClicks: string[] = []
    await fc.assert(
      fc.asyncProperty(interleavingScenario(), async (steps) => {
        run++
        const clicks = [0, 1, 2].map(() => f.click(f.A.workspaceId).click_id)
        allClicks.push(...clicks)
        const sends = expandSteps(steps, clicks, net.id, `R${run}`)
        // The outbox sync runs alongside: a claimed range must never gain a late event.
        const syncing = Promise.all([a.syncPendingConversionEvents(), b.syncPendingConversionEvents()])
        const answers = await Promise.all(sends.map((x) => send(x.first ? a : b, postbackParams(x))))
        expect(answers.filter((r) => r.httpStatus >= 500)).toEqual([])
        await syncing

        const stored = await readStored(f.h.raw, clicks)
        // The conversions of one-by-one application (in generation order, through the pure
        // rules); their events and every answer those of one serial order; every log row.
        const expected = expectedConversions(sends)
        expect(storedConversions(stored)).toEqual(expected)
        expect(
          serialOrderProblems(
            sends,
            answers.map((r) => r.outcome),
            stored,
          ),
        ).toEqual([])
        expect(stored.events.length).toBe(answers.filter((r) => r.outcome === 'accepted').length)
        expect(stored.logRows).toBe(sends.length)
      }),
      { numRuns: kind === 'postgres' ? 12 : 8 },
    )
    expect(a.stats().batches.maxBatch + b.stats().batches.maxBatch).toBeGreaterThan(2)
    // Every event reached ClickHouse exactly once.
    await a.syncPendingConversionEvents()
    await b.syncPendingConversionEvents()
    const pgEvents = await scalar(
      `SELECT count(*) FROM conversion_events e JOIN conversions c ON c.id = e.conversion_id WHERE c.click_id = ANY($1)`,
      [allClicks],
    )
    const rs = await ch.client.query({
      query: `SELECT count() AS n, uniqExact(conversion_id, seq) AS u FROM tf_batch.conversions WHERE has({ids:Array(String)}, click_id)`,
      query_params: { ids: allClicks },
      format: 'JSONEachRow',
    })
    const [chCount] = await rs.json<Json>()
    expect([Number(chCount!.n), Number(chCount!.u)]).toEqual([pgEvents, pgEvents])
  }, 120_000)

  it('decides lead → sale → replay inside one batch in arrival order', async () => {
    const s = await warm(service())
    const c = f.click(f.A.workspaceId)
    const before = s.stats().batches.batches
    const answers = await Promise.all([
      send(s, { subid: c.click_id, tid: 'IN-1', status: 'lead', payout: '1' }),
      send(s, { subid: c.click_id, tid: 'IN-1', status: 'sale', payout: '9' }),
      send(s, { subid: c.click_id, tid: 'IN-1', status: 'sale', payout: '9' }),
      send(s, { subid: c.click_id, tid: 'IN-1', status: 'lead', payout: '1' }),
    ])
    expect(answers.map((r) => r.outcome)).toEqual(['accepted', 'accepted', 'duplicate', 'duplicate'])
    expect(s.stats().batches.batches - before).toBe(1)
    const [row] = (await f.h.raw.executeSql(`SELECT * FROM conversions WHERE transaction_id = 'IN-1'`)).rows
    expect(row).toMatchObject({ status: 'sale', version: 2 })
    expect(Number(row!.revenue_micros)).toBe(9 * M)
    const seqs = (
      await f.h.raw.executeSql(`SELECT seq FROM conversion_events WHERE conversion_id = $1 ORDER BY seq`, [
        row!.id,
      ])
    ).rows.map((r) => Number(r.seq))
    expect(seqs).toEqual([1, 2])
  })

  it('a batch that is not full lingers for more postbacks; a full one starts at once', async () => {
    const s = await warm(service({ batchLingerMs: 300, batchMax: 3 }))
    const c = Array.from({ length: 5 }, () => f.click(f.A.workspaceId))
    const before = s.stats().batches.batches
    const at = (i: number) => send(s, { subid: c[i]!.click_id, tid: `L-${i}`, status: 'sale', payout: '1' })
    // Two postbacks 20 ms apart share one batch (the first waited for the second)…
    const first = at(0)
    await new Promise((r) => setTimeout(r, 20))
    await Promise.all([first, at(1)])
    expect(s.stats().batches.batches - before).toBe(1)
    // …and three at once fill a batch, which does not wait the 300 ms.
    const t0 = performance.now()
    await Promise.all([at(2), at(3), at(4)])
    expect(performance.now() - t0).toBeLessThan(250)
    expect(s.stats().batches.batches - before).toBe(2)
  })

  it('a poisoned row fails only itself: the batch is re-run row by row', async () => {
    const clicks = Array.from({ length: 12 }, () => f.click(f.A.workspaceId))
    const poison = clicks[5]!.click_id
    let committed = 0
    const outbox: ConversionOutbox = {
      async write(_tx, changes) {
        if (changes.some((c) => c.conversion.clickId === poison)) throw new Error('poisoned row')
        return changes.length > 0
      },
      committed: () => {
        committed++
      },
    }
    const s = await warm(service({ outbox }))
    const answers = await Promise.all(
      clicks.map((c, i) => send(s, { subid: c.click_id, tid: `P-${i}`, status: 'sale', payout: '2' })),
    )
    expect(answers.map((r) => r.httpStatus)).toEqual(clicks.map((_, i) => (i === 5 ? 503 : 200)))
    expect(s.stats().batches.fallbacks).toBe(1)
    expect(await scalar(`SELECT count(*) FROM conversions WHERE transaction_id LIKE 'P-%'`)).toBe(11)
    // The poisoned postback is logged as an error, without a conversion.
    const log = (await f.h.raw.executeSql(`SELECT * FROM postback_log WHERE click_id = $1`, [poison])).rows
    expect(log).toMatchObject([{ outcome: 'error', conversion_id: null }])
    // `committed` ran after the batches that enqueued (the 11 single-row re-runs), never for nothing.
    expect(committed).toBe(11)
  })

  it('an outbox that enqueued nothing is not told to wake its queue', async () => {
    let committed = 0
    const s = service({
      outbox: { write: async () => false, committed: () => void committed++ },
    })
    const c = f.click(f.A.workspaceId)
    const r = await send(s, { subid: c.click_id, tid: 'NOKICK', status: 'sale', payout: '1' })
    expect(r.outcome).toBe('accepted')
    expect(committed).toBe(0)
  })

  it('a full queue answers 503 with Retry-After and writes nothing for the refused', async () => {
    const s = await warm(service({ queueMax: 3 }))
    const clicks = Array.from({ length: 10 }, () => f.click(f.A.workspaceId))
    const answers = await Promise.all(
      clicks.map((c, i) => send(s, { subid: c.click_id, tid: `Q-${i}`, status: 'sale', payout: '1' })),
    )
    const busy = answers.filter((r) => r.httpStatus === 503)
    expect(answers.filter((r) => r.outcome === 'accepted')).toHaveLength(3)
    expect(busy).toHaveLength(7)
    for (const r of busy) expect(r).toMatchObject({ outcome: 'error', retryAfterSeconds: 1, logId: '' })
    expect(s.stats().batches.overloaded).toBe(7)
    expect(await scalar(`SELECT count(*) FROM conversions WHERE transaction_id LIKE 'Q-%'`)).toBe(3)
    expect(await scalar(`SELECT count(*) FROM postback_log WHERE transaction_id LIKE 'Q-%'`)).toBe(3)
  })

  it('the outbox sync writes every ClickHouse column from the stored conversion and event', async () => {
    const s = await warm(service())
    const c = f.click(f.A.workspaceId, {
      lander_id: 'lander-9',
      os_version: '17.4',
      external_id: 'ext "quoted" \\ ü',
      sub3: 'kw ünïcode',
      sub10: 's10',
    })
    const answers = [
      await send(s, { subid: c.click_id, tid: 'CH-1', status: 'lead', payout: '1.25' }),
      await send(s, { subid: c.click_id, tid: 'CH-1', status: 'sale', payout: '7.5' }),
    ]
    expect(answers.map((r) => r.outcome)).toEqual(['accepted', 'accepted'])
    await s.syncPendingConversionEvents()
    const [conv] = (await f.h.raw.executeSql(`SELECT * FROM conversions WHERE transaction_id = 'CH-1'`)).rows
    const events = (
      await f.h.raw.executeSql(`SELECT * FROM conversion_events WHERE conversion_id = $1 ORDER BY seq`, [
        conv!.id,
      ])
    ).rows
    const rs = await ch.client.query({
      query: `SELECT *, toUnixTimestamp64Milli(ts) AS ts_ms, toUnixTimestamp64Milli(click_ts) AS click_ms
                FROM tf_batch.conversions WHERE conversion_id = {id:String} ORDER BY seq`,
      query_params: { id: conv!.id },
      format: 'JSONEachRow',
    })
    const chRows = await rs.json<Json>()
    expect(chRows).toHaveLength(2)
    const text = [
      'click_id',
      'workspace_id',
      'campaign_id',
      'stream_id',
      'destination_id',
      'source_id',
      'country',
    ]
      .concat([
        'device',
        'os',
        'browser',
        'lander_id',
        'os_version',
        'external_id',
        'transaction_id',
        'currency',
      ])
      .concat(Array.from({ length: 10 }, (_, i) => `sub${i + 1}`))
    chRows.forEach((row, i) => {
      const e = events[i]!
      for (const k of text)
        expect([k, String(row[k])]).toEqual([k, String(k === 'currency' ? e.currency : conv![k])])
      expect(row).toMatchObject({
        conversion_id: conv!.id,
        network_id: net.id,
        seq: Number(e.seq),
        status: e.status,
        previous_status: e.previous_status,
      })
      expect(Number(row.conversions_delta)).toBe(Number(e.conversions_delta))
      expect(Number(row.revenue_delta_micros)).toBe(Number(e.revenue_delta_micros))
      expect(Number(row.payout_micros)).toBe(Number(e.payout_micros))
      expect(Number(row.ts_ms)).toBe(new Date(e.ts as string).getTime())
      expect(Number(row.click_ms)).toBe(c.ts)
    })
    expect(chRows.map((r) => Number(r.revenue_delta_micros))).toEqual([1.25 * M, 6.25 * M])
    expect(conv).toMatchObject({
      lander_id: 'lander-9',
      os_version: '17.4',
      sub3: 'kw ünïcode',
      sub10: 's10',
    })
  })

  it('migration 0013 hands events of the earlier per-event protocol over: unsynced ones sent once, synced ones never', async () => {
    const s = await warm(service({ syncLeaseMs: 0 }))
    await s.syncPendingConversionEvents() // everything before this test is in ClickHouse
    const clicks = Array.from({ length: 4 }, () => f.click(f.A.workspaceId))
    const send4 = async (i: number) =>
      (await send(s, { subid: clicks[i]!.click_id, tid: `MIG-${i}`, status: 'sale', payout: '1' }))
        .conversionId!
    const ids = [await send4(0), await send4(1), await send4(2)]
    // The state the earlier protocol left: MIG-0 synced, MIG-1 claimed but not synced, MIG-2 never claimed.
    await f.h.raw.executeSql(`DELETE FROM conversion_sync_batches WHERE synced_at IS NULL OR events = 0`)
    const set = (id: string, batch: string | null, synced: boolean) =>
      f.h.raw.executeSql(
        `UPDATE conversion_events SET batch_id = $2, batched_at = CASE WHEN $2::uuid IS NULL THEN NULL ELSE now() - interval '1 hour' END,
           synced_at = CASE WHEN $3 THEN now() ELSE NULL END WHERE conversion_id = $1`,
        [id, batch, synced],
      )
    await set(ids[0]!, randomUUID(), true) // tokens are per batch ID: unique per run
    await set(ids[1]!, randomUUID(), false)
    await set(ids[2]!, null, false)
    // The data step of the migration (its last two statements), as it ran on upgrade.
    const migration = readFileSync(path.join(ROOT, 'drizzle/0013_outbox_batches.sql'), 'utf8')
    const steps = migration.split('--> statement-breakpoint').slice(-2)
    await f.h.raw.executeSql(`DELETE FROM conversion_sync_batches WHERE events = 0`)
    for (const step of steps) await f.h.raw.executeSql(step)
    ids.push(await send4(3)) // the new protocol: a range batch

    const inCh = async () => {
      const rs = await ch.client.query({
        query: `SELECT transaction_id, count() AS n FROM tf_batch.conversions
                WHERE transaction_id LIKE 'MIG-%' AND workspace_id = {ws:String}
                GROUP BY transaction_id ORDER BY transaction_id`,
        query_params: { ws: f.A.workspaceId },
        format: 'JSONEachRow',
      })
      return (await rs.json<Json>()).map((r) => [r.transaction_id, Number(r.n)])
    }
    await s.syncPendingConversionEvents()
    const expected = [
      ['MIG-1', 1],
      ['MIG-2', 1],
      ['MIG-3', 1],
    ]
    expect(await inCh()).toEqual(expected)
    expect(
      await scalar(
        `SELECT count(*) FROM conversion_events WHERE conversion_id = ANY($1) AND batch_id IS NOT NULL AND synced_at IS NULL`,
        [ids],
      ),
    ).toBe(0)
    // Re-sending everything (resetSync, e.g. for a re-created ClickHouse table) keeps each
    // batch's token: the ones ClickHouse has stay once; MIG-0, which this test never let
    // reach ClickHouse, is restored — once.
    expect(await resetConversionSync(f.h.db)).toBeGreaterThanOrEqual(4)
    await s.syncPendingConversionEvents()
    expect(await inCh()).toEqual([['MIG-0', 1], ...expected])
    // The admin API shows each event's sync time, whichever protocol sent it.
    for (const id of ids.slice(1)) {
      const d = await f.api(f.A.apiKey, 'GET', `/conversions/${id}`)
      expect(d.body.events.map((e: Json) => e.synced_at !== null)).toEqual([true])
    }
  })

  it('the plain node:http handler answers like the Fastify route', async () => {
    const s = service()
    const server = http.createServer(
      createPostbackHttpHandler({ service: s }, { trustedProxies: '127.0.0.1' }),
    )
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as AddressInfo).port
    const call = (
      method: string,
      pathAndQuery: string,
      body?: string,
      headers: Record<string, string> = {},
    ) =>
      fetch(`http://127.0.0.1:${port}${pathAndQuery}`, { method, headers, ...(body ? { body } : {}) }).then(
        async (r) => ({ status: r.status, headers: r.headers, text: await r.text() }),
      )
    try {
      const c1 = f.click(f.A.workspaceId)
      const g = await call(
        'GET',
        `/postback?${q({ subid: c1.click_id, tid: 'H-1', payout: '3' })}`,
        undefined,
        {
          'x-forwarded-for': '203.0.113.7',
        },
      )
      expect(g.status).toBe(200)
      expect(JSON.parse(g.text)).toMatchObject({ outcome: 'accepted' })
      expect(g.headers.get('cache-control')).toBe('no-store')
      const [log] = (await f.h.raw.executeSql(`SELECT ip FROM postback_log WHERE transaction_id = 'H-1'`))
        .rows
      expect(log!.ip).toBe('203.0.113.7')

      const c2 = f.click(f.A.workspaceId)
      const p = await call(
        'POST',
        `/postback?network=${net.id}`,
        JSON.stringify({ secret, subid: c2.click_id, tid: 'H-2', status: 'lead' }),
        { 'content-type': 'application/json' },
      )
      expect(p.status).toBe(200)
      expect(JSON.parse(p.text)).toMatchObject({ outcome: 'accepted' })

      const bad = await call(
        'GET',
        `/postback?${q({ subid: c2.click_id, tid: 'H-3' })}`.replace(secret, 'nope'),
      )
      expect(bad.status).toBe(403)
      expect(JSON.parse(bad.text)).toMatchObject({ error: { code: 'bad_secret' } })

      const head = await call('HEAD', `/postback?${q({ subid: c2.click_id, tid: 'H-4' })}`)
      expect(head.status).toBe(405)
      expect(head.headers.get('allow')).toBe('GET, POST')
      expect((await call('PUT', '/postback', '{}')).status).toBe(405)
      const big = await call('POST', `/postback?network=${net.id}`, 'x'.repeat(70 * 1024))
      expect(big.status).toBe(413)
      expect(await scalar(`SELECT count(*) FROM postback_log WHERE transaction_id IN ('H-3', 'H-4')`)).toBe(1)
    } finally {
      await new Promise((r) => server.close(r))
    }
  })
})
