/**
 * The autopilot's imperative shell: one tick per TrafficStars account observes every enabled
 * campaign, runs the pure decisions, persists the new states (before any call goes out) and
 * makes the calls within the account's call budget.
 *
 * Calls per account and tick: 1 list (statuses, budgets, end times, a `spent` field when the
 * API has one) + 1 by-campaign spend report + at most 1 bulk pause + 1 bulk run + PATCHes
 * (daily budget, end time) up to `callsPerTick` in all. Status changes therefore never wait
 * (bulk), whatever the number of campaigns; PATCHes beyond the budget are deferred to the
 * next tick, budget raises first; a start whose end-time PATCH is deferred is deferred too
 * (running with a past end time delivers nothing).
 */
import { type Clock, nowMs } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/client.ts'
import type { Logger } from '../../platform/logger.ts'
import { actionDetail, planCalls } from './autopilot.calls.ts'
import {
  type Action,
  type AutopilotState,
  type AuditEvent,
  type Decision,
  decide,
  deferred,
  initialState,
  type Observation,
  resolveSpent,
  sumRemaining,
  utcDay,
} from './autopilot.core.ts'
import {
  type AccountRecord,
  type AuditInsert,
  type AutopilotCampaignRecord,
  accountsWithEnabledCampaigns,
  appendAudit,
  enabledCampaignsOf,
  findAccountById,
  getAccount,
  getAutopilotCampaign,
  saveTick,
  updateAutopilotCampaign,
} from './autopilot.repository.ts'
import type { SecretBox } from '../../platform/secret-box.ts'
import {
  type TrafficStarsCampaign,
  TrafficStarsClient,
  type TrafficStarsClientOptions,
  TrafficStarsError,
} from './trafficstars.client.ts'

/** Remaining clicks per capped destination of a router campaign (from the routing runtime). */
export type RemainingProvider = (
  workspaceId: string,
  campaignId: string,
) => ReadonlyArray<{ destinationId: string; remaining: number }> | undefined

export interface AutopilotServiceDeps {
  db: Db
  box: SecretBox
  remaining: RemainingProvider
  /** The autopilot's time: decisions, audit times, the TrafficStars client's token cache and limiter. */
  clock: Clock
  /**
   * Let the TrafficStars client reach private and loopback addresses (`AUTOPILOT_ALLOW_PRIVATE`:
   * simulators, tests); default false: every request is refused unless the account's base URL
   * resolves to public addresses only, checked at request time.
   */
  allowPrivate?: boolean
  logger: Logger
  /** TrafficStars calls per account and tick (default 60; the API allows ~100 per 60 s). */
  callsPerTick?: number
  /** Extra client options (tests: the simulator's sleep, short timeouts). */
  client?: Partial<Omit<TrafficStarsClientOptions, 'baseUrl' | 'apiKey' | 'clock' | 'allowPrivate'>>
}

/** What one account's tick did. */
export interface TickReport {
  accountId: string
  campaigns: number
  /** TrafficStars calls made (token requests not counted). */
  calls: number
  runs: number
  pauses: number
  patches: number
  deferred: number
  failed: number
  /** Time the tick took by the service's clock, ms. */
  durationMs: number
}

/** The dry run of one campaign: what a tick would do now and why. Nothing is sent or saved. */
export interface Plan {
  observation: Observation
  before: AutopilotState
  decision: Decision
}

export interface AutopilotService {
  /** Ticks every account that has an enabled campaign, one after another. */
  tickAll(): Promise<TickReport[]>
  tickAccount(accountId: string): Promise<TickReport>
  plan(workspaceId: string, autopilotCampaignId: string): Promise<Plan>
  /** Enable: reset to IDLE (the next tick checks the status and starts the process). */
  enable(workspaceId: string, id: string): Promise<AutopilotCampaignRecord>
  /** Disable: stop monitoring and reset the state; nothing is sent to TrafficStars. */
  disable(workspaceId: string, id: string): Promise<AutopilotCampaignRecord>
}

