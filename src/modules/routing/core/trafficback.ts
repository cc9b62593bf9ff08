/**
 * The trafficback hop/loop policy of `GET /c/:alias`: what the redirect does when a
 * campaign's decision is a trafficback, given how many trafficback hops the visitor has
 * already taken.
 *
 * - A campaign trafficback is followed in process (the shell routes the next campaign); a
 *   URL trafficback is a 302, and when the URL points back into our own `/c/` links it
 *   carries the hop count in {@link HOP_PARAM}, so a loop through URLs is counted too.
 * - Each followed trafficback is one hop. A step that would take the visitor past `maxHops`
 *   hops answers 404 instead, logged with `target_type` `loop`.
 * - `none`, and a campaign trafficback to a campaign the snapshot does not hold, answer 404.
 * - A URL trafficback that is not written as an http(s) URL answers 404 too: the API refuses
 *   such URLs at save time, this keeps a row saved before that (`javascript:…`) from ever
 *   becoming a `Location`.
 */
import { isHttpUrl } from '../../../platform/net/url.schema.ts'
import type { Trafficback } from '../routing.schema.ts'

/** Query parameter carrying the trafficback hop count on redirects back into our own links. */
export const HOP_PARAM = '_tfhop'

/** Largest hop count carried (the `trafficback.hops` column is a UInt8). */
const MAX_HOP_VALUE = 255

/**
 * Hops already taken, read from the {@link HOP_PARAM} query value: an integer prefix clamped
 * to 0…{@link MAX_HOP_VALUE}; absent or unparsable = 0. Any value past the limit means 404.
 */
export function parseHops(raw: string | undefined): number {
  return Math.max(0, Math.min(Number.parseInt(raw ?? '0', 10) || 0, MAX_HOP_VALUE))
}

/** `target_type` of a trafficback event: the target's type, or `loop` when stopped by the limit. */
export type TrafficbackTargetType = Trafficback['type'] | 'loop'

/** What the redirect does with one trafficback decision (see {@link trafficbackStep}). */
export type TrafficbackStep =
  /** Answer 404. */
  | { action: 'not_found'; targetType: TrafficbackTargetType; target: string }
  /** 302 to `url`; `hops` is the count after this hop (already in `url` when it is ours). */
  | { action: 'redirect'; targetType: 'url'; target: string; url: string; hops: number }
  /** Route campaign `target` next, in process, with `hops` taken. */
  | { action: 'follow'; targetType: 'campaign'; target: string; hops: number }

/**
 * Decides one trafficback step. Pure; never throws (an http(s) URL that does not parse is
 * redirected to as it is, without the hop counter; any other URL answers 404).
 * @param target the campaign's trafficback.
 * @param hops hops already taken (≥ 0) before this one.
 * @param maxHops most hops a visitor may take (`TRAFFICBACK_MAX_HOPS`, ≥ 1).
 * @param campaigns the snapshot's campaigns by id (only `has` is read, for campaign targets).
 * @param publicUrl our public base URL, without a trailing slash: `${publicUrl}/c/…` URLs are ours.
 */
export function trafficbackStep(
  target: Trafficback,
  hops: number,
  maxHops: number,
  campaigns: { has(id: string): boolean },
  publicUrl: string,
): TrafficbackStep {
  if (target.type === 'none') return { action: 'not_found', targetType: 'none', target: '' }
  const id = target.type === 'url' ? target.url : target.campaign_id
  if (hops + 1 > maxHops) return { action: 'not_found', targetType: 'loop', target: id }
  const next = hops + 1
  switch (target.type) {
    case 'url':
      if (!isHttpUrl(id)) return { action: 'not_found', targetType: 'url', target: id }
      return {
        action: 'redirect',
        targetType: 'url',
        target: id,
        url: withHop(id, publicUrl, next),
        hops: next,
      }
    case 'campaign':
      return campaigns.has(id)
        ? { action: 'follow', targetType: 'campaign', target: id, hops: next }
        : { action: 'not_found', targetType: 'campaign', target: id }
    default:
      return unreachable(target)
  }
}

function unreachable(target: never): never {
  throw new Error(`unknown trafficback ${JSON.stringify(target)}`)
}

/** Adds the hop counter to a trafficback URL that points back into our own campaign links. */
function withHop(url: string, publicUrl: string, hops: number): string {
  if (!url.startsWith(`${publicUrl}/c/`)) return url
  const u = URL.parse(url)
  if (!u) return url
  u.searchParams.set(HOP_PARAM, String(hops))
  return u.toString()
}
