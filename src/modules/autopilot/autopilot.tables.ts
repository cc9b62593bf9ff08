/**
 * Drizzle tables of the autopilot module: TrafficStars accounts (API key sealed), the
 * per-campaign settings and persisted machine state, and the audit log of every action.
 */
import { sql } from 'drizzle-orm'
import {
  bigint,
  bigserial,
  boolean,
  index,
  jsonb,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import { createdAt, ms, pk, updatedAt } from '../../platform/db/columns.ts'
import { workspaceRef } from '../accounts/index.ts'
import { campaigns } from '../routing/index.ts'
import type { AutopilotSettings, AutopilotState } from './autopilot.core.ts'

/** A TrafficStars advertiser account: the API key is stored encrypted (AES-256-GCM), never returned. */
export const autopilotAccounts = pgTable(
  'autopilot_accounts',
  {
    id: pk(),
    workspaceId: workspaceRef(),
    name: text('name').notNull(),
    baseUrl: text('base_url').notNull(),
    /** `v1.<iv>.<tag>.<ciphertext>` base64url, see src/platform/secret-box.ts. */
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
