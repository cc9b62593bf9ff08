/**
 * Every Drizzle table of every module under one name, for tests that read or write rows
 * directly (`schema.users`, `schema.destinations`, …). The app itself has no such object:
 * each module builds its queries from its own `<module>.tables.ts`.
 */
import * as accounts from '../../src/modules/accounts/accounts.tables.ts'
import * as autopilot from '../../src/modules/autopilot/autopilot.tables.ts'
import * as conversions from '../../src/modules/conversions/conversions.tables.ts'
import * as outbound from '../../src/modules/postbacks-out/outbound.tables.ts'
import * as routing from '../../src/modules/routing/routing.tables.ts'
import { changeLog } from '../../src/platform/changelog/changelog.tables.ts'
import { configVersion } from '../../src/platform/db/config-version.ts'

export const schema = {
  ...accounts,
  ...routing,
  ...conversions,
  ...outbound,
  ...autopilot,
  configVersion,
  changeLog,
}
