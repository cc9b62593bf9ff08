/**
 * The in-memory routing snapshot: configuration rows compiled once (conditions, IP sets,
 * schedules, URL templates, stream order) so that routing a click only reads.
 */
import type { Strategy, Trafficback } from '../routing.schema.ts'
import type {
  CampaignRow,
  ConfigRows,
  DestinationRow,
  LanderRow,
  SourceRow,
  StreamRow,
} from '../routing.types.ts'
import { type CompiledConditions, compileConditions } from './conditions.ts'
import { type CompiledSchedule, compileSchedule, isValidTimeZone } from './local-time.ts'
import { type CompiledUrlTemplate, compileUrlTemplate } from './macros.ts'

/** A destination ready for routing. */
export interface CompiledDestination {
  readonly id: string
  readonly workspaceId: string
  readonly name: string
  readonly row: DestinationRow
  readonly template: CompiledUrlTemplate
  /** Weekly window in the routing campaign's timezone; null = always. */
  readonly schedule: CompiledSchedule | null
}

/** One entry of a stream's destination list. */
export interface CompiledLink {
  readonly destinationId: string
  /** Non-negative integer weight (weighted strategy). */
  readonly weight: number
  readonly active: boolean
  /** Index in the stream's configured list (round-robin cursor positions). */
  readonly position: number
  /** undefined when the destination is missing, in another workspace or has an unusable URL. */
  readonly destination: CompiledDestination | undefined
}

/** A lander ready for routing (its URL compiled like an offer's). */
export interface CompiledLander {
  readonly id: string
  readonly workspaceId: string
  readonly name: string
  readonly row: LanderRow
  readonly template: CompiledUrlTemplate
}

/** One entry of a stream's lander list. */
export interface CompiledLanderLink {
  readonly landerId: string
  /** Non-negative integer weight (the lander rotation is weighted random). */
  readonly weight: number
  readonly active: boolean
  readonly position: number
  /** undefined when the lander is missing, in another workspace or has an unusable URL. */
  readonly lander: CompiledLander | undefined
}

/** An active stream with compiled conditions. */
export interface CompiledStream {
  readonly id: string
  readonly name: string
  readonly kind: 'forced' | 'regular' | 'default'
  readonly priority: number
  readonly strategy: Strategy
  /** Best-ROI exploration share, clamped to [0, 1]. */
  readonly exploration: number
  readonly conditions: CompiledConditions
  readonly links: readonly CompiledLink[]
  /** The stream's landers in configured order; empty = straight to an offer. */
  readonly landers: readonly CompiledLanderLink[]
}

/** A resolvable (active or paused) campaign. */
export interface CompiledCampaign {
  readonly id: string
  readonly workspaceId: string
  readonly alias: string
  readonly name: string
  readonly status: 'active' | 'paused' | 'archived'
  /** Valid IANA timezone ("UTC" when the row's is unknown). */
  readonly timezone: string
  readonly trafficback: Trafficback
  readonly antiRepeat: { readonly enabled: boolean; readonly windowMs: number }
  /** Window for the decision's `unique` flag: anti_repeat.window_seconds (default 24 h), in ms. */
  readonly uniqueWindowMs: number
  readonly source: SourceRow | null
  /** Active streams in routing order: forced, regular, default; each by priority asc, then name, id. */
  readonly streams: readonly CompiledStream[]
  readonly row: CampaignRow
}

/** Immutable compiled configuration. Build with {@link compileSnapshot}. */
export interface Snapshot {
  readonly version: number
  /** Active and paused campaigns by alias (archived ones are absent: 404). */
  readonly campaignsByAlias: ReadonlyMap<string, CompiledCampaign>
  /** Active and paused campaigns by id. */
  readonly campaignsById: ReadonlyMap<string, CompiledCampaign>
  readonly destinationsById: ReadonlyMap<string, CompiledDestination>
  readonly sourcesById: ReadonlyMap<string, SourceRow>
  readonly landersById: ReadonlyMap<string, CompiledLander>
  /** Problems found while compiling (invalid CIDRs, unusable URLs, cross-workspace links...). */
  readonly warnings: readonly string[]
}

const KIND_ORDER = { forced: 0, regular: 1, default: 2 } as const
const DAY_SECONDS = 86400

/**
 * Compiles configuration rows into a {@link Snapshot}. Never throws for malformed rows:
 * what cannot be used is skipped or made unavailable, and described in `warnings`.
 * Links and sources are resolved only within the campaign's workspace.
 */
export function compileSnapshot(rows: ConfigRows): Snapshot {
  const warnings: string[] = []
  const destinationsById = new Map<string, CompiledDestination>()
  for (const d of rows.destinations ?? []) destinationsById.set(d.id, compileDestination(d, warnings))
  const sourcesById = new Map<string, SourceRow>()
  for (const s of rows.sources ?? []) sourcesById.set(s.id, s)
  const landersById = new Map<string, CompiledLander>()
  for (const l of rows.landers ?? []) landersById.set(l.id, compileLander(l, warnings))

  const streamsByCampaign = new Map<string, StreamRow[]>()
  for (const s of rows.streams ?? []) {
    if (!s.active) continue
    const list = streamsByCampaign.get(s.campaignId)
    if (list) list.push(s)
    else streamsByCampaign.set(s.campaignId, [s])
  }

  const campaignsByAlias = new Map<string, CompiledCampaign>()
  const campaignsById = new Map<string, CompiledCampaign>()
  for (const c of rows.campaigns ?? []) {
    if (c.status === 'archived') continue
    if (campaignsByAlias.has(c.alias)) {
      warnings.push(`campaign ${c.id}: alias ${c.alias} already used, ignored`)
      continue
    }
    const compiled = compileCampaign(
      c,
      streamsByCampaign.get(c.id) ?? [],
      destinationsById,
      sourcesById,
      landersById,
      warnings,
    )
    campaignsByAlias.set(c.alias, compiled)
    campaignsById.set(c.id, compiled)
  }
  return {
    version: rows.version,
    campaignsByAlias,
    campaignsById,
    destinationsById,
    sourcesById,
    landersById,
    warnings,
  }
}

