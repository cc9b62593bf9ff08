/**
 * Public surface of the visitors module (the visitor engine, `README.md` beside it):
 * projects, ownership verification of their hosts, and the engine that makes labelled,
 * metered visits. Other modules and the platform import from here only.
 */
export { visitorProjects } from './visitors.tables.ts'
