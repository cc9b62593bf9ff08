/**
 * Admin REST routes for the routing configuration, registered under `/api/v1` behind the
 * API app's auth hook (so `request.auth` is always set here). Every handler scopes by
 * `request.auth.workspaceId`. Documented in `API.md` next to this file.
 *
 * Bodies are the zod inputs of `routing.schema.ts`, made strict (unknown top-level keys are
 * a 400, so a typo never silently does nothing). PATCH takes any subset of the same fields:
 * absent = unchanged, `null` = clear (for nullable fields); defaults are *not* re-applied.
 *
 * Configured URLs: every one is http(s) (the schemas' `httpUrl`). URLs the platform fetches
 * are also refused at save time when their host is private (`refusePrivateTargets`): a
 * source's `postback_url` unless OUTBOUND_ALLOW_PRIVATE, a destination's health-check target
 * (`health_check.url`, or the destination `url` an enabled check without its own URL probes)
 * unless HEALTHCHECK_ALLOW_PRIVATE. Destination and trafficback URLs are only redirect
 * targets — the visitor's browser goes there, the server never does — so any host is fine.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { errorBody, idParams, pageResponse } from '../../platform/http/schemas.ts'
import type { AppConfig } from '../../config.ts'
import type { Db } from '../../platform/db/client.ts'
import { refusePrivateTargets } from '../../platform/net/ssrf.ts'
import {
  createSource,
  deleteSource,
  getSource,
  type SourceInput,
  type SourceRecord,
  updateSource,
} from './repository/sources.repository.ts'
import { resolveTemplate } from './repository/source-templates.repository.ts'
import { registerSourceTemplateRoutes } from './source-templates.routes.ts'
import { SOURCE_PARAM_TARGETS, templateSourceFields } from './source.templates.ts'
import {
  createNetwork,
  deleteNetwork,
  getNetwork,
  type NetworkRecord,
  updateNetwork,
} from './repository/networks.repository.ts'
import {
  createDestination,
  deleteDestination,
  type DestinationRecord,
  getDestination,
  updateDestination,
} from './repository/destinations.repository.ts'
import {
  type CampaignRecord,
  createCampaign,
  deleteCampaign,
  getCampaign,
  updateCampaign,
} from './repository/campaigns.repository.ts'
import {
  createStream,
  deleteStream,
  getStream,
  listStreams,
  type StreamRecord,
  updateStream,
} from './repository/streams.repository.ts'
import {
  createLander,
  deleteLander,
  getLander,
  type LanderRecord,
  updateLander,
} from './repository/landers.repository.ts'
import type { Page } from './repository/scoped.repository.ts'
import { listFiltered } from './lists/lists.repository.ts'
import { listRoutes } from './lists/lists.routes.ts'
import {
  affiliateNetworkInput,
  antiRepeatSchema,
  campaignInput,
  destinationInput,
  healthCheckSchema,
  landerInput,
  scheduleSchema,
  streamInput,
  trafficbackSchema,
  trafficSourceInput,
} from './routing.schema.ts'

/** Dependencies of {@link routingApiRoutes}. */
export interface RoutingRoutesDeps {
  db: Db
  /**
   * `publicUrl` builds campaign links: `${publicUrl}/c/${alias}`; the `*_ALLOW_PRIVATE`
   * settings decide whether fetched URLs may name private hosts (checked at save time).
   */
  config: Pick<AppConfig, 'publicUrl' | 'HEALTHCHECK_ALLOW_PRIVATE' | 'OUTBOUND_ALLOW_PRIVATE'>
}

/**
 * PATCH schema of a create schema: every top-level field optional, top-level defaults
 * removed (zod 4 would otherwise fill absent fields with their defaults and a PATCH of one
 * field would reset the others), unknown keys rejected.
 */
