/**
 * What the outreach shells need from the outside world, as ports: creator discovery
 * (Influencers Club), email enrichment (Clay), SMTP sending, owner notifications and the
 * live feed. The composition root adapts the real clients to these ports; tests use the
 * same clients against the simulators in `src/simulators/`.
 */
import type { SendMailOptions } from 'nodemailer'
import type { Clock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/client.ts'
import type { Logger } from '../../platform/logger.ts'
import type { SecretBox } from '../autopilot/index.ts'
import type { LedgerRepository } from '../billing/index.ts'
import type { OutreachCriteria } from './influencers-club.filters.core.ts'
import type { DiscoveredCreator } from './influencers-club.client.ts'
import type { OutreachPlan } from './outreach.credits.ts'
import type { outreachMailboxes } from './outreach.tables.ts'

/** Creator discovery: one page of creators matching `criteria`, skipping `excludeHandles`. */
export interface DiscoveryPort {
  discover(req: {
    criteria: OutreachCriteria
    page: number
    limit: number
    excludeHandles: string[]
  }): Promise<{ creators: DiscoveredCreator[]; hasMore: boolean }>
}

/** One row sent for enrichment; the answer comes back to `callback_url` later (or never). */
export interface EnrichmentRow {
  correlation_id: string
  callback_url: string
  handle: string
  platform: OutreachCriteria['platform']
  full_name: string
}

/** Email enrichment (Clay table webhook): submits rows; answers how many were accepted. */
export interface EnrichmentPort {
  submit(rows: EnrichmentRow[]): Promise<{ accepted: number; warning?: string | undefined }>
}

/** SMTP credentials of a mailbox, opened from their sealed form. */
export interface SmtpCreds {
  host: string
  port: number
  secure: boolean
  user?: string | undefined
  pass?: string | undefined
}

/** Outcome of one SMTP send (see `outreach.smtp.core.ts` for how failures are classified). */
export type SendOutcome =
  | { ok: true; response: string }
  | {
      ok: false
      kind: 'temporary' | 'permanent' | 'unknown'
      response: string
      suppress?: boolean | undefined
    }

/** SMTP sending (a pooled transport per mailbox). */
export interface SenderPort {
  send(mailboxId: string, creds: SmtpCreds, message: SendMailOptions): Promise<SendOutcome>
  /** Drops a mailbox's pooled transport (after its settings changed). */
  forget(mailboxId: string): void
  close(): void
}

/** A mailbox row. */
export type MailboxRow = typeof outreachMailboxes.$inferSelect

/** Everything the outreach shells share. */
export interface OutreachDeps {
  db: Db
  ledger: LedgerRepository
  clock: Clock
  logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>
  box: SecretBox
  plans: readonly OutreachPlan[]
  defaultPlan: string
  /** Undefined when no Influencers Club key is configured: runs fail with that reason. */
  discovery?: DiscoveryPort | undefined
  /** Undefined when no Clay webhook is configured: runs fail with that reason. */
  enrichment?: EnrichmentPort | undefined
  sender: SenderPort
  /** HMAC key of Clay callback tokens. */
  callbackKey: Buffer
  /** HMAC key of one-click unsubscribe tokens. */
  unsubscribeKey: Buffer
  /** Base URL of this installation (unsubscribe links, Clay callbacks), no trailing slash. */
  publicUrl: string
  /** Domain of generated Message-IDs. */
  messageIdDomain: string
  /** Emails the workspace's owners (campaign completed, a reply arrived); failures are logged. */
  notify: (
    workspaceId: string,
    mailbox: MailboxRow | undefined,
    subject: string,
    text: string,
  ) => Promise<void>
  /** Publishes a live event to the workspace's stream (optional). */
  publish?: ((workspaceId: string, event: { type: string } & Record<string, unknown>) => void) | undefined
  /** How long a run waits for enrichment answers before scheduling what it has (ms). */
  enrichWaitMs: number
  /** A claim older than this without an outcome is marked `unknown` (ms; longer than any SMTP timeout). */
  claimTimeoutMs: number
  /** Pages of discovery per run at most (bounds a run's API calls). */
  maxPagesPerRun: number
}
