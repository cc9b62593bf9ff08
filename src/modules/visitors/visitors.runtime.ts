/**
 * The visitor engine as the server runs it: the engine (`visitors.engine.ts`) joined to the
 * project settings (`visitors.settings.ts`), the ownership re-check (`visitors.verify.ts`)
 * and a per-workspace visit-signing key derived from the server's secret key.
 */
import { createHmac, hkdfSync } from 'node:crypto'
import type { Clock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/client.ts'
import type { Logger } from '../../platform/logger.ts'
import type { LedgerRepository } from '../billing/index.ts'
import {
  createVisitorEngine,
  type EngineProject,
  type RecheckHosts,
  type VisitHit,
  type VisitorEngine,
  type VisitorProjectRow,
} from './visitors.engine.ts'
import { createVisitBrowser } from './visitors.browser.ts'
import { createVisitHttp } from './visitors.http.ts'
import { ISO_COUNTRIES, parseEngineSettings, type SpeedRange, visitsPerMinute } from './visitors.settings.ts'
import { hostTargets } from './visitors.verify.core.ts'
import { recheckHosts, type VerifyDeps } from './visitors.verify.ts'

/**
 * A stored project → the engine's input: the settings parsed by the same schema as at save
 * time, `trafficSpeed` mapped to visits per minute by {@link visitsPerMinute} over `speed`,
 * `deviceSplit` (percent) → desktop share 0..1, `timeOnPage` → ms. Null when the stored
 * settings no longer parse (the engine then leaves the project alone).
 */
export function engineProjectOf(speed: SpeedRange): (row: VisitorProjectRow) => EngineProject | null {
  return (row) => {
    const r = parseEngineSettings(row.settings)
    if (!r.ok) return null
    const s = r.settings
    return {
      id: row.id,
      workspaceId: row.workspaceId,
      urls: s.urls,
      perMinute: visitsPerMinute(s.trafficSpeed, speed),
      desktopShare: s.deviceSplit / 100,
      timeOnPageMs: s.timeOnPageSeconds * 1000,
      referrer: s.referrer,
      mode: s.mode,
      geoTargets: s.geoTargets,
      dailyLimit: row.dailyLimit,
      totalTarget: row.totalTarget,
      expiresAt: row.expiresAt,
      timezone: row.timezone,
      visitsDone: row.visitsDone,
    }
  }
}

/** The engine's re-check of a project's hosts, through {@link recheckHosts}; the reason names each failed host. */
export function engineRecheck(verify: VerifyDeps, clock: Clock): RecheckHosts {
  return async (p) => {
    const r = await recheckHosts(verify, p.workspaceId, hostTargets(p.urls.map((u) => u.url)), clock.now())
    if (r.ok) return { ok: true }
    return {
      ok: false,
      reason: `ownership check failed: ${r.failed.map((f) => `${f.host} (${f.error})`).join(', ')}`,
    }
  }
}

/**
 * The key a workspace's visits are signed with (`X-Traffoflex-Visit`): HMAC-SHA256 of the
 * workspace ID under a key derived (HKDF-SHA256) from the server's secret key. The owner is
 * shown it on the verification page to check the header (README "Engine").
 */
export function visitSigningKeys(secretKey: Buffer): (workspaceId: string) => Buffer {
  const root = Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), 'traffoflex visit signing v1', 32))
  return (workspaceId) => createHmac('sha256', root).update(workspaceId).digest()
}

/** Dependencies of {@link createVisitorRuntime}. */
export interface VisitorRuntimeDeps {
  db: Db
  ledger: LedgerRepository
  clock: Clock
  /** The server's secret key (`loadSecretKey`): signing keys derive from it. */
  secretKey: Buffer
  verify: VerifyDeps
  speed: SpeedRange
  allowPrivate: boolean
  /** PUBLIC_URL, named in every visit's User-Agent. */
  publicUrl: string
  logger?: Pick<Logger, 'warn' | 'info'>
  /** Every settled visit (the live pulse, the visits events). */
  onHit?: (hit: VisitHit) => void
  /**
   * Browser mode (README "Browser mode"): VISITORS_CHROMIUM_PATH, VISITORS_BROWSER_PAGES,
   * VISITORS_BROWSER_MAX_RSS_MB. Chromium is launched at the first browser-mode visit only.
   */
  browser?: { chromiumPath?: string; maxPages?: number; maxRssMb?: number }
  /** `VISITORS_EGRESS`: egress proxy URL per country (`{US: 'http://…'}`); default none. */
  egress?: Readonly<Record<string, string>>
}

/**
 * Checks that every country of `VISITORS_EGRESS` is an assigned ISO 3166-1 alpha-2 code (the
 * codes `geoTargets` accept), so a misspelt country (`UK` for `GB`) stops the server at start.
 * @throws Error naming VISITORS_EGRESS and the code.
 */
export function checkEgressCountries(egress: Readonly<Record<string, string>>): void {
  const bad = Object.keys(egress).filter((cc) => !ISO_COUNTRIES.has(cc))
  if (bad.length > 0)
    throw new Error(
      `Invalid environment:\n  VISITORS_EGRESS: ${bad.join(', ')} ${bad.length === 1 ? 'is' : 'are'} not ISO 3166-1 alpha-2 (e.g. GB, not UK)`,
    )
}

/**
 * The engine with the server's adapters (not started: call `start()`).
 * @throws Error naming VISITORS_EGRESS when one of its countries is not an ISO code.
 */
export function createVisitorRuntime(deps: VisitorRuntimeDeps): VisitorEngine {
  checkEgressCountries(deps.egress ?? {})
  // Lazy: no process until a browser-mode project makes its first visit.
  const browser = createVisitBrowser({
    allowPrivate: deps.allowPrivate,
    publicUrl: deps.publicUrl,
    nowMs: () => deps.clock.now().getTime(),
    ...(deps.browser?.chromiumPath ? { chromiumPath: deps.browser.chromiumPath } : {}),
    ...(deps.browser?.maxPages ? { maxPages: deps.browser.maxPages } : {}),
    ...(deps.browser?.maxRssMb ? { maxRssMb: deps.browser.maxRssMb } : {}),
    ...(deps.egress ? { egress: deps.egress } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
  })
  const engine = createVisitorEngine({
    db: deps.db,
    ledger: deps.ledger,
    clock: deps.clock,
    http: createVisitHttp({
      allowPrivate: deps.allowPrivate,
      publicUrl: deps.publicUrl,
      nowMs: () => deps.clock.now().getTime(),
      ...(deps.egress ? { egress: deps.egress } : {}),
    }),
    recheck: engineRecheck(deps.verify, deps.clock),
    signingKey: visitSigningKeys(deps.secretKey),
    toEngineProject: engineProjectOf(deps.speed),
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(deps.onHit ? { onHit: deps.onHit } : {}),
    browser,
  })
  return {
    ...engine,
    async stop() {
      // The browser's close ends every time on page at once, so the engine's drain is not
      // held up by open pages (their visits settle and are charged as answered).
      const stopping = engine.stop()
      await browser.close()
      await stopping
    },
  }
}
