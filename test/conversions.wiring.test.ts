/**
 * The wiring the server uses, end to end on PGlite + chDB: the sample campaign's redirect
 * (real routing runtime, real click pipeline) produces a click; a postback for it, before the
 * pipeline inserted the click, becomes a conversion enriched from the pipeline's bytes
 * (`recentClicksOf`); after the insert the click is still found there; another node finds
 * it in ClickHouse once the pipeline flushed; the conversion event lands in ClickHouse next
 * to the click.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPipeline, migrateClickHouse, type Pipeline } from '../src/modules/analytics/index.ts'
import { createConversionsService, recentClicksOf } from '../src/modules/conversions/index.ts'
import type { RecentClicks } from '../src/modules/conversions/click.lookup.ts'
import type { ConversionsService } from '../src/modules/conversions/conversions.service.ts'
import {
  createRoutingRuntime,
  type RoutingRuntime,
  SAMPLE_ALIAS,
  seedSample,
} from '../src/modules/routing/index.ts'
import { type ClickHouseHandle, openClickHouse } from '../src/platform/clickhouse.ts'
import { createLogger } from '../src/platform/logger.ts'
import { removeTempDirs, rows, silentLogger, tempDir } from './analytics.helpers.ts'
import type { Json } from './conversions.helpers.ts'
import { createWorkspaceWithKey, testConfig } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

let ch: ClickHouseHandle
let h: Awaited<ReturnType<typeof throwawayDb>>
let pipeline: Pipeline
let runtime: RoutingRuntime
let server: http.Server
let base = ''
let service: ConversionsService
let workspaceId = ''
let recentClicks: RecentClicks

beforeAll(async () => {
  ch = await openClickHouse({ chDir: path.join(tempDir('conv-wire-ch'), 'ch'), database: 'tf_wire' })
  await migrateClickHouse(ch)
  h = await throwawayDb('pglite')
  const A = await createWorkspaceWithKey(h.db)
  workspaceId = A.workspaceId
  await seedSample(h.db, workspaceId, 'http://tf.test')
  pipeline = createPipeline({
    handle: ch,
    spoolDir: tempDir('conv-wire-spool'),
    queueMax: 1000,
    batchSize: 100,
    // Clicks stay queued until a test flushes: the postback below must find its click in
    // the queue, before ClickHouse has it.
    flushMs: 600_000,
    logger: silentLogger,
  })
  recentClicks = recentClicksOf(pipeline)
  runtime = await createRoutingRuntime({
    db: h.db,
    config: testConfig(),
    logger: createLogger('silent'),
    pipeline,
  })
  server = http.createServer((req, res) => runtime.redirect(req, res))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  service = createConversionsService({ db: h.db, clickhouse: ch, recentClicks, networkCacheMs: 0 })
})

afterAll(async () => {
  await new Promise<void>((r) => server?.close(() => r()))
  await runtime?.stop()
  await pipeline?.close()
  await h?.drop()
  await ch?.close()
  removeTempDirs()
})

async function sampleClick(): Promise<string> {
  const res = await fetch(`${base}/c/${SAMPLE_ALIAS}?sub1=kw-7`, {
    redirect: 'manual',
    headers: {
      'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36',
    },
  })
  expect(res.status).toBe(302)
  const clickId = new URL(res.headers.get('location')!).searchParams.get('click_id')
  expect(clickId).toMatch(/^[0-9A-Z]{26}$/)
  return clickId!
}

async function clicksInClickHouse(clickId: string): Promise<number> {
  const [r] = await rows<{ n: string }>(
    ch,
    'SELECT count() AS n FROM tf_wire.clicks WHERE click_id = {id:String}',
    {
      id: clickId,
    },
  )
  return Number(r!.n)
}

async function networkId(): Promise<string> {
  const r = await h.db.execute(
    `INSERT INTO affiliate_networks (workspace_id, name) VALUES ('${workspaceId}', 'wired') RETURNING id`,
  )
  return (r as unknown as { rows: Json[] }).rows[0]!.id
}

describe('sample campaign → postback → conversion', () => {
  it('a postback right after the redirect matches the click from the pipeline queue', async () => {
    const clickId = await sampleClick()
    expect(await clicksInClickHouse(clickId)).toBe(0)
    expect(recentClicks.find(clickId)).toMatchObject({ workspace_id: workspaceId, sub1: 'kw-7' })
    const net = await networkId()
    const r = await service.handlePostback({
      method: 'GET',
      rawQuery: `network=${net}&subid=${clickId}&tid=W1&status=sale`,
      headers: {},
      ip: '203.0.113.1',
    })
    expect(r).toMatchObject({ outcome: 'accepted', httpStatus: 200 })
    const conv = (
      (await h.db.execute(`SELECT * FROM conversions WHERE id = '${r.conversionId}'`)) as unknown as {
        rows: Json[]
      }
    ).rows[0]!
    const click = recentClicks.find(clickId)!
    expect(conv).toMatchObject({
      campaign_id: click.campaign_id,
      destination_id: click.destination_id,
      source_id: click.source_id,
      sub1: 'kw-7',
      currency: 'USD',
    })
    // No payout in the postback: the sample destination's default payout counts.
    expect(Number(conv.revenue_micros)).toBeGreaterThan(0)
    expect(Number(conv.cost_micros)).toBe(click.cost_micros)

    await pipeline.flush()
    // Inserted, and still found without asking ClickHouse (and by ClickHouse).
    expect(await clicksInClickHouse(clickId)).toBe(1)
    expect(recentClicks.find(clickId)).toMatchObject({ sub1: 'kw-7' })
    expect(await service.findClick(workspaceId, clickId)).toMatchObject({ sub1: 'kw-7' })
    await service.syncPendingConversionEvents()
    const [joined] = await rows<Json>(
      ch,
      `SELECT c.campaign_id AS campaign_id, c.revenue_delta_micros AS revenue, k.cost_micros AS cost
       FROM tf_wire.conversions AS c INNER JOIN tf_wire.clicks AS k ON k.click_id = c.click_id
       WHERE c.workspace_id = {ws:String}`,
      { ws: workspaceId },
    )
    expect(joined).toMatchObject({ campaign_id: click.campaign_id })
    expect(Number(joined!.revenue)).toBe(Number(conv.revenue_micros))
  })

  it('another node (no pipeline) finds the click in ClickHouse after the pipeline flushed', async () => {
    const clickId = await sampleClick()
    const net = await networkId()
    const otherNode = createConversionsService({ db: h.db, clickhouse: ch, networkCacheMs: 0 })
    const query = `network=${net}&subid=${clickId}&tid=W2&payout=3&status=lead`
    const early = await otherNode.handlePostback({ method: 'GET', rawQuery: query, headers: {}, ip: '' })
    // Not yet in ClickHouse: 404 so the network retries.
    if (early.outcome !== 'accepted')
      expect(early).toMatchObject({ outcome: 'unknown_click', httpStatus: 404 })
    await pipeline.flush()
    const retry = await otherNode.handlePostback({ method: 'GET', rawQuery: query, headers: {}, ip: '' })
    expect(['accepted', 'duplicate']).toContain(retry.outcome)
    expect(retry.conversionId).toBeTruthy()
  })
})
