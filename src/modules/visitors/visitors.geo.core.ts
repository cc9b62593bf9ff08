/**
 * Geo of visits (pure): which country a visit leaves from, and which configured countries a
 * project may target. A visit for country X goes out through X's egress proxy
 * (`VISITORS_EGRESS`, `visitors.egress.ts`); geo is never faked with headers. README "Engine",
 * "Geo".
 */

/** A weighted country of a project's `geoTargets` (`cc`: ISO 3166-1 alpha-2, `w` > 0). */
export interface GeoTarget {
  cc: string
  w: number
}

/**
 * The country of one visit: `targets` picked by weight with the uniform draw `u` in [0, 1)
 * (the engine's seeded random), or null when `targets` is empty (no preference: direct egress).
 * Country i is chosen for u in [W(i−1)/W, W(i)/W) of the cumulative weights W, so its share is
 * `w_i / Σw`. Pure; never throws (u outside [0, 1) is clamped).
 */
export function pickCountry(targets: readonly GeoTarget[], u: number): string | null {
  if (targets.length === 0) return null
  const total = targets.reduce((n, t) => n + t.w, 0)
  let x = Math.min(Math.max(u, 0), 1) * total
  for (const t of targets) {
    x -= t.w
    if (x < 0) return t.cc
  }
  return targets[targets.length - 1]!.cc
}

/**
 * The expected share of each country (`w / Σw`), keyed by `cc`; empty for no targets. Pure.
 */
export function countryShares(targets: readonly GeoTarget[]): Map<string, number> {
  const total = targets.reduce((n, t) => n + t.w, 0)
  return new Map(targets.map((t) => [t.cc, t.w / total]))
}

/** A field error as in the API's `details` (dotted path, message). */
export interface GeoFieldError {
  path: string
  message: string
}

/**
 * Countries of `targets` that have no egress: one error per such entry, path
 * `<prefix>.geoTargets.<i>.cc`, message `no egress for XX`. Empty when every country has one.
 * @param egress the countries with an egress proxy (upper-case ISO codes). Pure.
 */
export function missingEgress(
  targets: readonly GeoTarget[],
  egress: ReadonlySet<string> | readonly string[],
  prefix = 'settings',
): GeoFieldError[] {
  const has = egress instanceof Set ? egress : new Set(egress as readonly string[])
  return targets.flatMap((t, i) =>
    has.has(t.cc) ? [] : [{ path: `${prefix}.geoTargets.${i}.cc`, message: `no egress for ${t.cc}` }],
  )
}
