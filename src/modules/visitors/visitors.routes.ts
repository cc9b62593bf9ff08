/**
 * Visitor projects API under `/api/v1` (workspace-scoped; another workspace's project is a
 * 404). See `README.md` beside this file, sections "Projects" and "Ownership verification".
 *
 * - `GET /projects`, `POST /projects`, `GET/PATCH/DELETE /projects/:id` — CRUD; `settings`
 *   kept verbatim, engine fields validated with field-level errors; DELETE refused (409)
 *   while the project is active or holds reserved credits;
 * - `POST /projects/:id/start` — 409 `host_not_verified` naming the hosts unless every host
 *   of its URLs is verified (re-checked over the network now); then `active`;
 * - `POST /projects/:id/stop` — `stopped`;
 * - `GET /projects/:id/verification` — hosts, status, token and instructions;
 * - `POST /projects/:id/verification/check` — checks every host now ("check now");
 * - `GET /visitors/egress` — `{countries}`: the countries with an egress proxy (geo targets
 *   naming any other country are refused at save, 400, and at start, 409 `no_egress`);
 * - `GET /visitors/config` — `{speed: {min_per_minute, max_per_minute}, countries}`: the
 *   speed range the rate and estimate use (`VISITORS_*_PER_MINUTE`) and the egress countries.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { type Clock, nowMs } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/client.ts'
import { AppError, badRequest, conflict } from '../../platform/errors.ts'
import { errorBody, idParams, pageResponse } from '../../platform/http/schemas.ts'
import {
  deleteProject,
  getProject,
  type HostRow,
  hostRows,
  insertProject,
  listProjects,
  type ProjectRow,
  updateProject,
} from './visitors.projects.repository.ts'
import {
  projectCreate,
  projectListQuery,
  projectOut,
  projectPatch,
  verificationOut,
} from './visitors.projects.schema.ts'
import {
  DEFAULT_SPEED_RANGE,
  type EngineSettings,
  estimateDaily,
  parseEngineSettings,
  settingsBoundsProblem,
  type SpeedRange,
  type TierLike,
} from './visitors.settings.ts'
import {
  DEFAULT_STALE_HOURS,
  type HostTarget,
  hostTargets,
  instructions,
  isStale,
  verificationToken,
} from './visitors.verify.core.ts'
import { checkHost, recheckHosts, type VerifyDeps } from './visitors.verify.ts'
import { missingEgress } from './visitors.geo.core.ts'

/** Dependencies of {@link visitorProjectRoutes}. */
export interface VisitorProjectRoutesDeps {
  db: Db
  clock: Clock
  /** Token key, `VISITORS_ALLOW_PRIVATE`, injectable resolvers (see {@link VerifyDeps}). */
  verify: Omit<VerifyDeps, 'db'>
  /** `VISITORS_MIN_PER_MINUTE` / `VISITORS_MAX_PER_MINUTE`; default 1..600. */
  speedRange?: SpeedRange
  /** Billing's price tiers for the estimate (config `BILLING_PRICE_TIERS`); default billing's curve. */
  priceTiers: readonly TierLike[]
  /** `VISITORS_VERIFY_STALE_HOURS`: a verification older than this counts as not verified. */
  staleHours?: number
  /**
   * Countries with an egress proxy (`VISITORS_EGRESS`'s keys). `geoTargets` naming another
   * country are refused. Undefined: not checked here (API tests of other concerns); the engine
   * still never sends such a visit out direct (it pauses the project, `no_egress`).
   */
  egressCountries?: readonly string[]
}

const err = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody }
const tags = ['visitors']

const iso = (d: Date | null) => (d ? d.toISOString() : null)

/** The URLs of stored settings (already validated when saved). */
function urlsOf(settings: Record<string, unknown>): string[] {
  const r = parseEngineSettings(settings)
  return r.ok ? r.settings.urls.map((u) => u.url) : []
}

/**
 * Validates a submitted settings object: bounds (413 past 64 KiB, 400 past 10 levels), then
 * the engine fields.
 * @throws AppError 413 `payload_too_large` / 400 `validation_failed` with `details` naming fields.
 */