export function patchSchema<S extends z.ZodRawShape>(
  schema: z.ZodObject<S>,
): z.ZodType<Partial<z.output<z.ZodObject<S>>>> {
  const shape: Record<string, z.ZodType> = {}
  for (const [key, field] of Object.entries(schema.shape) as [string, z.ZodType][]) {
    shape[key] = (field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : field).optional()
  }
  return z.strictObject(shape) as unknown as z.ZodType<Partial<z.output<z.ZodObject<S>>>>
}

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50).describe('page size, 1–500'),
  offset: z.coerce.number().int().min(0).default(0).describe('rows to skip'),
  q: z.string().trim().max(200).optional().describe('case-insensitive substring of name'),
})

/** List filters of the list pages (`lists/lists.repository.ts` `ListFilters`). */
const tagFilter = z.string().trim().min(1).max(40).optional().describe('only rows carrying this tag')
const statusFilter = <S extends readonly [string, ...string[]]>(values: S) =>
  z
    .enum([...values, 'all'] as [string, ...string[]])
    .optional()
    .describe(`${values.join(' | ')} | all; default: every row that is not archived`)
/** Lists of rows that can be paused (campaigns, offers, landers). */
const pausableListQuery = listQuery.extend({
  status: statusFilter(['active', 'paused', 'archived']),
  tag: tagFilter,
})
const archiveListQuery = listQuery.extend({ status: statusFilter(['active', 'archived']), tag: tagFilter })
const campaignListQuery = pausableListQuery.extend({
  source_id: z.uuid().optional().describe("only this source's campaigns"),
  group: z.string().trim().max(60).optional().describe('only this group; empty = ungrouped campaigns'),
})

const ts = z.string().describe('ISO 8601 timestamp')
const iso = (d: Date) => d.toISOString()
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null)

// --- response shapes (snake_case, like the inputs, plus id and timestamps) ---------------

const sourceOut = z.object({
  id: z.uuid(),
  name: z.string(),
  cost_model: z.enum(['cpc', 'cpm', 'none']),
  default_cost_micros: z.number(),
  currency: z.string(),
  external_id_param: z.string(),
  postback_url: z.string().nullable(),
  template: z.string().describe("catalogue key or saved template id it was made from, 'custom' when none"),
  params: z.array(
    z.object({
      name: z.string(),
      token: z.string(),
      target: z.enum(SOURCE_PARAM_TARGETS),
      label: z.string().optional(),
    }),
  ),
  status: z.enum(['active', 'archived']),
  tags: z.array(z.string()),
  notes: z.string(),
  created_at: ts,
  updated_at: ts,
})
const sourceJson = (r: SourceRecord): z.output<typeof sourceOut> => ({
  id: r.id,
  name: r.name,
  cost_model: r.costModel,
  default_cost_micros: r.defaultCostMicros,
  currency: r.currency,
  external_id_param: r.externalIdParam,
  postback_url: r.postbackUrl,
  template: r.template,
  params: r.params,
  status: r.status,
  tags: r.tags,
  notes: r.notes,
  created_at: iso(r.createdAt),
  updated_at: iso(r.updatedAt),
})

const networkOut = z.object({
  id: z.uuid(),
  name: z.string(),
  postback_template: z.string(),
  has_postback_secret: z.boolean().describe('the secret itself is write-only'),
  ip_allowlist: z.array(z.string()),
  status: z.enum(['active', 'archived']),
  tags: z.array(z.string()),
  notes: z.string(),
  created_at: ts,
  updated_at: ts,
})
const networkJson = (r: NetworkRecord): z.output<typeof networkOut> => ({
  id: r.id,
  name: r.name,
  postback_template: r.postbackTemplate,
  has_postback_secret: Boolean(r.postbackSecret),
  ip_allowlist: r.ipAllowlist,
  status: r.status,
  tags: r.tags,
  notes: r.notes,
  created_at: iso(r.createdAt),
  updated_at: iso(r.updatedAt),
})

