/**
 * Admin routes of traffic source templates and campaign links (documented in `API.md`):
 *
 * - `GET /source-templates` — the catalogue (`source.templates.ts`) and the workspace's saved ones;
 * - `POST /sources/:id/save-as-template {name}` — saves one of the workspace's sources as a template;
 * - `DELETE /source-templates/:id` — deletes a saved template (catalogue entries cannot be);
 * - `GET /campaigns/:id/link` — the campaign link with the source's tokens, built by
 *   `buildCampaignLink` on the configured public URL (`PUBLIC_URL`).
 *
 * Registered by `routingApiRoutes` (same `/api/v1` prefix and auth hook); every handler scopes
 * by `request.auth.workspaceId`, a row of another workspace is a 404.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { errorBody, idParams } from '../../platform/http/schemas.ts'
import type { Db } from '../../platform/db/client.ts'
import { getCampaign } from './repository/campaigns.repository.ts'
import { getSource } from './repository/sources.repository.ts'
import {
  createSavedTemplate,
  deleteSavedTemplate,
  listSavedTemplates,
  type SavedTemplate,
} from './repository/source-templates.repository.ts'
import {
  buildCampaignLink,
  costParam,
  SOURCE_PARAM_TARGETS,
  SOURCE_TEMPLATES,
  type SourceTemplate,
} from './source.templates.ts'

const ts = z.string().describe('ISO 8601 timestamp')
const paramOut = z.object({
  name: z.string(),
  token: z.string(),
  target: z.enum(SOURCE_PARAM_TARGETS),
  label: z.string().optional(),
})

/** A template as the API returns it (catalogue and saved alike). */
export const templateOut = z.object({
  key: z.string().describe('catalogue key, or the saved template id'),
  kind: z.enum(['catalogue', 'saved']),
  id: z.uuid().nullable().describe('saved templates only'),
  name: z.string(),
  cost_model: z.enum(['cpc', 'cpm', 'none']),
  cost_param: z.string().nullable().describe('name of the parameter carrying the cost, if any'),
  external_id_param: z.string(),
  params: z.array(paramOut),
  postback_url: z.string().nullable(),
  docs: z.string(),
  docs_url: z.string().nullable(),
  created_at: ts.nullable(),
})
type TemplateJson = z.output<typeof templateOut>

function templateJson(t: SourceTemplate, saved?: SavedTemplate): TemplateJson {
  return {
    key: t.key,
    kind: saved ? 'saved' : 'catalogue',
    id: saved?.id ?? null,
    name: t.name,
    cost_model: t.costModel,
    cost_param: costParam(t.params)?.name ?? null,
    external_id_param: t.externalIdParam,
    params: t.params.map((p) => ({
      name: p.name,
      token: p.token,
      target: p.target,
      ...(p.label ? { label: p.label } : {}),
    })),
    postback_url: t.postbackUrl,
    docs: t.docs,
    docs_url: t.docsUrl,
    created_at: saved ? saved.createdAt.toISOString() : null,
  }
}
const savedJson = (s: SavedTemplate) => templateJson({ key: s.id, name: s.name, ...s.definition }, s)

const saveBody = z.strictObject({ name: z.string().trim().min(1).max(100) })

const linkOut = z.object({
  url: z.string().describe('the link to paste into the source, its tokens verbatim'),
  base_url: z.string().describe('PUBLIC_URL/c/{alias}'),
  params: z.array(
    paramOut.extend({
      query_param: z
        .string()
        .nullable()
        .describe('the link parameter carrying it; null when the source appends it itself'),
    }),
  ),
  source: z
    .object({
      id: z.uuid(),
      name: z.string(),
      template: z.string(),
      external_id_param: z.string(),
      postback_url: z.string().nullable(),
    })
    .nullable(),
})

const err = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody }

/**
 * Registers the template and campaign-link routes on `app` (called by `routingApiRoutes`).
 * @param publicUrl the public base URL campaign links are built on.
 */
export function registerSourceTemplateRoutes(
  app: FastifyInstance,
  deps: { db: Db; publicUrl: string },
): void {
  const { db } = deps
  type IdReq = FastifyRequest<{ Params: { id: string } }>

  app.get(
    '/source-templates',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['sources'],
        summary: 'Source templates: the catalogue, then the workspace’s saved ones',
        response: { 200: z.object({ items: z.array(templateOut) }), 401: errorBody },
      },
    },
    async (req) => {
      const saved = await listSavedTemplates(db, req.auth.workspaceId)
      return { items: [...SOURCE_TEMPLATES.map((t) => templateJson(t)), ...saved.map(savedJson)] }
    },
  )

  app.post(
    '/sources/:id/save-as-template',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['sources'],
        summary: 'Save a source as a template of this workspace',
        params: idParams,
        body: saveBody,
        response: { 201: templateOut, ...err },
      },
    },
    async (req: IdReq, reply) => {
      const ws = req.auth.workspaceId
      const source = await getSource(db, ws, req.params.id)
      const { name } = req.body as z.output<typeof saveBody>
      const saved = await createSavedTemplate(db, ws, name, {
        costModel: source.costModel,
        externalIdParam: source.externalIdParam,
        params: source.params,
        postbackUrl: source.postbackUrl,
        docs: `Saved from the source “${source.name}”.`,
        docsUrl: null,
      })
      return reply.code(201).send(savedJson(saved))
    },
  )

  app.delete(
    '/source-templates/:id',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['sources'],
        summary: 'Delete a saved template (catalogue entries cannot be deleted)',
        params: idParams,
        response: { 204: z.undefined(), ...err },
      },
    },
    async (req: IdReq, reply) => {
      await deleteSavedTemplate(db, req.auth.workspaceId, req.params.id)
      return reply.code(204).send()
    },
  )

  app.get(
    '/campaigns/:id/link',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['campaigns'],
        summary: "The campaign link with its source's tokens",
        params: idParams,
        response: { 200: linkOut, ...err },
      },
    },
    async (req: IdReq) => {
      const ws = req.auth.workspaceId
      const campaign = await getCampaign(db, ws, req.params.id)
      const source = campaign.sourceId ? await getSource(db, ws, campaign.sourceId) : null
      const link = buildCampaignLink({
        origin: deps.publicUrl,
        alias: campaign.alias,
        params: source?.params ?? [],
        externalIdParam: source?.externalIdParam ?? 'external_id',
      })
      return {
        url: link.url,
        base_url: link.baseUrl,
        params: link.params.map(({ queryParam, label, ...p }) => ({
          ...p,
          ...(label ? { label } : {}),
          query_param: queryParam,
        })),
        source: source
          ? {
              id: source.id,
              name: source.name,
              template: source.template,
              external_id_param: source.externalIdParam,
              postback_url: source.postbackUrl,
            }
          : null,
      }
    },
  )
}
