/** Affiliate networks of the configuration store (invariants: `scoped.repository.ts`). */
import type { z } from 'zod'
import { affiliateNetworks } from '../routing.tables.ts'
import type { affiliateNetworkInput } from '../routing.schema.ts'
import { scopedCrud } from './scoped.repository.ts'

/** Parsed create body of an affiliate network. */
export type NetworkInput = z.output<typeof affiliateNetworkInput>
/** Stored affiliate network; `postbackSecret` must never be sent to a client. */
export type NetworkRecord = typeof affiliateNetworks.$inferSelect

const crud = scopedCrud<NetworkInput, NetworkRecord>(affiliateNetworks, 'affiliate network', {
  name: 'name',
  postback_template: 'postbackTemplate',
  postback_secret: 'postbackSecret',
  ip_allowlist: 'ipAllowlist',
  status: 'status',
  tags: 'tags',
  notes: 'notes',
})

/** Lists the workspace's affiliate networks, oldest first. */
export const listNetworks = crud.list
/** One affiliate network. @throws AppError 404 when absent from this workspace. */
export const getNetwork = crud.get
/** Creates an affiliate network (bumps the config version). */
export const createNetwork = crud.create
/** Partial update; `postback_secret: null` clears the secret. @throws AppError 404. */
export const updateNetwork = crud.update
/** Deletes a network; its destinations keep running with `network_id = null`. @throws 404. */
export const deleteNetwork = crud.remove