export function createAutopilotService(deps: AutopilotServiceDeps): AutopilotService {
  const { db, logger } = deps
  const budget = deps.callsPerTick ?? 60
  const clients = new Map<string, { sealed: string; baseUrl: string; client: TrafficStarsClient }>()
  const running = new Map<string, Promise<TickReport>>()

  const clientFor = (a: AccountRecord): TrafficStarsClient => {
    const hit = clients.get(a.id)
    if (hit && hit.sealed === a.apiKeyCiphertext && hit.baseUrl === a.baseUrl) return hit.client
    const client = new TrafficStarsClient({
      ...deps.client,
      clock: deps.clock,
      allowPrivate: deps.allowPrivate ?? false,
      baseUrl: a.baseUrl,
      apiKey: deps.box.open(a.apiKeyCiphertext),
    })
    clients.set(a.id, { sealed: a.apiKeyCiphertext, baseUrl: a.baseUrl, client })
    return client
  }

  const observe = (
    row: AutopilotCampaignRecord,
    ts: TrafficStarsCampaign | undefined,
    report: ReadonlyMap<number, number> | undefined,
    now: number,
  ): Observation => ({
    campaign: ts
      ? {
          status: ts.active ? 'running' : 'paused',
          maxDailyMicros: ts.maxDailyMicros,
          endTime: ts.scheduleEndTime,
        }
      : null,
    spent: resolveSpent(ts?.raw.spent, report, row.tsCampaignId, row.state.spent, row.state.day, utcDay(now)),
    destinations: (deps.remaining(row.workspaceId, row.campaignId) ?? []).map((d) => ({
      id: d.destinationId,
      remaining: d.remaining,
    })),
  })

  async function tick(accountId: string): Promise<TickReport> {
    const now = nowMs(deps.clock)
    const report: TickReport = {
      accountId,
      campaigns: 0,
      calls: 0,
      runs: 0,
      pauses: 0,
      patches: 0,
      deferred: 0,
      failed: 0,
      durationMs: 0,
    }
    const account = await findAccountById(db, accountId)
    const rows = account ? await enabledCampaignsOf(db, accountId) : []
    report.campaigns = rows.length
    if (!account || rows.length === 0) return report
    const client = clientFor(account)

    const [list, spend] = await Promise.all([
      attempt(() => client.listCampaigns(), 'list campaigns'),
      attempt(() => client.getSpendByCampaign({ from: now, to: now }), 'spend report'),
    ])
    report.calls += 2
    const byId = new Map((list ?? []).map((c) => [c.id, c]))
    const spendMap = spend ? new Map(spend.map((s) => [s.campaignId, s.micros])) : undefined

    const ticks = rows.map((row) => {
      const observation = observe(row, byId.get(row.tsCampaignId), spendMap, now)
      return { row, observation, decision: decide(row.settings, row.state, observation, now) }
    })

    // The call budget: bulk calls first, then PATCHes by priority; what does not fit waits a tick.
    const plan = planCalls(ticks, budget - report.calls)
    const audit: AuditInsert[] = []
    const states = ticks.map((t) => {
      const isDeferred = plan.deferred.has(t.row.id)
      return {
        id: t.row.id,
        state: isDeferred ? deferred(t.decision.state, now) : t.decision.state,
        observation: panelObservation(t.observation),
        at: new Date(now),
      }
    })
    for (const t of ticks) {
      for (const e of t.decision.events) audit.push(eventRow(t.row, e, now))
      if (plan.deferred.has(t.row.id)) {
        for (const a of t.decision.actions)
          audit.push(actionRow(t.row, a, now, 'deferred', 'call budget of this tick used up'))
      }
    }
    const saved = await saveTick(db, states, audit)
    report.deferred = plan.deferred.size

    const outcomes: AuditInsert[] = []
    const done = (t: { row: AutopilotCampaignRecord }, a: Action, err?: string) => {
      outcomes.push(actionRow(t.row, a, now, err ? 'failed' : 'ok', err))
      if (err) report.failed++
    }
    const live = (t: { row: AutopilotCampaignRecord }) => saved.has(t.row.id)

    const pauses = plan.pauses.filter(live)
    if (pauses.length > 0) {
      report.calls++
      const res = await attempt(
        () => client.pauseCampaigns(pauses.map((p) => p.row.tsCampaignId)),
        'bulk pause',
      )
      for (const p of pauses) {
        const ok = res?.find((r) => r.id === p.row.tsCampaignId)?.ok
        done(
          p,
          p.action,
          ok ? undefined : res ? 'TrafficStars listed the campaign as failed' : 'bulk pause failed',
        )
        report.pauses++
      }
    }
    const patches = plan.patches.filter(live)
    await eachLimit(patches, 4, async (p) => {
      if (p.action.kind !== 'patch') return
      report.calls++
      report.patches++
      const a = p.action
      const err = await attemptError(() =>
        client.patchCampaign(p.row.tsCampaignId, {
          ...(a.maxDailyMicros !== undefined ? { maxDailyMicros: a.maxDailyMicros } : {}),
          ...(a.endTime !== undefined
            ? { scheduleEndTime: Date.parse(`${a.endTime.replace(' ', 'T')}Z`) }
            : {}),
        }),
      )
      done(p, a, err)
    })
    const runs = plan.runs.filter(live)
    if (runs.length > 0) {
      report.calls++
      const res = await attempt(() => client.runCampaigns(runs.map((r) => r.row.tsCampaignId)), 'bulk run')
      for (const r of runs) {
        const ok = res?.find((x) => x.id === r.row.tsCampaignId)?.ok
        done(
          r,
          r.action,
          ok ? undefined : res ? 'TrafficStars listed the campaign as failed' : 'bulk run failed',
        )
        report.runs++
      }
    }
    await appendAudit(db, outcomes)
    report.durationMs = nowMs(deps.clock) - now
    return report
  }

  async function attempt<T>(fn: () => Promise<T>, what: string): Promise<T | undefined> {
    try {
      return await fn()
    } catch (err) {
      logger.warn({ err: errorText(err) }, `autopilot: ${what} failed`)
      return undefined
    }
  }

  async function attemptError(fn: () => Promise<unknown>): Promise<string | undefined> {
    try {
      await fn()
      return undefined
    } catch (err) {
      return errorText(err)
    }
  }

  return {
    async tickAll() {
      const accounts = await accountsWithEnabledCampaigns(db)
      const out: TickReport[] = []
      for (const a of accounts) out.push(await this.tickAccount(a.id))
      return out
    },
    tickAccount(accountId) {
      // Ticks of one account never overlap: a second caller shares the running tick.
      const inFlight = running.get(accountId)
      if (inFlight) return inFlight
      const p = tick(accountId).finally(() => running.delete(accountId))
      running.set(accountId, p)
      return p
    },
    async plan(workspaceId, id) {
      const row = await getAutopilotCampaign(db, workspaceId, id)
      const account = await getAccount(db, workspaceId, row.accountId)
      const client = clientFor(account)
      const now = nowMs(deps.clock)
      const [ts, spend] = await Promise.all([
        attempt(() => client.getCampaign(row.tsCampaignId), 'get campaign'),
        attempt(() => client.getSpendByCampaign({ from: now, to: now }), 'spend report'),
      ])
      const before = row.enabled ? row.state : initialState(now)
      const observation = observe(
        { ...row, state: before },
        ts,
        spend ? new Map(spend.map((s) => [s.campaignId, s.micros])) : undefined,
        now,
      )
      return { observation, before, decision: decide(row.settings, before, observation, now) }
    },
    async enable(workspaceId, id) {
      const row = await updateAutopilotCampaign(db, workspaceId, id, {
        enabled: true,
        state: initialState(nowMs(deps.clock)),
      })
      await appendAudit(db, [
        noteRow(
          row,
          'enable',
          'enabled',
          'autopilot enabled: the next tick checks the status and starts',
          nowMs(deps.clock),
        ),
      ])
      return row
    },
    async disable(workspaceId, id) {
      const row = await updateAutopilotCampaign(db, workspaceId, id, {
        enabled: false,
        state: initialState(nowMs(deps.clock)),
      })
      await appendAudit(db, [
        noteRow(
          row,
          'disable',
          'disabled',
          'autopilot disabled: monitoring stopped, state reset',
          nowMs(deps.clock),
        ),
      ])
      return row
    },
  }
}

