/**
 * Drizzle tables of the routing module: traffic sources, affiliate networks, destinations,
 * campaigns, streams and their destination lists, cap counters, health events.
 * Every row carries `workspace_id`; repositories filter on it.
 */
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import { createdAt, pk, updatedAt } from '../../platform/db/columns.ts'
import { workspaceRef } from '../accounts/index.ts'
import type { Conditions, HealthCheck, Schedule, Trafficback } from './routing.schema.ts'

/** A conversion status as the conversions module names them (it owns their rules). */
type NetworkStatus = 'lead' | 'sale' | 'rejected' | 'rebill'
type SubKey = 'sub1' | 'sub2' | 'sub3' | 'sub4' | 'sub5' | 'sub6' | 'sub7' | 'sub8' | 'sub9' | 'sub10'
/**
 * The network's postback parameter names. The conversions module validates and writes them
 * (its `postbackParamsSchema`); the shape is restated here so this table does not import that
 * module (which imports this one). Its repository assigns both ways, so a drift fails tsc.
 */
export type NetworkPostbackParams = {
  click_id?: string | undefined
  transaction_id?: string | undefined
  payout?: string | undefined
  status?: string | undefined
  currency?: string | undefined
  subs?: { [K in SubKey]?: string | undefined } | undefined
}
/** The network's status values → ours (written by the conversions module's `statusMapSchema`). */
export type NetworkStatusMap = Record<string, NetworkStatus>
/** Where a source's campaign-link parameter lands in the click: a sub ID, the source's click ID or the click's cost. */
export type SourceParamTarget = SubKey | 'external_id' | 'cost'
/** One parameter a traffic source passes, e.g. `{ name: 'zone', token: '{zone_id}', target: 'sub1' }`. */
export type SourceParam = {
  name: string
  token: string
  target: SourceParamTarget
  label?: string | undefined
}

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
    /** Key of the template it was made from (`source.templates.ts` catalogue or a saved template's id), 'custom' when none. */
    template: text('template').notNull().default('custom'),
    /** The parameters the source passes on the campaign link, each mapped to a sub ID, `external_id` or `cost`. */
    params: jsonb('params').$type<SourceParam[]>().notNull().default([]),
    status: text('status', { enum: ['active', 'archived'] })
      .notNull()
      .default('active'),
    tags: jsonb('tags').$type<string[]>().notNull().default([]),
    notes: text('notes').notNull().default(''),
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
    postbackParams: jsonb('postback_params').$type<NetworkPostbackParams>().notNull().default({}),
    /** The network's status values → ours, e.g. `{"approved":"sale","1":"sale"}` (case-insensitive keys). */
    statusMap: jsonb('status_map').$type<NetworkStatusMap>().notNull().default({}),
    /** Status of a postback that carries none. */
    defaultStatus: text('default_status', { enum: ['lead', 'sale', 'rejected', 'rebill'] })
      .notNull()
      .default('sale'),
    status: text('status', { enum: ['active', 'archived'] })
      .notNull()
      .default('active'),
    tags: jsonb('tags').$type<string[]>().notNull().default([]),
    notes: text('notes').notNull().default(''),
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
    tags: jsonb('tags').$type<string[]>().notNull().default([]),
    notes: text('notes').notNull().default(''),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('destinations_ws').on(t.workspaceId)],
)

/**
 * Landers: pre-landing pages the buyer hosts. A stream with active landers sends the visitor
 * to one of them first; the lander's call to action links to the campaign's lander click URL
 * (`/lp/:alias/click`), where the tracker picks the offer (a `destinations` row).
 */
export const landers = pgTable(
  'landers',
  {
    id: pk(),
    workspaceId: workspaceRef(),
    name: text('name').notNull(),
    url: text('url').notNull(),
    status: text('status', { enum: ['active', 'paused', 'archived'] })
      .notNull()
      .default('active'),
    tags: jsonb('tags').$type<string[]>().notNull().default([]),
    notes: text('notes').notNull().default(''),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('landers_ws').on(t.workspaceId)],
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
    /** Free labels for filtering the campaign list. */
    tags: jsonb('tags').$type<string[]>().notNull().default([]),
    /** The campaign group (folder) it is listed under; null = ungrouped. */
    groupName: text('group_name'),
    notes: text('notes').notNull().default(''),
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

/** A stream's lander list; `weight` drives the lander rotation (weighted random among active ones). */
export const streamLanders = pgTable(
  'stream_landers',
  {
    streamId: uuid('stream_id')
      .notNull()
      .references(() => streams.id, { onDelete: 'cascade' }),
    landerId: uuid('lander_id')
      .notNull()
      .references(() => landers.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    weight: integer('weight').notNull().default(100),
    active: boolean('active').notNull().default(true),
  },
  (t) => [primaryKey({ columns: [t.streamId, t.landerId] })],
)

/** A traffic source template the workspace saved from one of its sources. */
export const sourceTemplates = pgTable(
  'source_templates',
  {
    id: pk(),
    workspaceId: workspaceRef(),
    name: text('name').notNull(),
    /** The template as the catalogue states one (`source.templates.ts` `SourceTemplate` without `key`). */
    definition: jsonb('definition').$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('source_templates_ws_name').on(t.workspaceId, t.name)],
)

/**
 * Cost updates: the real cost of a campaign (optionally one sub ID / zone value) over a time
 * range, spread over that range's clicks in ClickHouse (`cost_adjustments`). Reverting
 * writes the opposite adjustment; rows are never deleted.
 */
export const costUpdates = pgTable(
  'cost_updates',
  {
    id: pk(),
    workspaceId: workspaceRef(),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    /** Range start, inclusive (UTC instant). */
    fromTs: timestamp('from_ts', { withTimezone: true, mode: 'date', precision: 3 }).notNull(),
    /** Range end, exclusive (UTC instant). */
    toTs: timestamp('to_ts', { withTimezone: true, mode: 'date', precision: 3 }).notNull(),
    /** The zone the range was entered in (for display). */
    timezone: text('timezone').notNull().default('UTC'),
    /** Narrows the update to clicks with this sub ID value: 'sub1'…'sub10' or 'external_id'; null = all clicks. */
    subKey: text('sub_key'),
    subValue: text('sub_value'),
    /** The total real cost of the range, micros of `currency`. */
    costMicros: bigint('cost_micros', { mode: 'number' }).notNull(),
    currency: text('currency').notNull().default('USD'),
    /** Clicks the cost was spread over, and their cost before the update (micros). */
    clicks: bigint('clicks', { mode: 'number' }).notNull().default(0),
    previousCostMicros: bigint('previous_cost_micros', { mode: 'number' }).notNull().default(0),
    status: text('status', { enum: ['applied', 'reverted'] })
      .notNull()
      .default('applied'),
    /** How it came in: the form or a CSV import (with its batch id). */
    origin: text('origin').notNull().default('manual'),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    revertedAt: timestamp('reverted_at', { withTimezone: true, mode: 'date' }),
    revertedBy: uuid('reverted_by'),
  },
  (t) => [index('cost_updates_campaign').on(t.workspaceId, t.campaignId, t.createdAt)],
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
