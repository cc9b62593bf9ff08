/**
 * Destination selection strategies (step 6 of a click, `routing/README.md`). Each takes the available candidates
 * in configured order and returns the index of the chosen one. All randomness comes from
 * the injected `random()`; values outside [0, 1) are clamped so a broken source of
 * randomness degrades to a deterministic pick instead of an exception.
 */
import type { Strategy } from '../routing.schema.ts'
import type { RouterState } from '../routing.types.ts'

/** An available destination of the stream. */
export interface Candidate {
  readonly destinationId: string
  /** Non-negative weight. */
  readonly weight: number
  /** Index in the stream's configured list. */
  readonly position: number
}

/** Source of uniform random numbers in [0, 1) (RouterState satisfies it; called as a method). */
export type RandomSource = Pick<RouterState, 'random'>

/** Recent EPC per destination (RouterState satisfies it; called as a method). */
export type EpcSource = Pick<RouterState, 'epc'>

/** Everything a strategy may need besides the candidates. */
export interface SelectionInput {
  /** Randomness and EPC data; usually the RouterState itself (no per-click closures). */
  readonly state: RandomSource & EpcSource
  /** Round-robin cursor from state (any number; sanitised). */
  readonly cursor: number
  /** Length of the stream's configured destination list (cursor modulus). */
  readonly listLength: number
  /** Best-ROI exploration share in [0, 1]. */
  readonly exploration: number
}

/** Chosen candidate index, plus the next round-robin cursor when the strategy uses one. */
export interface Selection {
  readonly index: number
  readonly nextCursor?: number
}

/** Clicks of EPC data below which a destination counts as having no data (explored, never exploited). */
export const MIN_EPC_CLICKS = 100

/** A draw in [0, 1): NaN/negative → 0, ≥ 1 → just below 1. */
export function safeRandom(rng: RandomSource): number {
  const r = rng.random()
  if (!(r >= 0)) return 0
  return r < 1 ? r : 1 - Number.EPSILON
}

/** Waterfall: the first available destination in configured order. */
export function pickWaterfall(candidates: readonly Candidate[]): number {
  return candidates.length > 0 ? 0 : -1
}

/**
 * Round robin over the configured list: the cursor is a position in the stream's list;
 * the pick is the first available candidate at or after it (wrapping), and the next cursor
 * is the position after the pick. A destination that drops out is skipped without shifting
 * the others' turns. Returns index -1 for no candidates.
 */
export function pickRoundRobin(
  candidates: readonly Candidate[],
  cursor: number,
  listLength: number,
): Selection {
  if (candidates.length === 0) return { index: -1 }
  const n = Math.max(1, Math.floor(listLength) || 1)
  const c = Number.isFinite(cursor) ? Math.trunc(cursor) : 0
  const start = ((c % n) + n) % n
  let index = candidates.findIndex((k) => k.position >= start)
  if (index < 0) index = 0
  const picked = candidates[index]!
  return { index, nextCursor: (picked.position + 1) % n }
}

/**
 * Weighted random: probability proportional to weight; zero weights are excluded unless
 * every candidate has weight 0, then the pick is uniform. One draw of `random()`.
 */
export function pickWeighted(candidates: readonly { readonly weight: number }[], rng: RandomSource): number {
  if (candidates.length === 0) return -1
  let total = 0
  for (const c of candidates) if (c.weight > 0) total += c.weight
  const r = safeRandom(rng)
  if (!(total > 0) || !Number.isFinite(total)) return Math.floor(r * candidates.length)
  let x = r * total
  let lastPositive = 0
  for (let i = 0; i < candidates.length; i++) {
    const w = candidates[i]!.weight
    if (!(w > 0)) continue
    lastPositive = i
    x -= w
    if (x < 0) return i
  }
  return lastPositive
}

/**
 * Best ROI: exploit the highest recent EPC, explore with probability `exploration`.
 * - A candidate "has data" when its EPC is finite and based on at least
 *   {@link MIN_EPC_CLICKS} clicks; others are only reached through exploration.
 * - When no candidate has data (e.g. no conversions or clicks yet), falls back to
 *   {@link pickWeighted} so the configured weights drive the early traffic.
 * - Otherwise one draw decides: below `exploration` → uniform among all candidates (a second
 *   draw), else the best EPC among candidates with data (ties: configured order).
 * So the best gets (1 − e) + e/n of the traffic and every other candidate e/n.
 */
export function pickBestRoi(
  candidates: readonly Candidate[],
  exploration: number,
  source: RandomSource & EpcSource,
): number {
  if (candidates.length === 0) return -1
  let best = -1
  let bestEpc = Number.NEGATIVE_INFINITY
  for (let i = 0; i < candidates.length; i++) {
    const data = source.epc(candidates[i]!.destinationId)
    if (!data || !(data.clicks >= MIN_EPC_CLICKS) || !Number.isFinite(data.epcMicros)) continue
    if (data.epcMicros > bestEpc) {
      bestEpc = data.epcMicros
      best = i
    }
  }
  if (best < 0) return pickWeighted(candidates, source)
  const e = exploration >= 0 && exploration <= 1 ? exploration : 0
  if (safeRandom(source) < e) return Math.floor(safeRandom(source) * candidates.length)
  return best
}

/** Runs the stream's strategy (unknown strategies behave as weighted). Index -1 = no candidates. */
export function selectDestination(
  strategy: Strategy,
  candidates: readonly Candidate[],
  input: SelectionInput,
): Selection {
  switch (strategy) {
    case 'waterfall':
      return { index: pickWaterfall(candidates) }
    case 'round_robin':
      return pickRoundRobin(candidates, input.cursor, input.listLength)
    case 'best_roi':
      return { index: pickBestRoi(candidates, input.exploration, input.state) }
    default:
      return { index: pickWeighted(candidates, input.state) }
  }
}
