/**
 * Autopilot API under `/api/v1/autopilot` (workspace-scoped): TrafficStars accounts (API key
 * write-only), per-campaign settings and toggle, the panel data, the audit log, the dry run
 * (`/campaigns/:id/plan`) and the replay. See `src/modules/autopilot/README.md`.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible'
import { z } from 'zod'
import { type Clock, nowMs } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/client.ts'
import { AppError, badRequest } from '../../platform/errors.ts'
import { errorBody, idParams } from '../../platform/http/schemas.ts'
import { refusePrivateTargets } from '../../platform/net/ssrf.ts'
import { actionDetail } from './autopilot.calls.ts'
import { type AutopilotState, initialState, type Observation, sumRemaining } from './autopilot.core.ts'
import { replayInput } from './autopilot.replay.ts'
import {
  createReplayPool,
  ReplayBusyError,
  type ReplayPool,
  ReplayTimeoutError,
} from './autopilot.replay.pool.ts'
import {
  type AccountRecord,
  type AutopilotCampaignRecord,
  deleteAccount,
  deleteAutopilotCampaign,
  getAutopilotCampaign,
  insertAccount,
  insertAutopilotCampaign,
  listAccounts,
  listAudit,
  listAutopilotCampaigns,
  updateAccount,
  updateAutopilotCampaign,
} from './autopilot.repository.ts'
import {
  accountCreate,
  accountOut,
  accountPatch,
  auditOut,
  campaignCreate,
  campaignOut,
  campaignPatch,
  fromSettings,
  planOut,
  settingsInput,
  settingsIssues,
  toSettings,
} from './autopilot.schema.ts'
import type { AutopilotService, RemainingProvider } from './autopilot.service.ts'
import type { SecretBox } from '../../platform/secret-box.ts'

export interface AutopilotRoutesDeps {
  db: Db
  box: SecretBox
  service: AutopilotService
  remaining: RemainingProvider
  /** Names of router campaigns by id, for the panel (from the routing snapshot). */
  campaignName: (workspaceId: string, campaignId: string) => string | undefined
  tickMs: number
  /** Allow TrafficStars base URLs on private/loopback addresses (simulators, tests). */
  allowPrivate: boolean
  /** The autopilot's time (next check of a campaign never ticked, the state of a new one). */
  clock: Clock
  /** `POST /replay` limits; see {@link ReplayLimits}. */
  replay?: ReplayLimits
}

/**
 * Limits of `POST /autopilot/replay`, which runs on a worker thread (`autopilot.replay.pool.ts`).
 * The rate is counted in this process's memory: each process has its own replay workers.
 */
export interface ReplayLimits {
  /** The pool to run on; default one made here (1 thread, 4 waiting, 10 s each), closed with the app. */
  pool?: ReplayPool
  /** Replay requests per workspace per minute, default 10; past it 429 with Retry-After. */
  perMinute?: number
  /** Largest request body in bytes, default {@link REPLAY_BODY_LIMIT}; past it 413. */
  bodyLimit?: number
}

/** Default body limit of a replay request (512 KiB): a two-day trace with a point every minute fits. */
export const REPLAY_BODY_LIMIT = 512 * 1024

const err = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody }
const replayErr = { 413: errorBody, 422: errorBody, 429: errorBody }
const tag = ['autopilot']

export function accountJson(a: AccountRecord) {
  return {
    id: a.id,
    name: a.name,
    base_url: a.baseUrl,
    api_key_hint: `…${a.apiKeyHint}`,
    created_at: a.createdAt.toISOString(),
  }
}

/** The state as the API and the panel show it. */
export function stateJson(s: AutopilotState) {
  return {
    phase: s.phase,
    condition: s.phase === 'CONDITION_ONE' ? (1 as const) : s.phase === 'CONDITION_TWO' ? (2 as const) : null,
    day: s.day,
    wait_until: s.waitUntil === null ? null : new Date(s.waitUntil).toISOString(),
    expected_status: s.desired.status,
    expected_end_time: s.desired.endTime,
    unconfirmed_daily_budget_micros: s.desired.maxDailyMicros,
    budgeted: s.budgeted,
    pending: s.pending,
    pending_total_micros: Object.values(s.pending).reduce((a, b) => a + b, 0),
    cycles_today: s.cycles,
    problem: s.problem,
  }
}

