/**
 * Set-based SQL of one postback batch (`postback.committer.ts`): each statement takes the
 * whole batch as ONE `jsonb` parameter unpacked by `jsonb_to_recordset`, so a batch of 500
 * postbacks costs five statements whatever its size, and Drizzle's per-query cost (building
 * the query, PGlite's parser table per query) is paid per batch, not per postback. Same SQL
 * on PostgreSQL and PGlite.
 *
 * Locks are taken in one order everywhere (conversion IDs ascending for existing rows, keys
 * ascending for inserts), so committers in several processes wait on each other instead of
 * deadlocking in the common case; a deadlock that still happens (PostgreSQL aborts one
 * side) is retried by the committer.
 */
import { sql } from 'drizzle-orm'
import { type Db, rowsOf } from '../../platform/db/client.ts'
import type { ConversionEvent, ConversionState } from './conversions.core.ts'
import type { ConversionKey, ConversionRow, PostbackLogInsert } from './conversions.repository.ts'
import { conversionKeyOf } from './postback.batch.core.ts'

const iso = (d: Date | number) => new Date(d).toISOString()

/** A stored row as `SELECT c.*` answers it over either driver (snake_case, bigints as strings or numbers). */
type RawConversion = Record<string, unknown>

function rowOf(r: RawConversion): ConversionRow {
  const date = (v: unknown) => (v instanceof Date ? v : new Date(String(v)))
  const num = (v: unknown) => Number(v)
  const str = (v: unknown) => (v === null || v === undefined ? '' : String(v))
  return {
    id: str(r.id),
    workspaceId: str(r.workspace_id),
    networkId: r.network_id === null ? null : str(r.network_id),
    clickId: str(r.click_id),
    transactionId: str(r.transaction_id),
    status: str(r.status) as ConversionRow['status'],
    seenStatuses: (Array.isArray(r.seen_statuses)
      ? r.seen_statuses
      : parsePgArray(str(r.seen_statuses))) as ConversionRow['seenStatuses'],
    payoutMicros: num(r.payout_micros),
    revenueMicros: num(r.revenue_micros),
    currency: str(r.currency),
    version: num(r.version),
    campaignId: str(r.campaign_id),
    streamId: str(r.stream_id),
    destinationId: str(r.destination_id),
    sourceId: str(r.source_id),
    country: str(r.country),
    device: str(r.device),
    os: str(r.os),
    browser: str(r.browser),
    landerId: str(r.lander_id),
    osVersion: str(r.os_version),
    externalId: str(r.external_id),
    costMicros: num(r.cost_micros),
    clickTs: date(r.click_ts),
    sub1: str(r.sub1),
    sub2: str(r.sub2),
    sub3: str(r.sub3),
    sub4: str(r.sub4),
    sub5: str(r.sub5),
    sub6: str(r.sub6),
    sub7: str(r.sub7),
    sub8: str(r.sub8),
    sub9: str(r.sub9),
    sub10: str(r.sub10),
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  }
}

/** `{a,b}` → ['a','b'] (statuses are plain words, never quoted). */
function parsePgArray(text: string): string[] {
  const inner = text.replace(/^\{|\}$/g, '')
  return inner === '' ? [] : inner.split(',')
}

/**
 * Reads and row-locks (`FOR UPDATE`, conversion IDs ascending) the stored conversions of
 * `keys`, inside the batch's transaction.
 * @returns the rows by {@link conversionKeyOf}.
 */
export async function lockConversions(
  tx: Db,
  keys: readonly ConversionKey[],
): Promise<Map<string, ConversionRow>> {
  const out = new Map<string, ConversionRow>()
  if (keys.length === 0) return out
  const json = JSON.stringify(
    keys.map((k) => ({ network_id: k.networkId, click_id: k.clickId, transaction_id: k.transactionId })),
  )
  // Two arms so each uses its partial unique index (the planner cannot see through `k`).
  const r = await tx.execute(sql`
    WITH k AS (
      SELECT * FROM jsonb_to_recordset(${json}::jsonb) AS x(network_id uuid, click_id text, transaction_id text)
    )
    SELECT c.* FROM conversions c WHERE c.id IN (
      SELECT c2.id FROM k JOIN conversions c2
        ON c2.network_id = k.network_id AND c2.transaction_id = k.transaction_id
       WHERE k.transaction_id <> '' AND c2.transaction_id <> ''
      UNION ALL
      SELECT c2.id FROM k JOIN conversions c2
        ON c2.network_id = k.network_id AND c2.click_id = k.click_id
       WHERE k.transaction_id = '' AND c2.transaction_id = ''
    )
    ORDER BY c.id
    FOR UPDATE`)
  for (const raw of rowsOf<RawConversion>(r)) {
    const row = rowOf(raw)
    out.set(conversionKeyOf(row.networkId ?? '', row.clickId, row.transactionId), row)
  }
  return out
}

