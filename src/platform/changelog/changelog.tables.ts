/**
 * The change log (issue 18): one row per create, update or delete of configuration, written
 * in the same transaction as the change (src/platform/changelog/). Module-free on purpose:
 * every module records its changes here, so the table references nothing of theirs; rows
 * outlive the objects they describe (`object_name` and `actor_label` are copied at write time).
 */
import { bigserial, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'

export const changeLog = pgTable(
  'change_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** The workspace the changed object belongs to (no foreign key: the log outlives nothing it must not). */
    workspaceId: uuid('workspace_id').notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date', precision: 3 }).notNull().defaultNow(),
    /** `user` (a session), `api_key`, or `system` (jobs, the autopilot). */
    actorType: text('actor_type', { enum: ['user', 'api_key', 'system'] }).notNull(),
    actorUserId: uuid('actor_user_id'),
    actorApiKeyId: uuid('actor_api_key_id'),
    /** Who, readable after the user or key is gone: the email, `key <prefix> (email)`, or the job's name. */
    actorLabel: text('actor_label').notNull(),
    ip: text('ip'),
    /** e.g. `campaign`, `stream`, `offer`, `lander`, `source`, `network`, `api_key`, `member`. */
    objectType: text('object_type').notNull(),
    objectId: text('object_id').notNull(),
    objectName: text('object_name'),
    action: text('action', { enum: ['create', 'update', 'delete'] }).notNull(),
    /** `{ field: { before, after } }` of the changed fields only; secrets replaced by `"[redacted]"`. */
    changes: jsonb('changes').notNull(),
  },
  (t) => [
    index('change_log_workspace_at').on(t.workspaceId, t.at),
    index('change_log_object').on(t.workspaceId, t.objectType, t.objectId, t.at),
  ],
)
