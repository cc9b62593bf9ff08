/**
 * Drizzle tables of the accounts module: workspaces, users, members, invitations, sessions,
 * API keys, password-reset tokens. `workspaceRef()` is the `workspace_id` column every other module's
 * workspace-scoped table uses (exported through this module's index.ts).
 */
import {
  type AnyPgColumn,
  index,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core'
import { createdAt, pk } from '../../platform/db/columns.ts'

export const workspaces = pgTable('workspaces', {
  id: pk(),
  name: text('name').notNull(),
  createdAt: createdAt(),
})

/** `workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE`. */
export const workspaceRef = () =>
  uuid('workspace_id')
    .notNull()
    .references(() => workspaces.id, { onDelete: 'cascade' })

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

/**
 * Pending invitations to join a workspace (issue 13): membership needs the invitee's consent.
 * One per (workspace, email): inviting the address again replaces the row (new token, new
 * expiry). The token (32 random bytes, emailed) is stored as SHA-256 only. Accepting or
 * declining deletes the row, so a token works once; expired rows stay listed for the
 * workspace's managers until they are revoked or replaced.
 */
export const workspaceInvitations = pgTable(
  'workspace_invitations',
  {
    id: pk(),
    workspaceId: workspaceRef(),
    /** Normalised (trimmed, lower case), like `users.email`; need not belong to an account. */
    email: text('email').notNull(),
    role: text('role', { enum: ['admin', 'member'] }).notNull(),
    invitedBy: uuid('invited_by').references(() => users.id, { onDelete: 'set null' }),
    tokenHash: text('token_hash').notNull().unique(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    unique('workspace_invitations_workspace_email').on(t.workspaceId, t.email),
    index('workspace_invitations_email').on(t.email),
  ],
)
