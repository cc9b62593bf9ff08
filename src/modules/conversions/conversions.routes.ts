/**
 * Admin routes of the conversions module, registered under `/api/v1` behind the API app's
 * auth hook (`request.auth` is set). Every query is scoped to `request.auth.workspaceId`;
 * a row of another workspace answers 404 like a missing one.
 *
 * - `GET /postback-logs` — the postback log, newest first, with filters;
 * - `GET /conversions`, `GET /conversions/:id` (with its events);
 * - `GET|PUT /networks/:id/postback-settings` — template, parameter names, status map,
 *   default status, and a ready-to-paste postback URL;
 * - `GET /networks/:id/postback-secret` — the network's secret and the URL carrying it, for
 *   the workspace's owners and admins (members: 403).
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { pageResponse } from '../../platform/http/schemas.ts'
import type { Db } from '../../platform/db/client.ts'
import { badRequest, forbidden } from '../../platform/errors.ts'
import { getWorkspaceAccess } from '../accounts/index.ts'
import { type ConversionStatus, SUB_KEYS } from './conversions.core.ts'
import {
  type ConversionEventRow,
  type ConversionRow,
  getConversion,
  getNetworkPostback,
  listConversions,
  listPostbackLogs,
  type PostbackLogRow,
  updateNetworkPostback,
} from './conversions.repository.ts'
import {
  type ConversionListQuery,
  conversionEventOut,
  conversionListQuery,
  conversionOut,
  type PostbackLogQuery,
  postbackLogOut,
  postbackLogQuery,
  type PostbackSettingsInput,
  postbackSettingsInput,
  postbackSecretOut,
  postbackSettingsOut,
} from './conversions.schema.ts'
import { errorBody, idParams } from '../../platform/http/schemas.ts'
import {
  effectiveParams,
  type PostbackSettings,
  postbackUrlFor,
  postbackUrlWithSecret,
} from './postback.parse.ts'

/** Dependencies of {@link conversionsApiRoutes}. */
export interface ConversionsApiDeps {
  db: Db
  /** Public base URL (`config.publicUrl`), used in the example postback URL. */
  publicUrl: string
}

const iso = (d: Date) => d.toISOString()

/** API shape of a postback log row. */
export function postbackLogJson(r: PostbackLogRow): z.output<typeof postbackLogOut> {
  return {
    id: r.id,
    received_at: iso(r.receivedAt),
    network_id: r.networkId,
    method: r.method,
    query: r.query,
    body: r.body,
    ip: r.ip,
    outcome: r.outcome,
    http_status: r.httpStatus,
    reason: r.reason,
    click_id: r.clickId,
    transaction_id: r.transactionId,
    status: r.status,
    payout_micros: r.payoutMicros,
    conversion_id: r.conversionId,
  }
}

/** API shape of a conversion row. */
export function conversionJson(r: ConversionRow): z.output<typeof conversionOut> {
  return {
    id: r.id,
    network_id: r.networkId,
    click_id: r.clickId,
    transaction_id: r.transactionId,
    status: r.status,
    seen_statuses: r.seenStatuses as ConversionStatus[],
    payout_micros: r.payoutMicros,
    revenue_micros: r.revenueMicros,
    currency: r.currency,
    version: r.version,
    campaign_id: r.campaignId,
    stream_id: r.streamId,
    destination_id: r.destinationId,
    source_id: r.sourceId,
    country: r.country,
    device: r.device,
    os: r.os,
    browser: r.browser,
    external_id: r.externalId,
    cost_micros: r.costMicros,
    click_ts: iso(r.clickTs),
    subs: Object.fromEntries(SUB_KEYS.map((k) => [k, r[k]])),
    created_at: iso(r.createdAt),
    updated_at: iso(r.updatedAt),
  }
}

function eventJson(e: ConversionEventRow): z.output<typeof conversionEventOut> {
  return {
    seq: e.seq,
    ts: iso(e.ts),
    status: e.status as ConversionStatus,
    previous_status: e.previousStatus,
    conversions_delta: e.conversionsDelta,
    revenue_delta_micros: e.revenueDeltaMicros,
    payout_micros: e.payoutMicros,
    currency: e.currency,
    synced_at: e.syncedAt ? iso(e.syncedAt) : null,
  }
}

function settingsJson(publicUrl: string, r: Awaited<ReturnType<typeof getNetworkPostback>>) {
  const settings = {
    template: r.postbackTemplate as PostbackSettings['template'],
    params: r.postbackParams ?? {},
  }
  const eff = effectiveParams(settings)
  const effective: Record<string, string> = {}
  if (eff) {
    for (const [k, v] of Object.entries(eff)) if (typeof v === 'string') effective[k] = v
    for (const [k, v] of Object.entries(eff.subs)) if (v) effective[k] = v
  }
  return {
    network_id: r.id,
    template: settings.template,
    params: settings.params,
    status_map: r.statusMap ?? {},
    default_status: r.defaultStatus,
    has_postback_secret: Boolean(r.postbackSecret),
    ip_allowlist: r.ipAllowlist ?? [],
    effective_params: effective,
    postback_url: postbackUrlFor(publicUrl, r.id, settings, Boolean(r.postbackSecret)),
  }
}

