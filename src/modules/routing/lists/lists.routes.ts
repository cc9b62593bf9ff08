/**
 * Routes of the list pages that write configuration, registered by `routingApiRoutes`
 * (under `/api/v1`, behind the auth hook; every handler scopes by `request.auth.workspaceId`):
 *
 * - `POST /campaigns/bulk`, `/offers/bulk` (= `/destinations/bulk`), `/landers/bulk`,
 *   `/sources/bulk`, `/networks/bulk` — one bulk action over checked rows, all-or-nothing →
 *   `{updated}`;
 * - `POST /campaigns/:id/clone` — a paused copy with its streams, offer and lander lists.
 *
 * Documented in `../API.md` ("List pages").
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { errorBody, idParams } from '../../../platform/http/schemas.ts'
import type { CampaignRecord } from '../repository/campaigns.repository.ts'
import { type BulkInput, bulkInput, type CloneInput, cloneInput, type ListKind } from '../routing.schema.ts'
import { bulkUpdate, cloneCampaign } from './lists.repository.ts'
import type { Db } from '../../../platform/db/client.ts'

/** Dependencies of {@link listRoutes}: the database and the campaign response of the CRUD routes. */
export interface ListRoutesDeps<O extends z.ZodType> {
  db: Db
  campaignOut: O
  campaignJson: (r: CampaignRecord) => z.output<O>
}

/** URL prefix → list (offers answer under both their names). */
const BULK_PATHS: [string, ListKind][] = [
  ['/campaigns', 'campaigns'],
  ['/offers', 'offers'],
  ['/destinations', 'offers'],
  ['/landers', 'landers'],
  ['/sources', 'sources'],
  ['/networks', 'networks'],
]

const err = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody }

/** Registers the bulk and clone routes on `app` (see the file comment). */
export function listRoutes<O extends z.ZodType>(app: FastifyInstance, deps: ListRoutesDeps<O>): void {
  for (const [path, kind] of BULK_PATHS) {
    app.post(
      `${path}/bulk`,
      {
        config: { scope: 'write' },
        schema: {
          tags: [path.slice(1)],
          summary: 'One action over many rows (all-or-nothing)',
          body: bulkInput,
          response: { 200: z.object({ updated: z.number() }), ...err },
        },
      },
      async (req) => bulkUpdate(deps.db, kind, req.auth.workspaceId, req.body as BulkInput),
    )
  }
  app.post(
    '/campaigns/:id/clone',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['campaigns'],
        summary: 'Clone a campaign with its streams (paused, new alias)',
        params: idParams,
        body: cloneInput.nullish().describe('optional; no body = defaults'),
        response: { 201: deps.campaignOut, ...err },
      },
    },
    async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
      const body = (req.body ?? {}) as CloneInput
      const row = await cloneCampaign(deps.db, req.auth.workspaceId, req.params.id, body)
      return reply.code(201).send(deps.campaignJson(row))
    },
  )
}
