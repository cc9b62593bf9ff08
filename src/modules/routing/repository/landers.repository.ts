/** Landers of the configuration store (invariants: `scoped.repository.ts`). */
import type { z } from 'zod'
import { landers } from '../routing.tables.ts'
import type { landerInput } from '../routing.schema.ts'
import { scopedCrud } from './scoped.repository.ts'

/** Parsed create body of a lander. */
export type LanderInput = z.output<typeof landerInput>
/** Stored lander. */
export type LanderRecord = typeof landers.$inferSelect

const crud = scopedCrud<LanderInput, LanderRecord>(landers, 'lander', {
  name: 'name',
  url: 'url',
  status: 'status',
  tags: 'tags',
  notes: 'notes',
})

/** Lists the workspace's landers, oldest first (`q` = substring of the name). */
export const listLanders = crud.list
/** One lander. @throws AppError 404 when absent from this workspace. */
export const getLander = crud.get
/** Creates a lander (bumps the config version). */
export const createLander = crud.create
/** Partial update (bumps the config version). @throws AppError 404. */
export const updateLander = crud.update
/** Deletes a lander; it disappears from every stream's lander list (cascade). @throws AppError 404. */
export const deleteLander = crud.remove
