/** Destinations of the configuration store (invariants: `scoped.repository.ts`). */
import type { z } from 'zod'
import { affiliateNetworks, destinations } from '../routing.tables.ts'
import type { destinationInput } from '../routing.schema.ts'
import { badRef, existsIn, scopedCrud } from './scoped.repository.ts'

/** Parsed create body of a destination. */
export type DestinationInput = z.output<typeof destinationInput>
/** Stored destination (with the health checker's last state). */
export type DestinationRecord = typeof destinations.$inferSelect

const crud = scopedCrud<DestinationInput, DestinationRecord>(
  destinations,
  'destination',
  {
    name: 'name',
    url: 'url',
    network_id: 'networkId',
    payout_cents: 'payoutCents',
    currency: 'currency',
    status: 'status',
    schedule: 'schedule',
    daily_click_cap: 'dailyClickCap',
    total_click_cap: 'totalClickCap',
    cap_timezone: 'capTimezone',
    health_check: 'healthCheck',
    tags: 'tags',
    notes: 'notes',
  },
  async (tx, workspaceId, input) => {
    if (input.network_id && !(await existsIn(tx, affiliateNetworks, workspaceId, input.network_id))) {
      throw badRef('network_id', 'affiliate network')
    }
  },
)

/** Lists the workspace's destinations, oldest first. */
export const listDestinations = crud.list
/** One destination. @throws AppError 404 when absent from this workspace. */
export const getDestination = crud.get
/** Creates a destination. @throws AppError 400 (`network_id`) for a network outside the workspace. */
export const createDestination = crud.create
/** Partial update. @throws AppError 400 (`network_id`), 404. */
export const updateDestination = crud.update
/** Deletes a destination; it disappears from every stream list (cascade). @throws 404. */
export const deleteDestination = crud.remove
