/** Traffic sources of the configuration store (invariants: `scoped.repository.ts`). */
import type { z } from 'zod'
import { trafficSources } from '../routing.tables.ts'
import type { trafficSourceInput } from '../routing.schema.ts'
import { scopedCrud } from './scoped.repository.ts'

/** Parsed create body of a traffic source (snake_case, defaults applied). */
export type SourceInput = z.output<typeof trafficSourceInput>
/** Stored traffic source. */
export type SourceRecord = typeof trafficSources.$inferSelect

const crud = scopedCrud<SourceInput, SourceRecord>(trafficSources, 'traffic source', {
  name: 'name',
  cost_model: 'costModel',
  default_cost_micros: 'defaultCostMicros',
  currency: 'currency',
  external_id_param: 'externalIdParam',
  postback_url: 'postbackUrl',
  template: 'template',
  params: 'params',
  status: 'status',
  tags: 'tags',
  notes: 'notes',
})

/** Lists the workspace's traffic sources, oldest first. */
export const listSources = crud.list
/** One traffic source. @throws AppError 404 when absent from this workspace. */
export const getSource = crud.get
/** Creates a traffic source (bumps the config version). */
export const createSource = crud.create
/** Applies a partial update. @throws AppError 404 when absent from this workspace. */
export const updateSource = crud.update
/** Deletes a traffic source; campaigns using it keep running with `source_id = null`. @throws 404. */
export const deleteSource = crud.remove