/**
 * Inserts new conversions, keys ascending, skipping any whose key (or ID) is taken
 * (`ON CONFLICT DO NOTHING` on the partial unique indexes: a concurrent inserter of the same
 * key makes this wait for that transaction, then skip the row).
 * @returns the IDs actually inserted.
 */
export async function insertConversions(tx: Db, rows: readonly ConversionRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set()
  const sorted = [...rows].sort((a, b) => {
    const ka = conversionKeyOf(a.networkId ?? '', a.clickId, a.transactionId)
    const kb = conversionKeyOf(b.networkId ?? '', b.clickId, b.transactionId)
    return ka < kb ? -1 : ka > kb ? 1 : 0
  })
  const json = JSON.stringify(
    sorted.map((c) => ({
      id: c.id,
      workspace_id: c.workspaceId,
      network_id: c.networkId,
      click_id: c.clickId,
      transaction_id: c.transactionId,
      status: c.status,
      seen_statuses: c.seenStatuses,
      payout_micros: c.payoutMicros,
      revenue_micros: c.revenueMicros,
      currency: c.currency,
      version: c.version,
      campaign_id: c.campaignId,
      stream_id: c.streamId,
      destination_id: c.destinationId,
      source_id: c.sourceId,
      country: c.country,
      device: c.device,
      os: c.os,
      browser: c.browser,
      lander_id: c.landerId,
      os_version: c.osVersion,
      external_id: c.externalId,
      cost_micros: c.costMicros,
      click_ts: iso(c.clickTs),
      sub1: c.sub1,
      sub2: c.sub2,
      sub3: c.sub3,
      sub4: c.sub4,
      sub5: c.sub5,
      sub6: c.sub6,
      sub7: c.sub7,
      sub8: c.sub8,
      sub9: c.sub9,
      sub10: c.sub10,
      created_at: iso(c.createdAt),
      updated_at: iso(c.updatedAt),
    })),
  )
  const cols = sql.raw(
    'id, workspace_id, network_id, click_id, transaction_id, status, seen_statuses, payout_micros, ' +
      'revenue_micros, currency, version, campaign_id, stream_id, destination_id, source_id, country, device, ' +
      'os, browser, lander_id, os_version, external_id, cost_micros, click_ts, sub1, sub2, sub3, sub4, sub5, ' +
      'sub6, sub7, sub8, sub9, sub10, created_at, updated_at',
  )
  const r = await tx.execute(sql`
    INSERT INTO conversions (${cols})
    SELECT ${cols} FROM jsonb_to_recordset(${json}::jsonb) AS x(
      id uuid, workspace_id uuid, network_id uuid, click_id text, transaction_id text, status text,
      seen_statuses text[], payout_micros bigint, revenue_micros bigint, currency text, version integer,
      campaign_id text, stream_id text, destination_id text, source_id text, country text, device text,
      os text, browser text, lander_id text, os_version text, external_id text, cost_micros bigint,
      click_ts timestamptz, sub1 text, sub2 text, sub3 text, sub4 text, sub5 text, sub6 text, sub7 text,
      sub8 text, sub9 text, sub10 text, created_at timestamptz, updated_at timestamptz)
    ON CONFLICT DO NOTHING
    RETURNING id`)
  return new Set(rowsOf<{ id: string }>(r).map((x) => String(x.id)))
}