const err = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody }

/**
 * The conversions admin API (see file comment). Register under `/api/v1` through
 * `createAdminApi({ plugins: [{ plugin: conversionsApiRoutes({ db, publicUrl }) }] })`.
 */
export function conversionsApiRoutes(deps: ConversionsApiDeps): FastifyPluginAsync {
  const { db } = deps
  return async (app) => {
    app.get(
      '/postback-logs',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['conversions'],
          summary: 'Inbound postback log, newest first',
          querystring: postbackLogQuery,
          response: {
            200: pageResponse(postbackLogOut),
            ...err,
          },
        },
      },
      async (req) => {
        const q = req.query as PostbackLogQuery
        // Global admins also see requests whose network was unknown (no workspace).
        const p = await listPostbackLogs(db, req.auth.workspaceId, q, {
          includeUnattributed: req.auth.role === 'admin',
        })
        return { items: p.items.map(postbackLogJson), total: p.total, limit: q.limit, offset: q.offset }
      },
    )

    app.get(
      '/conversions',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['conversions'],
          summary: 'Conversions, newest first',
          querystring: conversionListQuery,
          response: {
            200: pageResponse(conversionOut),
            ...err,
          },
        },
      },
      async (req) => {
        const q = req.query as ConversionListQuery
        const p = await listConversions(db, req.auth.workspaceId, q)
        return { items: p.items.map(conversionJson), total: p.total, limit: q.limit, offset: q.offset }
      },
    )

    app.get(
      '/conversions/:id',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['conversions'],
          summary: 'One conversion with its events',
          params: idParams,
          response: { 200: conversionOut.extend({ events: z.array(conversionEventOut) }), ...err },
        },
      },
      async (req: FastifyRequest<{ Params: { id: string } }>) => {
        const { conversion, events } = await getConversion(db, req.auth.workspaceId, req.params.id)
        return { ...conversionJson(conversion), events: events.map(eventJson) }
      },
    )

    app.get(
      '/networks/:id/postback-settings',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['conversions'],
          summary: "A network's postback settings and its postback URL",
          params: idParams,
          response: { 200: postbackSettingsOut, ...err },
        },
      },
      async (req: FastifyRequest<{ Params: { id: string } }>) =>
        settingsJson(deps.publicUrl, await getNetworkPostback(db, req.auth.workspaceId, req.params.id)),
    )

    app.get(
      '/networks/:id/postback-secret',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['conversions'],
          summary: "A network's postback secret and the postback URL carrying it (owners and admins)",
          description:
            "For the workspace's owners and admins (and platform admins in admin view); a member gets 403 `forbidden`. " +
            "`postback_url` is the settings' URL with the real secret in place of `{secret}`: only the network's macros are left as `{…}`.",
          params: idParams,
          response: { 200: postbackSecretOut, ...err },
        },
      },
      async (req: FastifyRequest<{ Params: { id: string } }>) => {
        const access = await getWorkspaceAccess(db, req.auth.workspaceId, req.auth.userId)
        if (access?.role !== 'owner' && access?.role !== 'admin')
          throw forbidden('only workspace owners and admins can read the postback secret')
        const r = await getNetworkPostback(db, req.auth.workspaceId, req.params.id)
        const settings = settingsJson(deps.publicUrl, r)
        return {
          network_id: r.id,
          secret: r.postbackSecret ?? null,
          postback_url: postbackUrlWithSecret(settings.postback_url, r.postbackSecret),
        }
      },
    )

    app.put(
      '/networks/:id/postback-settings',
      {
        config: { scope: 'write' },
        schema: {
          tags: ['conversions'],
          summary: 'Update postback settings (absent = unchanged; params and status_map replace as a whole)',
          params: idParams,
          body: postbackSettingsInput,
          response: { 200: postbackSettingsOut, ...err },
        },
      },
      async (req: FastifyRequest<{ Params: { id: string }; Body: PostbackSettingsInput }>) => {
        const body = req.body
        if (body.template === 'custom' || body.params) {
          // A custom template must end up with a click ID parameter.
          const current = await getNetworkPostback(db, req.auth.workspaceId, req.params.id)
          const template = body.template ?? (current.postbackTemplate as PostbackSettings['template'])
          const params = body.params ?? current.postbackParams ?? {}
          if (!effectiveParams({ template, params })) {
            throw badRequest('params.click_id: required for the custom template', [
              { path: 'params.click_id', message: 'required for the custom template' },
            ])
          }
        }
        return settingsJson(
          deps.publicUrl,
          await updateNetworkPostback(db, req.auth.workspaceId, req.params.id, body),
        )
      },
    )
  }
}