const destinationOut = z.object({
  id: z.uuid(),
  name: z.string(),
  url: z.string(),
  network_id: z.uuid().nullable(),
  payout_cents: z.number(),
  currency: z.string(),
  status: z.enum(['active', 'paused', 'archived']),
  schedule: scheduleSchema.nullable(),
  daily_click_cap: z.number().nullable(),
  total_click_cap: z.number().nullable(),
  cap_timezone: z.string(),
  health_check: healthCheckSchema.nullable(),
  health: z.enum(['unknown', 'healthy', 'unhealthy']).describe('read-only, set by the health checker'),
  health_checked_at: ts.nullable(),
  tags: z.array(z.string()),
  notes: z.string(),
  created_at: ts,
  updated_at: ts,
})
const destinationJson = (r: DestinationRecord): z.output<typeof destinationOut> => ({
  id: r.id,
  name: r.name,
  url: r.url,
  network_id: r.networkId,
  payout_cents: r.payoutCents,
  currency: r.currency,
  status: r.status,
  schedule: r.schedule ?? null,
  daily_click_cap: r.dailyClickCap,
  total_click_cap: r.totalClickCap,
  cap_timezone: r.capTimezone,
  health_check: r.healthCheck ?? null,
  health: r.health,
  health_checked_at: isoOrNull(r.healthCheckedAt),
  tags: r.tags,
  notes: r.notes,
  created_at: iso(r.createdAt),
  updated_at: iso(r.updatedAt),
})

const landerOut = z.object({
  id: z.uuid(),
  name: z.string(),
  url: z.string(),
  status: z.enum(['active', 'paused', 'archived']),
  tags: z.array(z.string()),
  notes: z.string(),
  created_at: ts,
  updated_at: ts,
})
const landerJson = (r: LanderRecord): z.output<typeof landerOut> => ({
  id: r.id,
  name: r.name,
  url: r.url,
  status: r.status,
  tags: r.tags,
  notes: r.notes,
  created_at: iso(r.createdAt),
  updated_at: iso(r.updatedAt),
})

function campaignOutSchema() {
  return z.object({
    id: z.uuid(),
    name: z.string(),
    alias: z.string(),
    url: z.string().describe('campaign link: PUBLIC_URL/c/{alias}'),
    source_id: z.uuid().nullable(),
    status: z.enum(['active', 'paused', 'archived']),
    timezone: z.string(),
    cost_micros: z.number().nullable(),
    currency: z.string(),
    trafficback: trafficbackSchema,
    anti_repeat: antiRepeatSchema,
    tags: z.array(z.string()),
    group_name: z.string().nullable().describe('the group (folder) it is listed under; null = ungrouped'),
    notes: z.string(),
    created_at: ts,
    updated_at: ts,
  })
}
const campaignOut = campaignOutSchema()
const campaignJson =
  (publicUrl: string) =>
  (r: CampaignRecord): z.output<typeof campaignOut> => ({
    id: r.id,
    name: r.name,
    alias: r.alias,
    url: `${publicUrl}/c/${r.alias}`,
    source_id: r.sourceId,
    status: r.status,
    timezone: r.timezone,
    cost_micros: r.costMicros,
    currency: r.currency,
    trafficback: r.trafficback,
    anti_repeat: r.antiRepeat,
    tags: r.tags,
    group_name: r.groupName,
    notes: r.notes,
    created_at: iso(r.createdAt),
    updated_at: iso(r.updatedAt),
  })

