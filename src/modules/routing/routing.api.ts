/**
 * The routing configuration repositories (`repository/*.repository.ts`) in one import, for
 * medium tests and tools that write configuration without HTTP. Other modules and the
 * composition root use the module's `index.ts`; the admin routes import the repositories
 * themselves.
 */
export {
  createSource,
  deleteSource,
  getSource,
  listSources,
  type SourceInput,
  type SourceRecord,
  updateSource,
} from './repository/sources.repository.ts'
export {
  createNetwork,
  deleteNetwork,
  getNetwork,
  listNetworks,
  type NetworkInput,
  type NetworkRecord,
  updateNetwork,
} from './repository/networks.repository.ts'
export {
  createDestination,
  deleteDestination,
  type DestinationInput,
  type DestinationRecord,
  getDestination,
  listDestinations,
  updateDestination,
} from './repository/destinations.repository.ts'
export {
  createLander,
  deleteLander,
  getLander,
  type LanderInput,
  type LanderRecord,
  listLanders,
  updateLander,
} from './repository/landers.repository.ts'
export {
  type CampaignInput,
  type CampaignRecord,
  createCampaign,
  deleteCampaign,
  getCampaign,
  listCampaigns,
  updateCampaign,
} from './repository/campaigns.repository.ts'
export {
  createStream,
  deleteStream,
  getStream,
  listStreams,
  type StreamInput,
  type StreamRecord,
  updateStream,
} from './repository/streams.repository.ts'
export {
  createSavedTemplate,
  deleteSavedTemplate,
  findSavedTemplate,
  listSavedTemplates,
  resolveTemplate,
  type SavedTemplate,
} from './repository/source-templates.repository.ts'
export {
  loadConfigRows,
  readConfigVersion,
} from './repository/config-rows.repository.ts'
export type {
  ListQuery,
  Page,
} from './repository/scoped.repository.ts'
export { patchSchema, type RoutingRoutesDeps, routingApiRoutes } from './routing.routes.ts'
