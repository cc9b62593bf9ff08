/**
 * Public surface of the billing module (`README.md` beside it): the double-entry ledger,
 * CPM quotes, orders and payment webhooks, affiliates. Other modules and the platform
 * import from here only.
 */
export { accounts as ledgerAccounts, type AccountRef, type PostingSpec, VISITS } from './ledger.core.ts'
export { createLedgerRepository, type Hold, type LedgerRepository } from './ledger.repository.ts'
// Affiliates (issue 5): routes, the public referral link, the sign-up hook, the release job.
export { affiliateRoutes, referralRoutes } from './affiliates.routes.ts'
export { commissionReleaseHandlers } from './referrals.jobs.ts'
export { referralSignupHook, releaseDueCommissions } from './referrals.service.ts'