/** The campaign for `/c/:alias`, or undefined (unknown or archived: 404). */
export function findCampaign(snapshot: Snapshot, alias: string): CompiledCampaign | undefined {
  return snapshot.campaignsByAlias.get(alias)
}

function compileDestination(d: DestinationRow, warnings: string[]): CompiledDestination {
  const template = compileUrlTemplate(d.url)
  if (!template.ok)
    warnings.push(`destination ${d.id}: URL is not an absolute http(s) URL with a literal host`)
  if (template.droppedFromAuthority.length > 0) {
    warnings.push(
      `destination ${d.id}: macros in the host part ignored: ${template.droppedFromAuthority.join(' ')}`,
    )
  }
  return {
    id: d.id,
    workspaceId: d.workspaceId,
    name: d.name,
    row: d,
    template,
    schedule: d.schedule ? compileSchedule(d.schedule) : null,
  }
}

function compileLander(l: LanderRow, warnings: string[]): CompiledLander {
  const template = compileUrlTemplate(l.url)
  if (!template.ok) warnings.push(`lander ${l.id}: URL is not an absolute http(s) URL with a literal host`)
  return { id: l.id, workspaceId: l.workspaceId, name: l.name, row: l, template }
}

function windowMs(seconds: unknown): number {
  return (
    (typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds : DAY_SECONDS) * 1000
  )
}

function compileCampaign(
  c: CampaignRow,
  streams: StreamRow[],
  destinations: ReadonlyMap<string, CompiledDestination>,
  sources: ReadonlyMap<string, SourceRow>,
  landers: ReadonlyMap<string, CompiledLander>,
  warnings: string[],
): CompiledCampaign {
  let timezone = c.timezone
  if (!isValidTimeZone(timezone)) {
    warnings.push(`campaign ${c.id}: unknown timezone ${JSON.stringify(timezone)}, using UTC`)
    timezone = 'UTC'
  }
  const source = c.sourceId ? sources.get(c.sourceId) : undefined
  const compiledStreams = streams
    .filter((s) => {
      if (s.workspaceId === c.workspaceId) return true
      warnings.push(`stream ${s.id}: belongs to another workspace than campaign ${c.id}, ignored`)
      return false
    })
    .sort(compareStreams)
    .map((s) => compileStream(s, c.workspaceId, destinations, landers, warnings))
  return {
    id: c.id,
    workspaceId: c.workspaceId,
    alias: c.alias,
    name: c.name,
    status: c.status,
    timezone,
    trafficback: c.trafficback ?? { type: 'none' },
    antiRepeat: { enabled: c.antiRepeat?.enabled === true, windowMs: windowMs(c.antiRepeat?.window_seconds) },
    uniqueWindowMs: windowMs(c.antiRepeat?.window_seconds),
    source: source && source.workspaceId === c.workspaceId ? source : null,
    streams: compiledStreams,
    row: c,
  }
}

/** Routing order: kind (forced, regular, default), priority ascending, then name and id for stability. */
export function compareStreams(a: StreamRow, b: StreamRow): number {
  return (
    (KIND_ORDER[a.kind] ?? 1) - (KIND_ORDER[b.kind] ?? 1) ||
    (a.priority ?? 0) - (b.priority ?? 0) ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  )
}

function compileStream(
  s: StreamRow,
  workspaceId: string,
  destinations: ReadonlyMap<string, CompiledDestination>,
  landers: ReadonlyMap<string, CompiledLander>,
  warnings: string[],
): CompiledStream {
  const warn = (msg: string): void => {
    warnings.push(`stream ${s.id}: ${msg}`)
  }
  const links = (s.destinations ?? []).map((l, position): CompiledLink => {
    let destination = destinations.get(l.destinationId)
    if (destination && destination.workspaceId !== workspaceId) {
      warn(`destination ${l.destinationId} belongs to another workspace`)
      destination = undefined
    }
    if (destination && !destination.template.ok) destination = undefined
    const weight = Number.isFinite(l.weight) && l.weight > 0 ? l.weight : 0
    return { destinationId: l.destinationId, weight, active: l.active !== false, position, destination }
  })
  const landerLinks = (s.landers ?? []).map((l, position): CompiledLanderLink => {
    let lander = landers.get(l.landerId)
    if (lander && lander.workspaceId !== workspaceId) {
      warn(`lander ${l.landerId} belongs to another workspace`)
      lander = undefined
    }
    if (lander && !lander.template.ok) lander = undefined
    const weight = Number.isFinite(l.weight) && l.weight > 0 ? l.weight : 0
    return { landerId: l.landerId, weight, active: l.active !== false, position, lander }
  })
  const exploration = Number.isFinite(s.exploration) ? Math.min(1, Math.max(0, s.exploration)) : 0.1
  return {
    id: s.id,
    name: s.name,
    kind: s.kind in KIND_ORDER ? s.kind : 'regular',
    priority: s.priority,
    strategy: s.strategy,
    exploration,
    conditions: compileConditions(s.conditions, warn),
    links,
    landers: landerLinks,
  }
}
