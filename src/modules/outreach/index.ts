/**
 * Public surface of the outreach module (recurring creator campaigns, `README.md` beside
 * it). Other modules and the platform import from here only.
 */
export * as outreachTables from './outreach.tables.ts'