// The input conditions schema normalises values with transforms, which cannot be encoded;
// responses describe the stored (already normalised) shape instead.
const join = z.enum(['and', 'or'])
const conditionsOut = z.object({
  join,
  groups: z.array(
    z.object({
      join,
      rules: z.array(z.object({ type: z.string(), op: z.enum(['is', 'is_not']) }).catchall(z.unknown())),
    }),
  ),
})
const streamOut = z.object({
  id: z.uuid(),
  campaign_id: z.uuid(),
  name: z.string(),
  kind: z.enum(['forced', 'regular', 'default']),
  priority: z.number(),
  conditions: conditionsOut,
  strategy: z.enum(['waterfall', 'round_robin', 'weighted', 'best_roi']),
  exploration: z.number(),
  active: z.boolean(),
  destinations: z.array(z.object({ destination_id: z.uuid(), weight: z.number(), active: z.boolean() })),
  landers: z.array(z.object({ lander_id: z.uuid(), weight: z.number(), active: z.boolean() })),
  created_at: ts,
  updated_at: ts,
})
const streamJson = (r: StreamRecord): z.output<typeof streamOut> => ({
  id: r.id,
  campaign_id: r.campaignId,
  name: r.name,
  kind: r.kind,
  priority: r.priority,
  conditions: r.conditions as z.output<typeof conditionsOut>,
  strategy: r.strategy,
  // float4 column: round away the single-precision noise (0.1 → 0.10000000149…).
  exploration: Math.round(r.exploration * 1e6) / 1e6,
  active: r.active,
  destinations: r.destinations.map((d) => ({
    destination_id: d.destinationId,
    weight: d.weight,
    active: d.active,
  })),
  landers: r.landers.map((l) => ({ lander_id: l.landerId, weight: l.weight, active: l.active })),
  created_at: iso(r.createdAt),
  updated_at: iso(r.updatedAt),
})

// --- generic CRUD registration -------------------------------------------------------------

interface CrudSpec<R, Q extends z.ZodObject, C extends z.ZodType, P extends z.ZodType, O extends z.ZodType> {
  path: string
  tag: string
  query: Q
  create: C
  patch: P
  out: O
  json(r: R): z.output<O>
  list(ws: string, q: z.output<Q>): Promise<Page<R>>
  get(ws: string, id: string): Promise<R>
  /**
   * Checks that need I/O (DNS) before a create (`id` undefined) or an update; throws an
   * AppError (400 naming the field) to refuse. Nothing is written when it throws.
   */
  check?(ws: string, body: z.output<C> | z.output<P>, id?: string): Promise<void>
  insert(ws: string, body: z.output<C>): Promise<R>
  update(ws: string, id: string, body: z.output<P>): Promise<R>
  remove(ws: string, id: string): Promise<void>
}

function crud<R, Q extends z.ZodObject, C extends z.ZodType, P extends z.ZodType, O extends z.ZodType>(
  app: FastifyInstance,
  s: CrudSpec<R, Q, C, P, O>,
): void {
  // Handlers see the already-validated (zod-parsed) values; the generic spec keeps them
  // typed at the call sites, so plain casts here are safe.
  type IdReq = FastifyRequest<{ Params: { id: string } }>
  const err = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody }
  app.get(
    s.path,
    {
      config: { scope: 'read' },
      schema: {
        tags: [s.tag],
        summary: `List ${s.tag}`,
        querystring: s.query,
        response: {
          200: pageResponse(s.out),
          400: errorBody,
          401: errorBody,
        },
      },
    },
    async (req) => {
      const q = req.query as z.output<Q> & { limit: number; offset: number }
      const p = await s.list(req.auth.workspaceId, q)
      return { items: p.items.map((r) => s.json(r)), total: p.total, limit: q.limit, offset: q.offset }
    },
  )
  app.post(
    s.path,
    {
      config: { scope: 'write' },
      schema: { tags: [s.tag], summary: `Create`, body: s.create, response: { 201: s.out, ...err } },
    },
    async (req, reply) => {
      await s.check?.(req.auth.workspaceId, req.body as z.output<C>)
      const row = await s.insert(req.auth.workspaceId, req.body as z.output<C>)
      return reply.code(201).send(s.json(row))
    },
  )
  app.get(
    `${s.path}/:id`,
    {
      config: { scope: 'read' },
      schema: { tags: [s.tag], summary: 'Get one', params: idParams, response: { 200: s.out, ...err } },
    },
    async (req: IdReq) => s.json(await s.get(req.auth.workspaceId, req.params.id)),
  )
  app.patch(
    `${s.path}/:id`,
    {
      config: { scope: 'write' },
      schema: {
        tags: [s.tag],
        summary: 'Update some fields (absent = unchanged, null = clear)',
        params: idParams,
        body: s.patch,
        response: { 200: s.out, ...err },
      },
    },
    async (req: IdReq) => {
      await s.check?.(req.auth.workspaceId, req.body as z.output<P>, req.params.id)
      return s.json(await s.update(req.auth.workspaceId, req.params.id, req.body as z.output<P>))
    },
  )
  app.delete(
    `${s.path}/:id`,
    {
      config: { scope: 'write' },
      schema: {
        tags: [s.tag],
        summary: 'Delete',
        params: idParams,
        response: { 204: z.undefined(), ...err },
      },
    },
    async (req: IdReq, reply) => {
      await s.remove(req.auth.workspaceId, req.params.id)
      return reply.code(204).send()
    },
  )
}

