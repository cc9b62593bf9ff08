/**
 * Harness for whole-day autopilot runs: the real scheduler (`createAutopilotService`) with the
 * real TrafficStars client against the real simulator over loopback, a real database, and a
 * clock that is the simulator's. Each tick: `tickAccount`, then one simulated minute passes.
 *
 * Remaining clicks come from the simulator's delivered clicks: the clicks TrafficStars sells
 * are the clicks that reach the router campaign, taken from its destinations in list order.
 */
import { insertWorkspace as createWorkspace } from '../src/modules/accounts/accounts.repository.ts'
import {
  createAutopilotService,
  createSecretBox,
  DEFAULT_SETTINGS,
  initialState,
} from '../src/modules/autopilot/index.ts'
import type { AutopilotSettings } from '../src/modules/autopilot/autopilot.core.ts'
import {
  auditOf,
  insertAccount,
  insertAutopilotCampaign,
  updateAutopilotCampaign,
} from '../src/modules/autopilot/autopilot.repository.ts'
import { createCampaign } from '../src/modules/routing/routing.api.ts'
import type { DbHandle } from '../src/platform/db/client.ts'
import { createLogger } from '../src/platform/logger.ts'
import {
  type SimCampaignInit,
  startTrafficStarsSimulator,
} from '../src/simulators/trafficstars/trafficstars.simulator.ts'

export const USD = 1_000_000
export const MIN = 60_000
export const KEY = 'ts-sim-key-autopilot-0001'
export const box = createSecretBox(Buffer.alloc(32, 7))

export interface DayDestination {
  id: string
  cap: number
  /** Minute (from the start) the destination appears in the campaign. */
  addedAt?: number
}

export interface DaySetup {
  start: number
  campaign: SimCampaignInit
  destinations: DayDestination[]
  settings?: Partial<AutopilotSettings>
  simLatencyMs?: number
}

/** One running day: `tick()` runs one scheduler tick and then lets one simulated minute pass. */
export async function startDay(db0: DbHandle, setup: DaySetup) {
  let db = db0
  const sim = await startTrafficStarsSimulator({
    refreshTokens: [KEY],
    startAt: setup.start,
    campaigns: [setup.campaign],
    latencyMs: setup.simLatencyMs ?? 0,
  })
  const ws = await createWorkspace(db.db, `autopilot ${Math.random()}`)
  const campaign = await createCampaign(db.db, ws.id, {
    name: 'TS campaign',
    alias: `ap-${Math.random().toString(36).slice(2, 10)}`,
  } as never)
  const account = await insertAccount(db.db, {
    workspaceId: ws.id,
    name: 'sim',
    baseUrl: sim.url,
    apiKeyCiphertext: box.seal(KEY),
    apiKeyHint: KEY.slice(-4),
  })
  const settings: AutopilotSettings = {
    ...DEFAULT_SETTINGS,
    pricePer1000Micros: setup.campaign.priceMicros ?? 1_000_000,
    ...setup.settings,
  }
  const row = await insertAutopilotCampaign(db.db, {
    workspaceId: ws.id,
    campaignId: campaign.id,
    accountId: account.id,
    tsCampaignId: setup.campaign.id,
    settings,
    state: initialState(setup.start),
  })
  const tsId = setup.campaign.id
  const delivered = () => {
    let total = 0
    for (const v of sim.campaigns.get(tsId)!.clicks.values()) total += v
    return Math.floor(total + 1e-6)
  }
  let minute = 0
  const remaining = () => {
    let used = delivered()
    return setup.destinations
      .filter((d) => (d.addedAt ?? 0) <= minute)
      .map((d) => {
        const take = Math.min(d.cap, used)
        used -= take
        return { destinationId: d.id, remaining: d.cap - take }
      })
  }
  const makeService = () =>
    createAutopilotService({
      db: db.db,
      box,
      remaining: () => remaining(),
      clock: sim.clock,
      allowPrivate: true,
      logger: createLogger('silent'),
      callsPerTick: 60,
      client: {
        sleep: async (ms) => sim.advance(ms),
        timeoutMs: 200,
      },
    })
  let service = makeService()
  await service.enable(ws.id, row.id)

  return {
    sim,
    ws,
    row,
    get minute() {
      return minute
    },
    remaining,
    ts: () => sim.campaigns.get(tsId)!,
    /** A restart: a new scheduler (new client, no memory), on `reopened` when the database was reopened. */
    restart(reopened?: DbHandle) {
      if (reopened) db = reopened
      service = makeService()
    },
    async tick() {
      const before = sim.now()
      const report = await service.tickAccount(account.id)
      // Retries and Retry-After waits inside the tick moved the clock; a tick still takes one minute.
      const spentInTick = sim.now() - before
      sim.advance(Math.max(0, MIN - spentInTick))
      minute++
      return report
    },
    async run(minutes: number) {
      for (let i = 0; i < minutes; i++) await this.tick()
    },
    async audit() {
      return auditOf(db.db, [row.id])
    },
    async disable() {
      await updateAutopilotCampaign(db.db, ws.id, row.id, { enabled: false })
    },
    /** The calls made, as `HH:MM kind detail` lines (ok outcomes only unless `all`). */
    async calls(all = false) {
      const rows = await this.audit()
      return rows
        .filter((r) => ['run', 'pause', 'patch'].includes(r.kind) && (all || r.outcome === 'ok'))
        .map((r) => {
          const hhmm = r.at.toISOString().slice(11, 16)
          const i = r.inputs as { max_daily_micros?: number; end_time?: string }
          const detail = [
            i.max_daily_micros !== undefined ? `$${i.max_daily_micros / USD}` : '',
            i.end_time ? `end ${i.end_time.slice(11, 16)}` : '',
            all ? r.outcome : '',
          ]
            .filter(Boolean)
            .join(' ')
          return `${hhmm} ${r.kind}${detail ? ` ${detail}` : ''}`
        })
    },
    async stop() {
      await sim.stop()
    },
  }
}
