/**
 * Public surface of the autopilot module (SPEC §4): TrafficStars campaigns run by remaining
 * clicks and today's spend. Other modules and the platform import from here only.
 */
export * from './autopilot.core.ts'
export { type ReplayInput, type ReplayResult, replay, replayInput } from './autopilot.replay.ts'
export { type AutopilotRoutesDeps, autopilotRoutes } from './autopilot.routes.ts'
export {
  type AutopilotService,
  type AutopilotServiceDeps,
  createAutopilotService,
  type Plan,
  type RemainingProvider,
  type TickReport,
} from './autopilot.service.ts'
export { createSecretBox, loadSecretKey, type SecretBox } from './secret-box.ts'
export { TrafficStarsClient } from './trafficstars.client.ts'
