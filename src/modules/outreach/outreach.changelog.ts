/**
 * The outreach module's change-log entries (src/platform/changelog): mailboxes (`mailbox`,
 * sealed SMTP/IMAP passwords redacted by the secret-name rule), campaigns
 * (`outreach_campaign`) and the workspace's plan (`outreach_settings`). Operational fields
 * that sending and runs rewrite (IMAP position, status, run count, last run) are left out:
 * they are not configuration.
 */
import { recordChange } from '../../platform/changelog/index.ts'
import type { Db } from '../../platform/db/client.ts'
import type { outreachCampaigns, outreachMailboxes } from './outreach.tables.ts'

type MailboxRow = typeof outreachMailboxes.$inferSelect
type CampaignRow = typeof outreachCampaigns.$inferSelect
type Action = 'create' | 'update' | 'delete'

function mailboxConfig(m: MailboxRow | undefined): Record<string, unknown> | null {
  if (!m) return null
  const { workspaceId: _w, imapUidValidity: _v, imapLastUid: _u, status: _s, lastError: _e, ...rest } = m
  return rest
}

function campaignConfig(c: CampaignRow | undefined): Record<string, unknown> | null {
  if (!c) return null
  const { workspaceId: _w, runCount: _r, lastRunAt: _l, completedAt: _c, ...rest } = c
  return rest
}

/** Logs a mailbox change in `tx` (the write's transaction). */
export async function recordMailboxChange(
  tx: Db,
  action: Action,
  before: MailboxRow | undefined,
  after: MailboxRow | undefined,
): Promise<void> {
  const m = (after ?? before)!
  await recordChange(tx, {
    workspaceId: m.workspaceId,
    objectType: 'mailbox',
    objectId: m.id,
    action,
    before: mailboxConfig(before),
    after: mailboxConfig(after),
    secretFields: ['smtpPasswordSealed', 'imapPasswordSealed'],
  })
}

/** Logs an outreach campaign change in `tx` (the write's transaction). */
export async function recordOutreachCampaignChange(
  tx: Db,
  action: Action,
  before: CampaignRow | undefined,
  after: CampaignRow | undefined,
): Promise<void> {
  const c = (after ?? before)!
  await recordChange(tx, {
    workspaceId: c.workspaceId,
    objectType: 'outreach_campaign',
    objectId: c.id,
    action,
    before: campaignConfig(before),
    after: campaignConfig(after),
  })
}
