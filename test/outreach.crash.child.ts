/**
 * Child process for outreach.crash.test.ts: a worker that runs the send loop once at the
 * given time against the database and SMTP server of the parent. The parent kills it with
 * SIGKILL while the SMTP server holds the end of DATA unanswered (between claim and answer).
 *
 * argv: <databaseUrl> <isoTime> <publicUrl>
 */
import { createSecretBox } from '../src/modules/autopilot/index.ts'
import { createLedgerRepository } from '../src/modules/billing/index.ts'
import {
  createOutreachService,
  deriveCallbackKey,
  deriveUnsubscribeKey,
  smtpSenders,
} from '../src/modules/outreach/index.ts'
import { manualClock } from '../src/platform/clock.ts'
import { openDb } from '../src/platform/db/client.ts'
import { createLogger } from '../src/platform/logger.ts'

const [databaseUrl, at, publicUrl] = process.argv.slice(2) as [string, string, string]
const SECRET = Buffer.alloc(32, 7)
const db = await openDb({ databaseUrl, pgDir: '' })
const service = createOutreachService(
  {
    db: db.db,
    ledger: createLedgerRepository(db.db, { groupCommit: false }),
    clock: manualClock(at),
    logger: createLogger('silent'),
    box: createSecretBox(SECRET),
    plans: [{ name: 'starter', dailyLimit: 200 }],
    defaultPlan: 'starter',
    sender: smtpSenders(),
    callbackKey: deriveCallbackKey(SECRET),
    unsubscribeKey: deriveUnsubscribeKey(SECRET),
    publicUrl,
    messageIdDomain: 'outreach.tf.test',
    notify: async () => {},
    enrichWaitMs: 0,
    claimTimeoutMs: 10 * 60_000,
    maxPagesPerRun: 1,
  },
  { sendEveryMs: 0, imap: false },
)
process.stdout.write('SENDING\n')
await service.sendDue()
process.stdout.write('DONE\n')
process.exit(0)
