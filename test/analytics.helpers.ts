/**
 * Shared fixtures for the analytics tests: event factories, a silent logger, temp dirs and
 * small ClickHouse query helpers.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { ClickHouseHandle } from '../src/platform/clickhouse.ts'
import type { ClickEvent, TrafficbackEvent } from '../src/modules/analytics/index.ts'

/** A logger that drops everything (the pipeline logs warnings on purpose in tests). */
export const silentLogger = { info() {}, warn() {}, error() {} } as never

const created: string[] = []

/** A fresh temporary directory, removed by {@link removeTempDirs}. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `tf-${prefix}-`))
  created.push(dir)
  return dir
}

/** Removes every directory made by {@link tempDir} in this process (call after closing chDB). */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/** A click with every field filled; override what the test cares about. */
export function click(over: Partial<ClickEvent> & { click_id: string }): ClickEvent {
  return {
    type: 'click',
    ts: Date.parse('2024-06-01T12:00:00Z'),
    workspace_id: 'ws-test',
    campaign_id: 'camp-1',
    stream_id: 'stream-1',
    destination_id: 'dest-1',
    source_id: 'src-1',
    is_unique: 1,
    is_bot: 0,
    ip: '203.0.113.7',
    country: 'DE',
    language: 'de',
    device: 'desktop',
    os: 'Linux',
    os_version: '',
    browser: 'Chrome',
    user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0',
    referrer: 'https://example.com/',
    user_key: 'uk-1',
    cost_micros: 1500,
    currency: 'USD',
    external_id: '',
    sub1: 'a',
    sub2: '',
    sub3: '',
    sub4: '',
    sub5: '',
    sub6: '',
    sub7: '',
    sub8: '',
    sub9: '',
    sub10: '',
    utm_source: '',
    utm_medium: '',
    utm_campaign: '',
    utm_term: '',
    utm_content: '',
    source: 'ts',
    destination_url: 'https://offer.example.com/?cid=x',
    lander_id: '',
    ...over,
  }
}

/** A trafficback event with every field filled. */
export function trafficback(over: Partial<TrafficbackEvent> & { click_id: string }): TrafficbackEvent {
  return {
    type: 'trafficback',
    ts: Date.parse('2024-06-01T12:00:00Z'),
    workspace_id: 'ws-test',
    campaign_id: 'camp-1',
    reason: 'no stream matched',
    target_type: 'url',
    target: 'https://fallback.example.com/',
    hops: 0,
    is_bot: 0,
    ip: '203.0.113.8',
    country: 'FR',
    device: 'mobile',
    user_agent: 'Mozilla/5.0 (iPhone)',
    referrer: '',
    source: 'ts',
    ...over,
  }
}

/** Runs `query` (with `{ws:String}` bound to `ws`) and returns the JSON rows. */
export async function rows<T = Record<string, unknown>>(
  h: ClickHouseHandle,
  query: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const rs = await h.client.query({ query, format: 'JSONEachRow', query_params: params })
  return rs.json<T>()
}

/** `{n: count(), u: uniqExact(click_id)}` of `table` for workspace `ws`, as numbers. */
export async function countIn(
  h: ClickHouseHandle,
  table: string,
  ws: string,
): Promise<{ n: number; u: number }> {
  const [r] = await rows<{ n: string; u: string }>(
    h,
    `SELECT count() AS n, uniqExact(click_id) AS u FROM ${h.database}.${table} WHERE workspace_id = {ws:String}`,
    { ws },
  )
  return { n: Number(r?.n ?? 0), u: Number(r?.u ?? 0) }
}
