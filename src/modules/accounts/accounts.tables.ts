/**
 * Drizzle tables of the accounts module: workspaces, users, members, invitations, sessions,
 * API keys, password-reset tokens. `workspaceRef()` is the `workspace_id` column every other module's
 * workspace-scoped table uses (exported through this module's index.ts).
 */
import { sql } from 'drizzle-orm'
import {
  type AnyPgColumn,
  bigint,
  boolean,
  index,
  integer,
  jsonb,
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
  /** Issue 18: every member must sign in with a second factor (those without one enrol first). */
  require2fa: boolean('require_2fa').notNull().default(false),
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
    // Issue 18: TOTP (RFC 6238). Secrets are sealed (src/platform/secret-box.ts), never plain.
    /** The confirmed TOTP secret (sealed); null while 2FA is off. */
    totpSecret: text('totp_secret'),
    /** A secret shown for enrolment, not confirmed by a code yet (sealed). */
    totpPendingSecret: text('totp_pending_secret'),
    totpEnabledAt: timestamp('totp_enabled_at', { withTimezone: true, mode: 'date' }),
    /** The last accepted TOTP time step (unix seconds / 30): a code is refused at or before it (no replay). */
    totpLastStep: bigint('totp_last_step', { mode: 'number' }),
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
  // Issue 18: scopes (`read` | `write` | `admin`); keys made before scopes existed are `admin`.
  scopes: text('scopes').array().notNull().default(sql`'{admin}'::text[]`),
  /** After this instant the key is refused (401); null = never expires. */
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
  /** Client IP of the last use (written with `last_used_at`). */
  lastUsedIp: text('last_used_ip'),
})

/** Issue 18: single-use recovery codes of a user's 2FA, stored as SHA-256 only (shown once). */
export const recoveryCodes = pgTable(
  'user_recovery_codes',
  {
    id: pk(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    usedAt: timestamp('used_at', { withTimezone: true, mode: 'date' }),
    createdAt: createdAt(),
  },
  (t) => [unique('user_recovery_codes_user_hash').on(t.userId, t.codeHash)],
)

/**
 * Issue 18: "remember this device" — a browser that passed the second factor skips it until
 * `expires_at`. The cookie holds 32 random bytes; only their SHA-256 is stored.
 */
export const trustedDevices = pgTable(
  'trusted_devices',
  {
    id: pk(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull().unique(),
    /** The browser's User-Agent when it was trusted, to recognise it in a list. */
    label: text('label'),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }),
    createdAt: createdAt(),
  },
  (t) => [index('trusted_devices_user').on(t.userId)],
)

/**
 * Issue 18: a sign-in that passed the password step and waits for the second factor. The
 * token (32 random bytes) goes back to the browser; only its SHA-256 is stored. Short-lived.
 */
export const loginChallenges = pgTable(
  'login_challenges',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** Wrong codes tried with this challenge. */
    attempts: integer('attempts').notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [index('login_challenges_user').on(t.userId)],
)

/**
 * Issue 18: security events — sign-ins, failed sign-ins, 2FA changes, API key creation and
 * revocation. `workspace_id` is the workspace the event belongs to when there is one (a key,
 * a session's workspace); `email` keeps the address tried when no user matched.
 */
export const securityEvents = pgTable(
  'security_events',
  {
    id: pk(),
    at: timestamp('at', { withTimezone: true, mode: 'date', precision: 3 }).notNull().defaultNow(),
    kind: text('kind').notNull(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    workspaceId: uuid('workspace_id').references(() => workspaces.id, { onDelete: 'cascade' }),
    email: text('email'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    detail: jsonb('detail').notNull().default({}),
  },
  (t) => [
    index('security_events_workspace_at').on(t.workspaceId, t.at),
    index('security_events_user_at').on(t.userId, t.at),
  ],
)

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
