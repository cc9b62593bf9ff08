/**
 * Public surface of the billing module (`README.md` beside it): the double-entry ledger,
 * CPM quotes, orders and payment webhooks, affiliates. Other modules and the platform
 * import from here only.
 */
export { accounts as ledgerAccounts, type AccountRef, type PostingSpec, VISITS } from './ledger.core.ts'
export { createLedgerRepository, type Hold, type LedgerRepository } from './ledger.repository.ts'
