/**
 * Drizzle tables of the postbacks-out module: outbound postbacks to traffic sources (a
 * transactional outbox written with each accepted conversion change) and their attempts.
 */
import { sql } from 'drizzle-orm'
import {
  bigint,
  bigserial,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import { ms } from '../../platform/db/columns.ts'
import { workspaceRef } from '../accounts/index.ts'
import { conversionEvents, conversions } from '../conversions/index.ts'
import { trafficSources } from '../routing/index.ts'

/**
 * Outbound postbacks to traffic sources (module `postbacks-out`): one row per accepted
 * conversion change whose source has a `postback_url`, written in the conversion's
 * transaction (transactional outbox; `conversion_event_id` is unique, so a replayed change
 * never makes a second row). `url` is the rendered URL as sent (it may carry the source's
 * token; the API shows it redacted); `macros` keeps the raw values it was rendered from, so
 * a manual retry can re-render a corrected template.
 *
 * `state`: `pending` (an attempt is scheduled at `next_attempt_at` or running until
 * `locked_until`), `delivered` (2xx), `failed` (refused for good: 4xx, blocked or invalid
 * URL), `dead` (retries exhausted). `attempts` counts attempts of the current round;
 * `generation` counts manual retries (each starts a new round).
 */
export const outboundPostbacks = pgTable(
  'outbound_postbacks',
  {
    id: uuid('id').primaryKey(),
    workspaceId: workspaceRef(),
    conversionId: uuid('conversion_id')
      .notNull()
      .references(() => conversions.id, { onDelete: 'cascade' }),
    conversionEventId: bigint('conversion_event_id', { mode: 'number' })
      .notNull()
      .references(() => conversionEvents.id, { onDelete: 'cascade' }),
    sourceId: uuid('source_id').references(() => trafficSources.id, { onDelete: 'set null' }),
    /** Conversion status of the change this postback reports. */
    status: text('status').notNull(),
    url: text('url').notNull(),
    macros: jsonb('macros').$type<Record<string, string>>().notNull().default({}),
    state: text('state', { enum: ['pending', 'delivered', 'failed', 'dead'] }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    generation: integer('generation').notNull().default(0),
    nextAttemptAt: ms('next_attempt_at'),
    /** Lease of the attempt in flight (null when none); an expired lease may be taken over. */
    lockedUntil: ms('locked_until'),
    leaseToken: uuid('lease_token'),
    lastError: text('last_error').notNull().default(''),
    lastStatusCode: integer('last_status_code'),
    deliveredAt: ms('delivered_at'),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('outbound_postbacks_event').on(t.conversionEventId),
    index('outbound_postbacks_ws_created').on(t.workspaceId, t.createdAt),
    index('outbound_postbacks_ws_conversion').on(t.workspaceId, t.conversionId),
    index('outbound_postbacks_pending').on(t.nextAttemptAt).where(sql`${t.state} = 'pending'`),
    /** Counts of the backlog and the dead-letter list (`/metrics`) without reading delivered rows. */
    index('outbound_postbacks_undelivered').on(t.state).where(sql`${t.state} <> 'delivered'`),
  ],
)

/** Every delivery attempt of an outbound postback (URL with secrets redacted). */
export const outboundPostbackAttempts = pgTable(
  'outbound_postback_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    outboundId: uuid('outbound_id')
      .notNull()
      .references(() => outboundPostbacks.id, { onDelete: 'cascade' }),
    workspaceId: workspaceRef(),
    conversionId: uuid('conversion_id').notNull(),
    sourceId: uuid('source_id'),
    generation: integer('generation').notNull(),
    attempt: integer('attempt').notNull(),
    /** The URL requested (last hop when redirects were followed), secrets redacted. */
    url: text('url').notNull(),
    /** HTTP status of the last response; null when none arrived (network error, timeout, blocked). */
    statusCode: integer('status_code'),
    /** `delivered | retry | failed | dead` — what this attempt led to. */
    outcome: text('outcome', { enum: ['delivered', 'retry', 'failed', 'dead'] }).notNull(),
    error: text('error').notNull().default(''),
    latencyMs: integer('latency_ms').notNull(),
    createdAt: ms('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('outbound_postback_attempts_round').on(t.outboundId, t.generation, t.attempt),
    index('outbound_postback_attempts_ws').on(t.workspaceId, t.createdAt),
  ],
)
