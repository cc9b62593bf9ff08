/**
 * Public surface of the autopilot module (`README.md` beside it): TrafficStars campaigns run by remaining
 * clicks and today's spend. Other modules and the platform import from here only.
 */
export { DEFAULT_SETTINGS, initialState } from './autopilot.core.ts'
export { replay } from './autopilot.replay.ts'
export { autopilotRoutes } from './autopilot.routes.ts'
export { type AutopilotService, createAutopilotService } from './autopilot.service.ts'
export { autopilotAccounts, autopilotCampaigns } from './autopilot.tables.ts'
export { createSecretBox, loadSecretKey, type SecretBox } from '../../platform/secret-box.ts'
