/**
 * Drizzle tables of the conversions module: conversions, their change events (the outbox
 * towards ClickHouse) and the postback log. Money in micros.
 */
import { sql } from 'drizzle-orm'
import {
  bigint,
  bigserial,
  index,
  integer,
  pgTable,
  smallint,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import { ms } from '../../platform/db/columns.ts'
import { workspaceRef, workspaces } from '../accounts/index.ts'
import { affiliateNetworks } from '../routing/index.ts'
import { CONVERSION_STATUSES, type ConversionStatus, POSTBACK_OUTCOMES } from './conversions.core.ts'

/**
 * Conversions (module `conversions`): one row per (network, transaction ID), or per
 * (network, click ID) when the network sends no transaction ID — the two partial unique
 * indexes make a concurrent duplicate postback a no-op `INSERT … ON CONFLICT DO NOTHING`.
 * Click fields are copied from the click at creation and never change. Money in micros.
 */
export const conversions = pgTable(
  'conversions',
  {
    id: uuid('id').primaryKey(),
    workspaceId: workspaceRef(),
    // Money history outlives the network's configuration row.
    networkId: uuid('network_id').references(() => affiliateNetworks.id, { onDelete: 'set null' }),
    clickId: text('click_id').notNull(),
    /** '' when the network sent none (then the conversion is keyed by click ID). */
    transactionId: text('transaction_id').notNull().default(''),
    status: text('status', { enum: CONVERSION_STATUSES }).notNull(),
    /** Every status accepted so far, in order (a replay of any of them is a duplicate). */
    seenStatuses: text('seen_statuses').array().$type<ConversionStatus[]>().notNull(),
    /** Payout of the last accepted non-rejected status, micros of `currency`. */
    payoutMicros: bigint('payout_micros', { mode: 'number' }).notNull(),
    /** Revenue counted now: `payout_micros`, or 0 when rejected. */
    revenueMicros: bigint('revenue_micros', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    /** 1 at creation, +1 per accepted change (= the seq of its latest event). */
    version: integer('version').notNull().default(1),
    campaignId: text('campaign_id').notNull().default(''),
    streamId: text('stream_id').notNull().default(''),
    destinationId: text('destination_id').notNull().default(''),
    sourceId: text('source_id').notNull().default(''),
    country: text('country').notNull().default(''),
    device: text('device').notNull().default(''),
    os: text('os').notNull().default(''),
    browser: text('browser').notNull().default(''),
    /** The lander the visitor saw before the offer ('' = straight to the offer). */
    landerId: text('lander_id').notNull().default(''),
    osVersion: text('os_version').notNull().default(''),
    externalId: text('external_id').notNull().default(''),
    /** The click's cost, micros of the click's currency. */
    costMicros: bigint('cost_micros', { mode: 'number' }).notNull().default(0),
    clickTs: ms('click_ts').notNull(),
    sub1: text('sub1').notNull().default(''),
    sub2: text('sub2').notNull().default(''),
    sub3: text('sub3').notNull().default(''),
    sub4: text('sub4').notNull().default(''),
    sub5: text('sub5').notNull().default(''),
    sub6: text('sub6').notNull().default(''),
    sub7: text('sub7').notNull().default(''),
    sub8: text('sub8').notNull().default(''),
    sub9: text('sub9').notNull().default(''),
    sub10: text('sub10').notNull().default(''),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('conversions_network_tid')
      .on(t.networkId, t.transactionId)
      .where(sql`${t.transactionId} <> ''`),
    uniqueIndex('conversions_network_click').on(t.networkId, t.clickId).where(sql`${t.transactionId} = ''`),
    index('conversions_ws_created').on(t.workspaceId, t.createdAt),
    index('conversions_ws_click').on(t.workspaceId, t.clickId),
  ],
)

/**
 * Accepted conversion changes (the outbox towards ClickHouse): written in the same
 * transaction as the conversion, then inserted into ClickHouse in batches described by one
 * bookkeeping row each ({@link conversionSyncBatches}: a fixed range of event IDs). The
 * per-event `batch_id` / `batched_at` / `synced_at` columns belong to the earlier protocol
 * (one UPDATE per event to claim it and one to mark it): events written before migration
 * 0013 keep them until they are synced; newer events leave them null.
 */
export const conversionEvents = pgTable(
  'conversion_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    conversionId: uuid('conversion_id')
      .notNull()
      .references(() => conversions.id, { onDelete: 'cascade' }),
    workspaceId: workspaceRef(),
    seq: integer('seq').notNull(),
    ts: ms('ts').notNull(),
    status: text('status').notNull(),
    /** '' for the creation event. */
    previousStatus: text('previous_status').notNull().default(''),
    /** +1 creation, 0 status change. */
    conversionsDelta: smallint('conversions_delta').notNull(),
    revenueDeltaMicros: bigint('revenue_delta_micros', { mode: 'number' }).notNull(),
    payoutMicros: bigint('payout_micros', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    /** Earlier protocol only (see above). */
    batchId: uuid('batch_id'),
    batchedAt: ms('batched_at'),
    syncedAt: ms('synced_at'),
  },
  (t) => [
    uniqueIndex('conversion_events_conv_seq').on(t.conversionId, t.seq),
    index('conversion_events_legacy_unsynced')
      .on(t.batchId)
      .where(sql`${t.batchId} IS NOT NULL AND ${t.syncedAt} IS NULL`),
  ],
)

/**
 * One row per batch of conversion events sent to ClickHouse: the events with IDs
 * `first_event_id..last_event_id` (inclusive), claimed once and never changed, so every
 * retry re-sends the same rows with the same deduplication token (`conversions:<id>`);
 * `synced_at` marks the batch done. Ranges follow each other without gaps or overlaps
 * (see `claimSyncBatch`). The row written by migration 0013 with `events = 0` covers the
 * events of the earlier protocol and is never sent.
 */
export const conversionSyncBatches = pgTable(
  'conversion_sync_batches',
  {
    id: uuid('id').primaryKey(),
    firstEventId: bigint('first_event_id', { mode: 'number' }).notNull(),
    lastEventId: bigint('last_event_id', { mode: 'number' }).notNull(),
    events: integer('events').notNull(),
    claimedAt: ms('claimed_at').notNull(),
    syncedAt: ms('synced_at'),
  },
  (t) => [
    uniqueIndex('conversion_sync_batches_last').on(t.lastEventId),
    index('conversion_sync_batches_unsynced').on(t.claimedAt).where(sql`${t.syncedAt} IS NULL`),
  ],
)

/**
 * Every inbound postback request with its outcome (module `conversions`). `workspace_id`
 * and `network_id` are null when the network is unknown. Query and body are stored with
 * the secret redacted and truncated (2 KiB / 4 KiB).
 */
export const postbackLog = pgTable(
  'postback_log',
  {
    id: uuid('id').primaryKey(),
    receivedAt: ms('received_at').notNull(),
    workspaceId: uuid('workspace_id').references(() => workspaces.id, { onDelete: 'cascade' }),
    networkId: uuid('network_id').references(() => affiliateNetworks.id, { onDelete: 'set null' }),
    method: text('method').notNull(),
    query: text('query').notNull().default(''),
    body: text('body').notNull().default(''),
    ip: text('ip').notNull().default(''),
    outcome: text('outcome', { enum: POSTBACK_OUTCOMES }).notNull(),
    httpStatus: smallint('http_status').notNull(),
    reason: text('reason').notNull().default(''),
    clickId: text('click_id').notNull().default(''),
    transactionId: text('transaction_id').notNull().default(''),
    /** Mapped status ('' when parsing failed before it). */
    status: text('status').notNull().default(''),
    payoutMicros: bigint('payout_micros', { mode: 'number' }),
    conversionId: uuid('conversion_id').references(() => conversions.id, { onDelete: 'set null' }),
  },
  (t) => [
    index('postback_log_ws_received').on(t.workspaceId, t.receivedAt),
    index('postback_log_ws_click').on(t.workspaceId, t.clickId),
    /** Retention: the oldest rows of every workspace (and of none) first. */
    index('postback_log_received').on(t.receivedAt),
  ],
)