/**
 * The routing configuration API: `/sources`, `/networks`, `/destinations` (alias `/offers`),
 * `/landers`, `/campaigns`, `/streams`, each with list / create / get / patch / delete. Register under `/api/v1` after
 * the auth hook.
 */
export function routingApiRoutes(deps: RoutingRoutesDeps): FastifyPluginAsync {
  const { db, config } = deps
  const outboundTargets = (b: { postback_url?: string | null | undefined }) =>
    refusePrivateTargets([{ path: 'postback_url', url: b.postback_url }], {
      allowPrivate: config.OUTBOUND_ALLOW_PRIVATE,
      setting: 'OUTBOUND_ALLOW_PRIVATE',
    })
  // The health checker probes `health_check.url`, else the destination's own URL (macros
  // emptied) while the check is enabled: check what would be probed after this save.
  const healthTargets = async (
    ws: string,
    b: Partial<Pick<z.output<typeof destinationInput>, 'url' | 'health_check'>>,
    id?: string,
  ) => {
    if (config.HEALTHCHECK_ALLOW_PRIVATE || (b.url === undefined && b.health_check === undefined)) return
    const cur = id === undefined ? undefined : await getDestination(db, ws, id)
    const hc = b.health_check !== undefined ? b.health_check : cur?.healthCheck
    if (!hc) return
    const target = hc.url
      ? { path: 'health_check.url', url: hc.url }
      : hc.enabled
        ? { path: b.url !== undefined ? 'url' : 'health_check.enabled', url: b.url ?? cur?.url }
        : undefined
    if (target)
      await refusePrivateTargets([target], { allowPrivate: false, setting: 'HEALTHCHECK_ALLOW_PRIVATE' })
  }
  /**
   * A new source made from a template gets what the body leaves out from it: `params` when
   * absent, `cost_model` when 'none', `external_id_param` when 'external_id', `postback_url`
   * when absent. @throws AppError 400 naming `template` when it names no template.
   */
  const fromTemplate = async (ws: string, b: SourceInput): Promise<SourceInput> => {
    const t = templateSourceFields(await resolveTemplate(db, ws, b.template))
    return {
      ...b,
      params: b.params ?? t.params,
      cost_model: b.cost_model === 'none' ? t.cost_model : b.cost_model,
      external_id_param: b.external_id_param === 'external_id' ? t.external_id_param : b.external_id_param,
      postback_url: b.postback_url === undefined ? t.postback_url : b.postback_url,
    }
  }
  return async (app) => {
    registerSourceTemplateRoutes(app, { db, publicUrl: config.publicUrl })
    crud(app, {
      path: '/sources',
      tag: 'sources',
      query: archiveListQuery,
      create: z.strictObject(trafficSourceInput.shape),
      patch: patchSchema(trafficSourceInput),
      out: sourceOut,
      json: sourceJson,
      // A create is checked in `insert`, after the template filled it in.
      check: async (ws, b, id) => {
        if (id === undefined) return
        if (b.template !== undefined) await resolveTemplate(db, ws, b.template)
        await outboundTargets(b)
      },
      list: (ws, q) => listFiltered<SourceRecord>(db, 'sources', ws, q),
      get: (ws, id) => getSource(db, ws, id),
      insert: async (ws, b) => {
        const filled = await fromTemplate(ws, b)
        await outboundTargets(filled)
        return createSource(db, ws, filled)
      },
      update: (ws, id, b) => updateSource(db, ws, id, b),
      remove: (ws, id) => deleteSource(db, ws, id),
    })
    crud(app, {
      path: '/networks',
      tag: 'networks',
      query: archiveListQuery,
      create: z.strictObject(affiliateNetworkInput.shape),
      patch: patchSchema(affiliateNetworkInput),
      out: networkOut,
      json: networkJson,
      list: (ws, q) => listFiltered<NetworkRecord>(db, 'networks', ws, q),
      get: (ws, id) => getNetwork(db, ws, id),
      insert: (ws, b) => createNetwork(db, ws, b),
      update: (ws, id, b) => updateNetwork(db, ws, id, b),
      remove: (ws, id) => deleteNetwork(db, ws, id),
    })
    // Offers are the destinations: `/offers` is the name the UI uses, `/destinations` the
    // original path, kept as an alias (same rows, same shapes).
    for (const [path, tag] of [
      ['/destinations', 'destinations'],
      ['/offers', 'offers'],
    ] as const) {
      crud(app, {
        path,
        tag,
        query: pausableListQuery,
        create: z.strictObject(destinationInput.shape),
        patch: patchSchema(destinationInput),
        out: destinationOut,
        json: destinationJson,
        check: healthTargets,
        list: (ws, q) => listFiltered<DestinationRecord>(db, 'offers', ws, q),
        get: (ws, id) => getDestination(db, ws, id),
        insert: (ws, b) => createDestination(db, ws, b),
        update: (ws, id, b) => updateDestination(db, ws, id, b),
        remove: (ws, id) => deleteDestination(db, ws, id),
      })
    }
    crud(app, {
      path: '/landers',
      tag: 'landers',
      query: pausableListQuery,
      create: z.strictObject(landerInput.shape),
      patch: patchSchema(landerInput),
      out: landerOut,
      json: landerJson,
      list: (ws, q) => listFiltered<LanderRecord>(db, 'landers', ws, q),
      get: (ws, id) => getLander(db, ws, id),
      insert: (ws, b) => createLander(db, ws, b),
      update: (ws, id, b) => updateLander(db, ws, id, b),
      remove: (ws, id) => deleteLander(db, ws, id),
    })
    crud(app, {
      path: '/campaigns',
      tag: 'campaigns',
      query: campaignListQuery,
      create: z.strictObject(campaignInput.shape),
      patch: patchSchema(campaignInput),
      out: campaignOut,
      json: campaignJson(deps.config.publicUrl),
      list: (ws, q) => listFiltered<CampaignRecord>(db, 'campaigns', ws, q),
      get: (ws, id) => getCampaign(db, ws, id),
      insert: (ws, b) => createCampaign(db, ws, b),
      update: (ws, id, b) => updateCampaign(db, ws, id, b),
      remove: (ws, id) => deleteCampaign(db, ws, id),
    })
    crud(app, {
      path: '/streams',
      tag: 'streams',
      query: listQuery.extend({ campaign_id: z.uuid().optional().describe("only this campaign's streams") }),
      create: z.strictObject(streamInput.shape),
      patch: patchSchema(streamInput),
      out: streamOut,
      json: streamJson,
      list: (ws, q) => listStreams(db, ws, { ...q, campaignId: q.campaign_id }),
      get: (ws, id) => getStream(db, ws, id),
      insert: (ws, b) => createStream(db, ws, b),
      update: (ws, id, b) => updateStream(db, ws, id, b),
      remove: (ws, id) => deleteStream(db, ws, id),
    })
    // Bulk actions of the list pages and campaign clones (lists/lists.routes.ts).
    listRoutes(app, { db, campaignOut, campaignJson: campaignJson(deps.config.publicUrl) })
  }
}
