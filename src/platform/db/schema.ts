/**
 * The configuration store's single Drizzle schema (PostgreSQL dialect; runs on PGlite
 * and PostgreSQL unchanged). Migrations are generated into `drizzle/` with
 * `npm run db:generate` and applied at start-up.
 *
 * Every configuration row carries `workspace_id`; repositories filter on it.
 */
import { sql } from 'drizzle-orm'
import {
  type AnyPgColumn,
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  real,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import type { ConversionStatus } from '../../modules/conversions/conversions.core.ts'
import type { PostbackParams, StatusMap } from '../../modules/conversions/conversions.schema.ts'
import type { AutopilotSettings, AutopilotState } from '../../modules/autopilot/autopilot.core.ts'
import type { Conditions, HealthCheck, Schedule, Trafficback } from '../../modules/routing/routing.schema.ts'

const pk = () => uuid('id').primaryKey().default(sql`gen_random_uuid()`)
const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow()
const updatedAt = () => timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow()
const workspaceRef = () =>
  uuid('workspace_id')
    .notNull()
    .references(() => workspaces.id, { onDelete: 'cascade' })

export const workspaces = pgTable('workspaces', {
  id: pk(),
  name: text('name').notNull(),
  createdAt: createdAt(),
})

export const users = pgTable(
  'users',
  {
    id: pk(),
    email: text('email').notNull().unique(),
    /** argon2id PHC string. */
    passwordHash: text('password_hash').notNull(),
    role: text('role', { enum: ['user', 'admin'] })
      .notNull()
      .default('user'),
    status: text('status', { enum: ['pending', 'active', 'suspended'] })
      .notNull()
      .default('active'),
    createdAt: createdAt(),
    // accounts (issue 4): profile (all optional, edited by the user) and approval.
    name: text('name'),
    phone: text('phone'),
    company: text('company'),
    vatId: text('vat_id'),
    address: text('address'),
    city: text('city'),
    /** ISO 3166-1 alpha-2, upper case. */
    country: text('country'),
    /** When an admin approved the sign-up (null for users created active, e.g. the first admin). */
    approvedAt: timestamp('approved_at', { withTimezone: true, mode: 'date' }),
    approvedBy: uuid('approved_by').references((): AnyPgColumn => users.id, { onDelete: 'set null' }),
  },
  // accounts (issue 4): the admin's user list filters by status, newest first.
  (t) => [index('users_status_created').on(t.status, t.createdAt)],
)

export const workspaceMembers = pgTable(
  'workspace_members',
  {
    workspaceId: workspaceRef(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['owner', 'admin', 'member'] })
      .notNull()
      .default('member'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.userId] })],
)

/** Browser sessions; only the SHA-256 of the cookie token is stored. */
export const sessions = pgTable(
  'sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    workspaceId: workspaceRef(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    createdAt: createdAt(),
  },
  // accounts (issue 4): all sessions of a user are deleted on password change/reset and suspension.
  (t) => [index('sessions_user').on(t.userId)],
)

/** API keys: shown once, stored as SHA-256 (high-entropy random, so a fast hash is enough). */
export const apiKeys = pgTable('api_keys', {
  id: pk(),
  workspaceId: workspaceRef(),
  userId: uuid('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  /** First characters of the key, shown in lists to recognise it. */
  prefix: text('prefix').notNull(),
  keyHash: text('key_hash').notNull().unique(),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }),
  revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  createdAt: createdAt(),
})

// accounts (issue 4)
/**
 * Password-reset tokens: 32 random bytes sent by email, stored as SHA-256 only; valid for
 * one hour and for one use (`used_at`). A confirmed reset deletes the user's other tokens.
 */
export const passwordResetTokens = pgTable(
  'password_reset_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true, mode: 'date' }),
    createdAt: createdAt(),
  },
  (t) => [index('password_reset_tokens_user').on(t.userId)],
)

