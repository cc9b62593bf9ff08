/**
 * PostgreSQL tables of the analytics module (its facts live in ClickHouse): named report
 * column presets, one list per user and workspace.
 */
import { jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { createdAt, pk, updatedAt } from '../../platform/db/columns.ts'
import { users, workspaceRef } from '../accounts/index.ts'

export const reportPresets = pgTable(
  'report_presets',
  {
    id: pk(),
    workspaceId: workspaceRef(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** What the preset restores: `{ columns: string[], group_by?: string[], ... }` (validated by the routes). */
    definition: jsonb('definition').$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('report_presets_user_name').on(t.userId, t.workspaceId, t.name)],
)