function observationJson(o: Observation) {
  return {
    status: o.campaign?.status ?? null,
    daily_budget_micros: o.campaign?.maxDailyMicros ?? null,
    end_time: o.campaign?.endTime ?? null,
    spent_micros: o.spent?.micros ?? null,
    spent_source: o.spent?.source ?? null,
    destinations: o.destinations,
  }
}

export function autopilotRoutes(deps: AutopilotRoutesDeps): FastifyPluginAsyncZod {
  const { db, box } = deps

  // The account is used at once (enable, plan), so a host that does not resolve is refused too.
  const checkBaseUrl = (url: string) =>
    refusePrivateTargets([{ path: 'base_url', url }], {
      allowPrivate: deps.allowPrivate,
      setting: 'AUTOPILOT_ALLOW_PRIVATE',
      refuseUnresolved: true,
    })

  const campaignJson = (r: AutopilotCampaignRecord) => {
    const remaining = deps.remaining(r.workspaceId, r.campaignId)
    const waiting = r.state.phase === 'WAITING' && r.state.waitUntil !== null ? r.state.waitUntil : undefined
    const nextTick = r.lastTickAt ? r.lastTickAt.getTime() + deps.tickMs : nowMs(deps.clock)
    return {
      id: r.id,
      campaign_id: r.campaignId,
      campaign_name: deps.campaignName(r.workspaceId, r.campaignId) ?? null,
      account_id: r.accountId,
      ts_campaign_id: r.tsCampaignId,
      enabled: r.enabled,
      settings: fromSettings(r.settings),
      state: stateJson(r.state),
      last_observation: r.lastObservation ?? null,
      last_tick_at: r.lastTickAt?.toISOString() ?? null,
      next_check_at: r.enabled ? new Date(Math.max(nextTick, waiting ?? 0)).toISOString() : null,
      // The decisions' sum: an over-delivered destination counts as 0, not as a negative.
      remaining_clicks: remaining ? sumRemaining(remaining) : null,
    }
  }

  return async (app) => {
    const replayPool = deps.replay?.pool ?? createReplayPool()
    if (!deps.replay?.pool) app.addHook('onClose', () => replayPool.close())
    const replayRate = new RateLimiterMemory({ points: deps.replay?.perMinute ?? 10, duration: 60 })

    // -- accounts --
    app.get(
      '/autopilot/accounts',
      {
        config: { scope: 'read' },
        schema: {
          tags: tag,
          summary: 'TrafficStars accounts',
          response: { 200: z.object({ items: z.array(accountOut) }), ...err },
        },
      },
      async (req) => ({ items: (await listAccounts(db, req.auth.workspaceId)).map(accountJson) }),
    )
    app.post(
      '/autopilot/accounts',
      {
        config: { scope: 'write' },
        schema: {
          tags: tag,
          summary: 'Add a TrafficStars account (the API key is stored encrypted, never returned)',
          body: accountCreate,
          response: { 201: accountOut, ...err },
        },
      },
      async (req, reply) => {
        await checkBaseUrl(req.body.base_url)
        const row = await insertAccount(db, {
          workspaceId: req.auth.workspaceId,
          name: req.body.name,
          baseUrl: req.body.base_url,
          apiKeyCiphertext: box.seal(req.body.api_key),
          apiKeyHint: req.body.api_key.slice(-4),
        })
        return reply.code(201).send(accountJson(row))
      },
    )
    app.patch(
      '/autopilot/accounts/:id',
      {
        config: { scope: 'write' },
        schema: {
          tags: tag,
          summary: 'Rename, move or re-key an account',
          params: idParams,
          body: accountPatch,
          response: { 200: accountOut, ...err },
        },
      },
      async (req) => {
        if (req.body.base_url) await checkBaseUrl(req.body.base_url)
        const row = await updateAccount(db, req.auth.workspaceId, req.params.id, {
          ...(req.body.name !== undefined ? { name: req.body.name } : {}),
          ...(req.body.base_url !== undefined ? { baseUrl: req.body.base_url } : {}),
          ...(req.body.api_key !== undefined
            ? { apiKeyCiphertext: box.seal(req.body.api_key), apiKeyHint: req.body.api_key.slice(-4) }
            : {}),
        })
        return accountJson(row)
      },
    )
    app.delete(
      '/autopilot/accounts/:id',
      {
        config: { scope: 'write' },
        schema: {
          tags: tag,
          summary: 'Delete an account and its autopilot campaigns',
          params: idParams,
          response: { 204: z.null(), ...err },
        },
      },
      async (req, reply) => {
        await deleteAccount(db, req.auth.workspaceId, req.params.id)
        return reply.code(204).send(null)
      },
    )

    // -- campaigns --
    app.get(
      '/autopilot/campaigns',
      {
        config: { scope: 'read' },
        schema: {
          tags: tag,
          summary: 'Autopilot campaigns with state (the panel)',
          response: { 200: z.object({ items: z.array(campaignOut) }), ...err },
        },
      },
      async (req) => ({ items: (await listAutopilotCampaigns(db, req.auth.workspaceId)).map(campaignJson) }),
    )
    app.post(
      '/autopilot/campaigns',
      {
        config: { scope: 'write' },
        schema: {
          tags: tag,
          summary: 'Put a router campaign under autopilot',
          body: campaignCreate,
          response: { 201: campaignOut, ...err },
        },
      },
      async (req, reply) => {
        const settings = toSettings(req.body.settings)
        const issues = settingsIssues(settings)
        if (issues.length > 0) throw badRequest('invalid settings', issues)
        let row = await insertAutopilotCampaign(db, {
          workspaceId: req.auth.workspaceId,
          campaignId: req.body.campaign_id,
          accountId: req.body.account_id,
          tsCampaignId: req.body.ts_campaign_id,
          settings,
          state: initialState(nowMs(deps.clock)),
        })
        if (req.body.enabled) row = await deps.service.enable(req.auth.workspaceId, row.id)
        return reply.code(201).send(campaignJson(row))
      },
    )
    app.get(
      '/autopilot/campaigns/:id',
      {
        config: { scope: 'read' },
        schema: {
          tags: tag,
          summary: 'One autopilot campaign',
          params: idParams,
          response: { 200: campaignOut, ...err },
        },
      },
      async (req) => campaignJson(await getAutopilotCampaign(db, req.auth.workspaceId, req.params.id)),
    )
    app.patch(
      '/autopilot/campaigns/:id',
      {
        config: { scope: 'write' },
        schema: {
          tags: tag,
          summary: 'Change settings, account or TrafficStars campaign',
          params: idParams,
          body: campaignPatch,
          response: { 200: campaignOut, ...err },
        },
      },
      async (req) => {
        const cur = await getAutopilotCampaign(db, req.auth.workspaceId, req.params.id)
        const merged = req.body.settings
          ? toSettings(settingsInput.parse({ ...fromSettings(cur.settings), ...req.body.settings }))
          : undefined
        if (merged) {
          const issues = settingsIssues(merged)
          if (issues.length > 0) throw badRequest('invalid settings', issues)
        }
        const row = await updateAutopilotCampaign(db, req.auth.workspaceId, req.params.id, {
          ...(req.body.account_id ? { accountId: req.body.account_id } : {}),
          ...(req.body.ts_campaign_id ? { tsCampaignId: req.body.ts_campaign_id } : {}),
          ...(merged ? { settings: merged } : {}),
        })
        return campaignJson(row)
      },
    )
    app.delete(
      '/autopilot/campaigns/:id',
      {
        config: { scope: 'write' },
        schema: {
          tags: tag,
          summary: 'Remove the autopilot from a campaign',
          params: idParams,
          response: { 204: z.null(), ...err },
        },
      },
      async (req, reply) => {
        await deleteAutopilotCampaign(db, req.auth.workspaceId, req.params.id)
        return reply.code(204).send(null)
      },
    )
    for (const on of [true, false]) {
      app.post(
        `/autopilot/campaigns/:id/${on ? 'enable' : 'disable'}`,
        {
          config: { scope: 'write' },
          schema: {
            tags: tag,
            summary: on
              ? 'Enable: check the status and start the process'
              : 'Disable: stop monitoring and reset the state',
            params: idParams,
            response: { 200: campaignOut, ...err },
          },
        },
        async (req) => {
          const row = on
            ? await deps.service.enable(req.auth.workspaceId, req.params.id)
            : await deps.service.disable(req.auth.workspaceId, req.params.id)
          return campaignJson(row)
        },
      )
    }
    app.get(
      '/autopilot/campaigns/:id/plan',
      {
        config: { scope: 'read' },
        schema: {
          tags: tag,
          summary: 'Dry run: what the autopilot would do now and why (nothing is sent or saved)',
          params: idParams,
          response: { 200: planOut, ...err },
        },
      },
      async (req) => {
        const p = await deps.service.plan(req.auth.workspaceId, req.params.id)
        return {
          observation: observationJson(p.observation),
          before: stateJson(p.before),
          after: stateJson(p.decision.state),
          actions: p.decision.actions.map((a) => ({
            kind: a.kind,
            ...actionDetail(a),
            correction: a.correction,
            reason: a.reason,
          })),
          events: p.decision.events,
        }
      },
    )
    app.get(
      '/autopilot/campaigns/:id/actions',
      {
        config: { scope: 'read' },
        schema: {
          tags: tag,
          summary: 'The audit log, newest first',
          params: idParams,
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(500).default(50),
            before: z.coerce.number().int().min(1).optional(),
          }),
          response: { 200: z.object({ items: z.array(auditOut) }), ...err },
        },
      },
      async (req) => {
        await getAutopilotCampaign(db, req.auth.workspaceId, req.params.id)
        const rows = await listAudit(db, req.auth.workspaceId, req.params.id, {
          limit: req.query.limit,
          ...(req.query.before !== undefined ? { before: req.query.before } : {}),
        })
        return {
          items: rows.map((r) => ({
            id: r.id,
            at: r.at.toISOString(),
            kind: r.kind,
            rule: r.rule,
            text: r.text,
            inputs: r.inputs,
            outcome: r.outcome,
            error: r.error,
          })),
        }
      },
    )
    app.post(
      '/autopilot/replay',
      {
        config: { scope: 'write' },
        schema: {
          tags: tag,
          summary: 'Replay a recorded or simulated day through the decisions',
          description:
            'Runs on a worker thread. 413 past the body limit (512 KiB), 429 past 10 replays per ' +
            'workspace per minute or when the replay workers are busy, 422 when a replay runs past 10 s.',
          body: replayInput,
          response: { 200: z.record(z.string(), z.unknown()), ...err, ...replayErr },
        },
        bodyLimit: deps.replay?.bodyLimit ?? REPLAY_BODY_LIMIT,
        // Counted before the body is read: a flood of large bodies costs no parsing either.
        preParsing: async (req, reply) => {
          try {
            await replayRate.consume(req.auth.workspaceId)
          } catch (e) {
            if (!(e instanceof RateLimiterRes)) throw e
            reply.header('retry-after', String(Math.max(1, Math.ceil(e.msBeforeNext / 1000))))
            throw new AppError(429, 'rate_limited', 'too many replays from this workspace, try again later')
          }
        },
      },
      async (req, reply) => {
        try {
          return { ...(await replayPool.run(req.body)) }
        } catch (e) {
          if (e instanceof ReplayBusyError) {
            reply.header('retry-after', '5')
            throw new AppError(429, 'rate_limited', e.message)
          }
          if (e instanceof ReplayTimeoutError)
            throw new AppError(422, 'replay_timeout', `${e.message}: replay fewer minutes or destinations`)
          throw e
        }
      },
    )
  }
}