/** Writes the state after the batch of existing conversions (one `UPDATE … FROM`). */
export async function updateConversions(
  tx: Db,
  changes: readonly { id: string; next: ConversionState }[],
): Promise<void> {
  if (changes.length === 0) return
  const json = JSON.stringify(
    changes.map(({ id, next }) => ({
      id,
      status: next.status,
      seen_statuses: next.seenStatuses,
      payout_micros: next.payoutMicros,
      revenue_micros: next.revenueMicros,
      version: next.version,
      updated_at: iso(next.updatedAt),
    })),
  )
  await tx.execute(sql`
    UPDATE conversions c SET
      status = u.status, seen_statuses = u.seen_statuses, payout_micros = u.payout_micros,
      revenue_micros = u.revenue_micros, version = u.version, updated_at = u.updated_at
    FROM jsonb_to_recordset(${json}::jsonb) AS u(
      id uuid, status text, seen_statuses text[], payout_micros bigint, revenue_micros bigint,
      version integer, updated_at timestamptz)
    WHERE c.id = u.id`)
}

/**
 * Appends accepted changes to the outbox (`conversion_events`), in the given order.
 * @returns each event's ID, by `<conversion id>|<seq>`.
 */
export async function insertConversionEvents(
  tx: Db,
  events: readonly { conversionId: string; workspaceId: string; event: ConversionEvent }[],
): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  if (events.length === 0) return out
  const json = JSON.stringify(
    events.map(({ conversionId, workspaceId, event: e }) => ({
      conversion_id: conversionId,
      workspace_id: workspaceId,
      seq: e.seq,
      ts: iso(e.ts),
      status: e.status,
      previous_status: e.previousStatus,
      conversions_delta: e.conversionsDelta,
      revenue_delta_micros: e.revenueDeltaMicros,
      payout_micros: e.payoutMicros,
      currency: e.currency,
    })),
  )
  const r = await tx.execute(sql`
    INSERT INTO conversion_events (conversion_id, workspace_id, seq, ts, status, previous_status,
      conversions_delta, revenue_delta_micros, payout_micros, currency)
    SELECT conversion_id, workspace_id, seq, ts, status, previous_status, conversions_delta,
      revenue_delta_micros, payout_micros, currency
    FROM jsonb_to_recordset(${json}::jsonb) AS x(conversion_id uuid, workspace_id uuid,
      seq integer, ts timestamptz, status text, previous_status text, conversions_delta smallint,
      revenue_delta_micros bigint, payout_micros bigint, currency text)
    RETURNING id, conversion_id, seq`)
  for (const x of rowsOf<{ id: unknown; conversion_id: unknown; seq: unknown }>(r))
    out.set(`${String(x.conversion_id)}|${Number(x.seq)}`, Number(x.id))
  return out
}

/** Writes postback log rows (one multi-row `INSERT`). */
export async function insertPostbackLogs(tx: Db, logs: readonly PostbackLogInsert[]): Promise<void> {
  if (logs.length === 0) return
  const json = JSON.stringify(
    logs.map((l) => ({
      id: l.id,
      received_at: iso(l.receivedAt),
      workspace_id: l.workspaceId ?? null,
      network_id: l.networkId ?? null,
      method: l.method,
      query: l.query ?? '',
      body: l.body ?? '',
      ip: l.ip ?? '',
      outcome: l.outcome,
      http_status: l.httpStatus,
      reason: l.reason ?? '',
      click_id: l.clickId ?? '',
      transaction_id: l.transactionId ?? '',
      status: l.status ?? '',
      payout_micros: l.payoutMicros ?? null,
      conversion_id: l.conversionId ?? null,
    })),
  )
  await tx.execute(sql`
    INSERT INTO postback_log (id, received_at, workspace_id, network_id, method, query, body, ip, outcome,
      http_status, reason, click_id, transaction_id, status, payout_micros, conversion_id)
    SELECT id, received_at, workspace_id, network_id, method, query, body, ip, outcome, http_status, reason,
      click_id, transaction_id, status, payout_micros, conversion_id
    FROM jsonb_to_recordset(${json}::jsonb) AS x(id uuid, received_at timestamptz, workspace_id uuid,
      network_id uuid, method text, query text, body text, ip text, outcome text, http_status smallint,
      reason text, click_id text, transaction_id text, status text, payout_micros bigint, conversion_id uuid)`)
}
