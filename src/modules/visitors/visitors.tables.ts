/**
 * Drizzle tables of the visitors module (the visitor engine): projects with their settings
 * object kept verbatim as JSONB, the hosts whose owners proved control, runs, and per-day
 * visit counters (daily limits in the project's time zone).
 */
import { sql } from 'drizzle-orm'
import { bigint, index, integer, jsonb, pgTable, primaryKey, text, unique, uuid } from 'drizzle-orm/pg-core'
import { createdAt, ms, pk, updatedAt } from '../../platform/db/columns.ts'
import { workspaceRef } from '../accounts/index.ts'

/**
 * A project: what to visit and how fast. `settings` is the client's settings object exactly
 * as saved (unknown fields included, bounded in size); the fields the engine reads are
 * validated by the settings schema at save time.
 */
export const visitorProjects = pgTable(
  'visitor_projects',
  {
    id: pk(),
    workspaceId: workspaceRef(),
    name: text('name').notNull(),
    /** active | stopped | completed | paused (with `pause_reason`, set by the engine) */
    status: text('status', { enum: ['active', 'stopped', 'completed', 'paused'] })
      .notNull()
      .default('stopped'),
    pauseReason: text('pause_reason'),
    planType: text('plan_type').notNull().default('Custom'),
    /** Visits per day in `timezone` (0 = no daily limit). */
    dailyLimit: integer('daily_limit').notNull().default(0),
    /** Visits over the project's life (0 = no total target). */
    totalTarget: bigint('total_target', { mode: 'number' }).notNull().default(0),
    expiresAt: ms('expires_at'),
    /** IANA time zone of the daily limit's days. */
    timezone: text('timezone').notNull().default('UTC'),
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull(),
    /** Completed (charged) visits so far. */
    visitsDone: bigint('visits_done', { mode: 'number' }).notNull().default(0),
    /** The open ledger hold of credits reserved for this project (null = none). */
    holdId: uuid('hold_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('visitor_projects_workspace').on(t.workspaceId, t.createdAt),
    index('visitor_projects_status').on(t.status),
  ],
)

/**
 * A host a workspace may send visits to once verified: its owner served the token at
 * `/.well-known/traffoflex-verify.txt` or published it as a DNS TXT record at
 * `_traffoflex.<host>`. The token is derived (HMAC of workspace and host), never stored.
 */
export const visitorHosts = pgTable(
  'visitor_hosts',
  {
    id: pk(),
    workspaceId: workspaceRef(),
    /** Lower-case host name (with `:port` when not the scheme's default). */
    host: text('host').notNull(),
    /** pending | verified | failed */
    status: text('status', { enum: ['pending', 'verified', 'failed'] })
      .notNull()
      .default('pending'),
    /** How the last successful check found the token: http | dns */
    method: text('method'),
    verifiedAt: ms('verified_at'),
    checkedAt: ms('checked_at'),
    lastError: text('last_error'),
    createdAt: createdAt(),
  },
  (t) => [unique('visitor_hosts_workspace_host').on(t.workspaceId, t.host)],
)

/** One start-to-stop of a project, with its totals. */
export const visitorRuns = pgTable(
  'visitor_runs',
  {
    id: pk(),
    workspaceId: workspaceRef(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => visitorProjects.id, { onDelete: 'cascade' }),
    startedAt: ms('started_at').notNull(),
    stoppedAt: ms('stopped_at'),
    /** Why it stopped: stopped | completed | paused: <reason> */
    stopReason: text('stop_reason'),
    visits: bigint('visits', { mode: 'number' }).notNull().default(0),
    failed: bigint('failed', { mode: 'number' }).notNull().default(0),
    dropped: bigint('dropped', { mode: 'number' }).notNull().default(0),
  },
  (t) => [index('visitor_runs_project').on(t.projectId, t.startedAt)],
)

/** Completed visits per project and day (in the project's time zone): the daily limit. */
export const visitorDaily = pgTable(
  'visitor_daily',
  {
    projectId: uuid('project_id')
      .notNull()
      .references(() => visitorProjects.id, { onDelete: 'cascade' }),
    /** YYYY-MM-DD in the project's time zone. */
    day: text('day').notNull(),
    visits: bigint('visits', { mode: 'number' }).notNull().default(sql`0`),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.day] })],
)