/** The observation in the shape the panel shows (money in micros). */
function panelObservation(o: Observation): Record<string, unknown> {
  return {
    status: o.campaign?.status ?? null,
    daily_budget_micros: o.campaign?.maxDailyMicros ?? null,
    end_time: o.campaign?.endTime ?? null,
    spent_micros: o.spent?.micros ?? null,
    spent_source: o.spent?.source ?? null,
    remaining: sumRemaining(o.destinations),
    destinations: o.destinations.length,
  }
}

function eventRow(row: AutopilotCampaignRecord, e: AuditEvent, now: number): AuditInsert {
  return {
    workspaceId: row.workspaceId,
    autopilotCampaignId: row.id,
    at: new Date(now),
    kind: e.kind,
    rule: e.reason.rule,
    text: e.reason.text,
    inputs: e.reason.inputs,
    outcome: 'noted',
  }
}

function actionRow(
  row: AutopilotCampaignRecord,
  a: Action,
  now: number,
  outcome: 'ok' | 'failed' | 'deferred',
  error?: string,
): AuditInsert {
  const detail = actionDetail(a)
  return {
    workspaceId: row.workspaceId,
    autopilotCampaignId: row.id,
    at: new Date(now),
    kind: a.kind,
    rule: a.reason.rule,
    text: a.reason.text,
    inputs: { ...a.reason.inputs, ...detail, ts_campaign_id: row.tsCampaignId },
    outcome,
    error: error ?? null,
  }
}

function noteRow(
  row: AutopilotCampaignRecord,
  kind: string,
  rule: string,
  text: string,
  now: number,
): AuditInsert {
  return {
    workspaceId: row.workspaceId,
    autopilotCampaignId: row.id,
    at: new Date(now),
    kind,
    rule,
    text,
    inputs: {},
    outcome: 'noted',
  }
}

/** Error text for logs and the audit log: typed client errors carry no secrets by design. */
function errorText(err: unknown): string {
  if (err instanceof TrafficStarsError) return `${err.name}: ${err.message}`
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err)
}

async function eachLimit<T>(xs: readonly T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let i = 0
  const worker = async () => {
    while (i < xs.length) await fn(xs[i++]!)
  }
  await Promise.all(Array.from({ length: Math.min(n, xs.length) }, worker))
}