function checkSettings(settings: Record<string, unknown>, egress?: readonly string[]): EngineSettings {
  const b = settingsBoundsProblem(settings)
  if (b) {
    const details = [{ path: 'settings', message: b.message }]
    if (b.status === 413) throw new AppError(413, 'payload_too_large', b.message, details)
    throw badRequest(`invalid body: settings: ${b.message}`, details)
  }
  const r = parseEngineSettings(settings)
  // Countries without egress are field errors too: a visit for X must leave through X's proxy.
  const details = r.ok ? (egress ? missingEgress(r.settings.geoTargets, egress) : []) : r.details
  if (!r.ok || details.length > 0) {
    const summary = details
      .slice(0, 5)
      .map((d) => `${d.path}: ${d.message}`)
      .join('; ')
    throw badRequest(`invalid body: ${summary}`, details)
  }
  return r.settings
}

/**
 * The visitor projects and ownership verification API (see file comment). Register under
 * `/api/v1` through `createAdminApi({ plugins: [{ plugin: visitorProjectRoutes(deps) }] })`.
 */
export function visitorProjectRoutes(deps: VisitorProjectRoutesDeps): FastifyPluginAsyncZod {
  const { db, clock } = deps
  const staleHours = deps.staleHours ?? DEFAULT_STALE_HOURS
  const verifyDeps: VerifyDeps = { db, ...deps.verify }

  const projectJson = (r: ProjectRow) => {
    const s = parseEngineSettings(r.settings)
    const e = s.ok
      ? estimateDaily(
          { trafficSpeed: s.settings.trafficSpeed, dailyLimit: r.dailyLimit },
          deps.priceTiers,
          deps.speedRange,
        )
      : null
    return {
      id: r.id,
      name: r.name,
      status: r.status,
      pause_reason: r.pauseReason,
      plan_type: r.planType,
      daily_limit: r.dailyLimit,
      total_target: r.totalTarget,
      expires_at: iso(r.expiresAt),
      timezone: r.timezone,
      settings: r.settings,
      visits_done: r.visitsDone,
      estimate: e && {
        visits_per_minute: e.visitsPerMinute,
        visits_per_day: e.visitsPerDay,
        credits_per_day: e.creditsPerDay,
        rate_minor_per_1000: e.rateMinorPer1000,
        cost_minor_per_day: e.costMinorPerDay,
      },
      created_at: r.createdAt.toISOString(),
      updated_at: r.updatedAt.toISOString(),
    }
  }

  /** Whether a host row counts as verified now (verified and not stale). */
  const verifiedNow = (row: HostRow | undefined, now: Date) =>
    row?.status === 'verified' && !isStale(row.verifiedAt, now, staleHours)

  const viewStatus = (row: HostRow | undefined, now: Date) =>
    !row
      ? ('pending' as const)
      : row.status === 'verified' && isStale(row.verifiedAt, now, staleHours)
        ? ('stale' as const)
        : row.status

  /** 409 `host_not_verified` naming each host (and the first URL of it in `details`). */
  const notVerified = (urls: string[], failed: { host: string; error: string }[]) => {
    const details = failed.map((f) => {
      const i = urls.findIndex((u) => URL.parse(u)?.host === f.host)
      return { path: `settings.urls.${Math.max(i, 0)}`, message: `${f.host}: ${f.error}` }
    })
    return new AppError(
      409,
      'host_not_verified',
      `not verified: ${failed.map((f) => f.host).join(', ')} — see GET /projects/:id/verification`,
      details,
    )
  }

  /** Hosts of `urls` that are not verified now, by the stored rows (no network). */
  const unverifiedHosts = async (workspaceId: string, targets: HostTarget[], now: Date) => {
    const rows = await hostRows(
      db,
      workspaceId,
      targets.map((t) => t.host),
    )
    const byHost = new Map(rows.map((r) => [r.host, r]))
    return targets
      .filter((t) => !verifiedNow(byHost.get(t.host), now))
      .map((t) => {
        const row = byHost.get(t.host)
        const stale = row?.status === 'verified'
        const why = !row
          ? 'never checked'
          : stale
            ? `verification older than ${staleHours} h`
            : (row.lastError ?? row.status)
        return { host: t.host, error: why, stale }
      })
  }

  const verificationView = async (p: ProjectRow, now: Date) => {
    const targets = hostTargets(urlsOf(p.settings))
    const rows = await hostRows(
      db,
      p.workspaceId,
      targets.map((t) => t.host),
    )
    const byHost = new Map(rows.map((r) => [r.host, r]))
    const hosts = targets.map((t) => {
      const row = byHost.get(t.host)
      const token = verificationToken(deps.verify.key, p.workspaceId, t.host)
      return {
        host: t.host,
        status: viewStatus(row, now),
        method: (row?.method ?? null) as 'http' | 'dns' | null,
        token,
        verified_at: iso(row?.verifiedAt ?? null),
        checked_at: iso(row?.checkedAt ?? null),
        last_error: row?.lastError ?? null,
        instructions: instructions(t, token),
      }
    })
    return {
      project_id: p.id,
      verified: hosts.every((h) => h.status === 'verified'),
      stale_after_hours: staleHours,
      hosts,
    }
  }

  return async (app) => {
    app.get(
      '/visitors/egress',
      {
        config: { scope: 'read' },
        schema: {
          tags,
          summary: 'Countries visits can leave from (an egress proxy each); geoTargets may name only these',
          response: { 200: z.strictObject({ countries: z.array(z.string()) }), ...err },
        },
      },
      async () => ({ countries: [...(deps.egressCountries ?? [])].sort() }),
    )

    // What the project form needs to compute what the server computes: the speed → rate range
    // (its estimate used to assume the default 1..600/min) and the countries with egress.
    app.get(
      '/visitors/config',
      {
        config: { scope: 'read' },
        schema: {
          tags,
          summary:
            "The server's visitor settings: the speed range (trafficSpeed 0 → min, 100 → max visits per minute) and the countries with egress",
          response: {
            200: z.strictObject({
              speed: z.strictObject({ min_per_minute: z.number(), max_per_minute: z.number() }),
              countries: z.array(z.string()),
            }),
            ...err,
          },
        },
      },
      async () => {
        const r = deps.speedRange ?? DEFAULT_SPEED_RANGE
        return {
          speed: { min_per_minute: r.minPerMinute, max_per_minute: r.maxPerMinute },
          countries: [...(deps.egressCountries ?? [])].sort(),
        }
      },
    )

    app.get(
      '/projects',
      {
        config: { scope: 'read' },
        schema: {
          tags,
          summary: 'Visitor projects of the workspace, newest first',
          querystring: projectListQuery,
          response: { 200: pageResponse(projectOut), ...err },
        },
      },
      async (req) => {
        const q = req.query
        const p = await listProjects(db, req.auth.workspaceId, q)
        return { items: p.items.map(projectJson), total: p.total, limit: q.limit, offset: q.offset }
      },
    )

    app.post(
      '/projects',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Create a visitor project (stopped; start it once its hosts are verified)',
          body: projectCreate,
          response: { 201: projectOut, 413: errorBody, ...err },
        },
      },
      async (req, reply) => {
        const b = req.body
        checkSettings(b.settings, deps.egressCountries)
        const row = await insertProject(
          db,
          req.auth.workspaceId,
          {
            name: b.name,
            planType: b.plan_type ?? 'Custom',
            dailyLimit: b.daily_limit ?? 0,
            totalTarget: b.total_target ?? 0,
            expiresAt: b.expires_at ? new Date(b.expires_at) : null,
            timezone: b.timezone ?? 'UTC',
            settings: b.settings,
          },
          clock.now(),
        )
        return reply.code(201).send(projectJson(row))
      },
    )

    app.get(
      '/projects/:id',
      {
        config: { scope: 'read' },
        schema: {
          tags,
          summary: 'One visitor project',
          params: idParams,
          response: { 200: projectOut, ...err },
        },
      },
      async (req) => projectJson(await getProject(db, req.auth.workspaceId, req.params.id)),
    )

    app.patch(
      '/projects/:id',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Change a visitor project (settings replace the whole object)',
          params: idParams,
          body: projectPatch,
          response: { 200: projectOut, 409: errorBody, 413: errorBody, ...err },
        },
      },
      async (req) => {
        const ws = req.auth.workspaceId
        const b = req.body
        const now = clock.now()
        const current = await getProject(db, ws, req.params.id)
        if (b.settings !== undefined) {
          const s = checkSettings(b.settings, deps.egressCountries)
          // A running project may not gain hosts nobody proved control of.
          if (current.status === 'active') {
            const urls = s.urls.map((u) => u.url)
            const bad = await unverifiedHosts(ws, hostTargets(urls), now)
            if (bad.length > 0) throw notVerified(urls, bad)
          }
        }
        const row = await updateProject(
          db,
          ws,
          current.id,
          {
            ...(b.name !== undefined ? { name: b.name } : {}),
            ...(b.plan_type !== undefined ? { planType: b.plan_type } : {}),
            ...(b.daily_limit !== undefined ? { dailyLimit: b.daily_limit } : {}),
            ...(b.total_target !== undefined ? { totalTarget: b.total_target } : {}),
            ...(b.expires_at !== undefined
              ? { expiresAt: b.expires_at ? new Date(b.expires_at) : null }
              : {}),
            ...(b.timezone !== undefined ? { timezone: b.timezone } : {}),
            ...(b.settings !== undefined ? { settings: b.settings } : {}),
          },
          now,
        )
        return projectJson(row)
      },
    )

    app.delete(
      '/projects/:id',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Delete a visitor project (refused while active or holding credits)',
          params: idParams,
          response: { 204: z.undefined(), 409: errorBody, ...err },
        },
      },
      async (req, reply) => {
        const p = await getProject(db, req.auth.workspaceId, req.params.id)
        if (p.status === 'active') throw conflict('the project is active: stop it first')
        if (p.holdId !== null)
          throw conflict('the project still holds reserved credits: stop it and let the engine release them')
        await deleteProject(db, req.auth.workspaceId, p.id)
        return reply.code(204).send()
      },
    )

    app.post(
      '/projects/:id/start',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Start a project: its hosts are re-checked now; 409 host_not_verified otherwise',
          params: idParams,
          response: { 200: projectOut, 409: errorBody, ...err },
        },
      },
      async (req) => {
        const ws = req.auth.workspaceId
        const p = await getProject(db, ws, req.params.id)
        if (p.status === 'active') return projectJson(p)
        if (p.status === 'completed')
          throw conflict('the project is completed: raise total_target or create a new one')
        const now = clock.now()
        if (p.expiresAt !== null && p.expiresAt.getTime() <= nowMs(clock))
          throw conflict('the project has expired: change expires_at first')
        // A country whose egress the operator removed since the project was saved.
        const parsed = parseEngineSettings(p.settings)
        const noEgress =
          parsed.ok && deps.egressCountries
            ? missingEgress(parsed.settings.geoTargets, deps.egressCountries)
            : []
        if (noEgress.length > 0)
          throw new AppError(
            409,
            'no_egress',
            `${noEgress.map((d) => d.message).join('; ')}: change settings.geoTargets (GET /visitors/egress lists the countries)`,
            noEgress,
          )
        const urls = urlsOf(p.settings)
        const targets = hostTargets(urls)
        // Never-verified hosts are refused without a network call (and nothing is written).
        const stored = await unverifiedHosts(ws, targets, now)
        const neverOk = stored.filter((f) => !f.stale)
        if (neverOk.length > 0) throw notVerified(urls, neverOk)
        const r = await recheckHosts(verifyDeps, ws, targets, now)
        if (!r.ok) throw notVerified(urls, r.failed)
        return projectJson(await updateProject(db, ws, p.id, { status: 'active', pauseReason: null }, now))
      },
    )

    app.post(
      '/projects/:id/stop',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Stop a project (the engine stops its visits)',
          params: idParams,
          response: { 200: projectOut, ...err },
        },
      },
      async (req) => {
        const ws = req.auth.workspaceId
        const p = await getProject(db, ws, req.params.id)
        if (p.status === 'stopped' || p.status === 'completed') return projectJson(p)
        return projectJson(
          await updateProject(db, ws, p.id, { status: 'stopped', pauseReason: null }, clock.now()),
        )
      },
    )

    app.get(
      '/projects/:id/verification',
      {
        config: { scope: 'read' },
        schema: {
          tags,
          summary: "Ownership verification of the project's hosts: status, token and instructions",
          params: idParams,
          response: { 200: verificationOut, ...err },
        },
      },
      async (req) => {
        const p = await getProject(db, req.auth.workspaceId, req.params.id)
        return verificationView(p, clock.now())
      },
    )

    app.post(
      '/projects/:id/verification/check',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Check every host of the project now (token file, then DNS TXT)',
          params: idParams,
          response: { 200: verificationOut, ...err },
        },
      },
      async (req) => {
        const p = await getProject(db, req.auth.workspaceId, req.params.id)
        const now = clock.now()
        for (const t of hostTargets(urlsOf(p.settings))) await checkHost(verifyDeps, p.workspaceId, t, now)
        return verificationView(p, now)
      },
    )
  }
}
