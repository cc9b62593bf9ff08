/**
 * Public surface of the billing module (`README.md` beside it): the double-entry ledger,
 * CPM quotes, orders and payment webhooks, affiliates. Other modules and the platform
 * import from here only.
 */
export {
  accounts as ledgerAccounts,
  type AccountRef,
  OUTREACH,
  type PostingSpec,
  VISITS,
} from './ledger.core.ts'
export { createLedgerRepository, type Hold, type LedgerRepository } from './ledger.repository.ts'
export { commissionMinor } from './affiliates.core.ts'
export { billingRoutes, type BillingRoutesDeps, webhookRoutes } from './billing.routes.ts'
export { PROVIDERS, type Provider } from './payments.core.ts'
export { revolutSignature } from './payments.verify.ts'
export {
  type BillingService,
  type BillingSettings,
  billingSettingsFromEnv,
  createBillingService,
} from './payments.service.ts'
export { DEFAULT_PRICE_TIERS, type PriceTier, quote } from './pricing.core.ts'
// Affiliates: routes, the public referral link, the sign-up hook, the release job.
export { affiliateRoutes, referralRoutes } from './affiliates.routes.ts'
export { commissionReleaseHandlers } from './referrals.jobs.ts'
export { referralSignupHook, releaseDueCommissions } from './referrals.service.ts'