export const trafficSources = pgTable(
  'traffic_sources',
  {
    id: pk(),
    workspaceId: workspaceRef(),
    name: text('name').notNull(),
    costModel: text('cost_model', { enum: ['cpc', 'cpm', 'none'] })
      .notNull()
      .default('none'),
    defaultCostMicros: bigint('default_cost_micros', { mode: 'number' }).notNull().default(0),
    currency: text('currency').notNull().default('USD'),
    externalIdParam: text('external_id_param').notNull().default('external_id'),
    postbackUrl: text('postback_url'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('traffic_sources_ws').on(t.workspaceId)],
)

export const affiliateNetworks = pgTable(
  'affiliate_networks',
  {
    id: pk(),
    workspaceId: workspaceRef(),
    name: text('name').notNull(),
    postbackTemplate: text('postback_template').notNull().default('subid_tid_payout_status'),
    postbackSecret: text('postback_secret'),
    ipAllowlist: jsonb('ip_allowlist').$type<string[]>().notNull().default([]),
    /** Postback parameter names overriding the template preset (all of them for `custom`); see conversions README. */
    postbackParams: jsonb('postback_params').$type<PostbackParams>().notNull().default({}),
    /** The network's status values → ours, e.g. `{"approved":"sale","1":"sale"}` (case-insensitive keys). */
    statusMap: jsonb('status_map').$type<StatusMap>().notNull().default({}),
    /** Status of a postback that carries none. */
    defaultStatus: text('default_status', { enum: ['lead', 'sale', 'rejected', 'rebill'] })
      .notNull()
      .default('sale'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('affiliate_networks_ws').on(t.workspaceId)],
)

export const destinations = pgTable(
  'destinations',
  {
    id: pk(),
    workspaceId: workspaceRef(),
    name: text('name').notNull(),
    url: text('url').notNull(),
    networkId: uuid('network_id').references(() => affiliateNetworks.id, { onDelete: 'set null' }),
    payoutCents: bigint('payout_cents', { mode: 'number' }).notNull().default(0),
    currency: text('currency').notNull().default('USD'),
    status: text('status', { enum: ['active', 'paused', 'archived'] })
      .notNull()
      .default('active'),
    schedule: jsonb('schedule').$type<Schedule | null>(),
    dailyClickCap: integer('daily_click_cap'),
    totalClickCap: bigint('total_click_cap', { mode: 'number' }),
    capTimezone: text('cap_timezone').notNull().default('UTC'),
    healthCheck: jsonb('health_check').$type<HealthCheck | null>(),
    health: text('health', { enum: ['unknown', 'healthy', 'unhealthy'] })
      .notNull()
      .default('unknown'),
    healthCheckedAt: timestamp('health_checked_at', { withTimezone: true, mode: 'date' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('destinations_ws').on(t.workspaceId)],
)

export const campaigns = pgTable(
  'campaigns',
  {
    id: pk(),
    workspaceId: workspaceRef(),
    name: text('name').notNull(),
    alias: text('alias').notNull(),
    sourceId: uuid('source_id').references(() => trafficSources.id, { onDelete: 'set null' }),
    status: text('status', { enum: ['active', 'paused', 'archived'] })
      .notNull()
      .default('active'),
    timezone: text('timezone').notNull().default('UTC'),
    costMicros: bigint('cost_micros', { mode: 'number' }),
    currency: text('currency').notNull().default('USD'),
    trafficback: jsonb('trafficback').$type<Trafficback>().notNull().default({ type: 'none' }),
    antiRepeat: jsonb('anti_repeat')
      .$type<{ enabled: boolean; window_seconds: number }>()
      .notNull()
      .default({ enabled: false, window_seconds: 86400 }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  // Aliases are global: /c/:alias has no workspace in it.
  (t) => [uniqueIndex('campaigns_alias').on(t.alias), index('campaigns_ws').on(t.workspaceId)],
)

export const streams = pgTable(
  'streams',
  {
    id: pk(),
    workspaceId: workspaceRef(),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    kind: text('kind', { enum: ['forced', 'regular', 'default'] })
      .notNull()
      .default('regular'),
    priority: integer('priority').notNull().default(100),
    conditions: jsonb('conditions').$type<Conditions>().notNull(),
    strategy: text('strategy', { enum: ['waterfall', 'round_robin', 'weighted', 'best_roi'] })
      .notNull()
      .default('weighted'),
    exploration: real('exploration').notNull().default(0.1),
    active: boolean('active').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('streams_campaign').on(t.campaignId), index('streams_ws').on(t.workspaceId)],
)

/** A stream's destination list; `position` orders it (waterfall), `weight` drives weighted random. */
export const streamDestinations = pgTable(
  'stream_destinations',
  {
    streamId: uuid('stream_id')
      .notNull()
      .references(() => streams.id, { onDelete: 'cascade' }),
    destinationId: uuid('destination_id')
      .notNull()
      .references(() => destinations.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    weight: integer('weight').notNull().default(100),
    active: boolean('active').notNull().default(true),
  },
  (t) => [primaryKey({ columns: [t.streamId, t.destinationId] })],
)

/**
 * Persisted cap counters: clicks per destination per day (`day` = YYYY-MM-DD in the
 * destination's cap timezone). Total clicks = sum over days. Written by the click shell.
 */
export const capCounters = pgTable(
  'cap_counters',
  {
    destinationId: uuid('destination_id')
      .notNull()
      .references(() => destinations.id, { onDelete: 'cascade' }),
    day: text('day').notNull(),
    clicks: bigint('clicks', { mode: 'number' }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.destinationId, t.day] })],
)

/** Health state changes of destinations (the health history). */
export const healthEvents = pgTable(
  'health_events',
  {
    id: pk(),
    workspaceId: workspaceRef(),
    destinationId: uuid('destination_id')
      .notNull()
      .references(() => destinations.id, { onDelete: 'cascade' }),
    fromState: text('from_state').notNull(),
    toState: text('to_state').notNull(),
    httpStatus: integer('http_status'),
    error: text('error'),
    latencyMs: integer('latency_ms'),
    createdAt: createdAt(),
  },
  (t) => [index('health_events_dest').on(t.destinationId, t.createdAt)],
)

const ms = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 })

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
    status: text('status', { enum: ['lead', 'sale', 'rejected', 'rebill'] }).notNull(),
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
 * transaction as the conversion, then inserted into ClickHouse in batches. `batch_id` fixes
 * a batch's rows before its first insert, so every retry re-sends the same rows with the
 * same deduplication token (`conversions:<batch_id>`); `synced_at` marks the batch done.
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
    batchId: uuid('batch_id'),
    batchedAt: ms('batched_at'),
    syncedAt: ms('synced_at'),
  },
  (t) => [
    uniqueIndex('conversion_events_conv_seq').on(t.conversionId, t.seq),
    index('conversion_events_unbatched').on(t.id).where(sql`${t.batchId} IS NULL`),
    index('conversion_events_unsynced').on(t.batchId).where(sql`${t.syncedAt} IS NULL`),
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
    outcome: text('outcome', {
      enum: [
        'accepted',
        'duplicate',
        'unknown_click',
        'bad_secret',
        'bad_status',
        'malformed',
        'unknown_network',
        'ip_not_allowed',
        'error',
      ],
    }).notNull(),
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

/**
 * One row, bumped by every configuration write. Traffic processes poll it to rebuild their
 * routing snapshot (works across processes on PostgreSQL).
 */
export const configVersion = pgTable('config_version', {
  id: integer('id').primaryKey().default(1),
  version: bigint('version', { mode: 'number' }).notNull().default(0),
  updatedAt: updatedAt(),
})

// ---------------------------------------------------------------------------------------
// autopilot (issue 5, SPEC §4)

/** A TrafficStars advertiser account: the API key is stored encrypted (AES-256-GCM), never returned. */
export const autopilotAccounts = pgTable(
  'autopilot_accounts',
  {
    id: pk(),
    workspaceId: workspaceRef(),
    name: text('name').notNull(),
    baseUrl: text('base_url').notNull(),
    /** `v1.<iv>.<tag>.<ciphertext>` base64url, see autopilot/secret-box.ts. */
    apiKeyCiphertext: text('api_key_ciphertext').notNull(),
    /** Last 4 characters, to tell keys apart in the UI. */
    apiKeyHint: text('api_key_hint').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('autopilot_accounts_ws').on(t.workspaceId)],
)

/** Autopilot settings and persisted machine state of one router campaign (one TrafficStars campaign). */
export const autopilotCampaigns = pgTable(
  'autopilot_campaigns',
  {
    id: pk(),
    workspaceId: workspaceRef(),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    accountId: uuid('account_id')
      .notNull()
      .references(() => autopilotAccounts.id, { onDelete: 'cascade' }),
    tsCampaignId: bigint('ts_campaign_id', { mode: 'number' }).notNull(),
    enabled: boolean('enabled').notNull().default(false),
    /** `AutopilotSettings` (money in micros of USD). */
    settings: jsonb('settings').$type<AutopilotSettings>().notNull(),
    /** `AutopilotState`, written before the tick's calls go out. */
    state: jsonb('state').$type<AutopilotState>().notNull(),
    /** What the last tick saw (status, spent, budget, remaining) for the panel. */
    lastObservation: jsonb('last_observation').$type<Record<string, unknown> | null>(),
    lastTickAt: ms('last_tick_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('autopilot_campaigns_campaign').on(t.campaignId),
    index('autopilot_campaigns_ws').on(t.workspaceId),
    index('autopilot_campaigns_enabled').on(t.accountId).where(sql`${t.enabled}`),
  ],
)

/** The audit log: every call with its reason and outcome, every transition, hold and refusal. */
export const autopilotActions = pgTable(
  'autopilot_actions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    workspaceId: workspaceRef(),
    autopilotCampaignId: uuid('autopilot_campaign_id')
      .notNull()
      .references(() => autopilotCampaigns.id, { onDelete: 'cascade' }),
    at: ms('at').notNull(),
    /** run | pause | patch (calls) · transition | hold | refused | budget | day_reset | enable | disable | error */
    kind: text('kind').notNull(),
    rule: text('rule').notNull(),
    text: text('text').notNull(),
    inputs: jsonb('inputs').$type<Record<string, unknown>>().notNull(),
    /** ok | failed | deferred (calls) · noted (everything else) */
    outcome: text('outcome').notNull(),
    error: text('error'),
  },
  (t) => [index('autopilot_actions_campaign').on(t.autopilotCampaignId, t.id)],
)
