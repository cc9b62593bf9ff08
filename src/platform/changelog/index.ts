/**
 * The change log (issue 18): every module records its configuration changes here, in the
 * change's own transaction. Browsing, CSV and retention live in the audit module.
 */
export {
  type ChangeActor,
  currentChangeActor,
  systemActor,
  withChangeActor,
} from './actor.ts'
export { diffChanges, type FieldChange, isSecretField, REDACTED } from './changelog.core.ts'
export { type ChangeInput, recordChange } from './changelog.record.ts'
export { changeLog } from './changelog.tables.ts'
