/**
 * Public surface of the outreach module (recurring creator campaigns, `README.md` beside
 * it). Other modules, the composition root and the configuration import from here only.
 */
export { clayEnrichment, influencersClubDiscovery, ownerNotifier, smtpSenders } from './outreach.adapters.ts'
export { deriveCallbackKey } from './clay.callback.core.ts'
export type { Plan } from './outreach.credits.core.ts'
export { creditUsage, ensureAllowance } from './outreach.credits.ts'
export type { DiscoveryPort, EnrichmentPort, MailboxRow, OutreachDeps, SenderPort } from './outreach.deps.ts'
export { deriveUnsubscribeKey } from './outreach.unsubscribe.core.ts'
export { outreachPublicRoutes } from './outreach.public.routes.ts'
export { type OutreachRoutesDeps, outreachRoutes } from './outreach.routes.ts'
export {
  createOutreachService,
  type OutreachService,
  type OutreachServiceOptions,
} from './outreach.service.ts'
export { testImap } from './outreach.imap.ts'
export { testSmtp } from './outreach.smtp.ts'
export {
  outreachCampaigns,
  outreachCreators,
  outreachEmails,
  outreachMailboxes,
  outreachReplies,
  outreachRuns,
  outreachSuppressions,
} from './outreach.tables.ts'
