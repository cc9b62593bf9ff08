/**
 * Stream conditions: compiled once at snapshot time into closures, evaluated per request.
 *
 * Semantics (one rule; `is_not` inverts the result of `is`):
 * - country: ISO2, case-insensitive equality; language: primary subtag ("en-US" ≡ "en");
 * - device: equality; os, browser: case-insensitive equality on the name ("iOS", "Chrome");
 * - ip: IPs and CIDRs, IPv4 and IPv6, IPv4-mapped IPv6 treated as IPv4; an unparseable
 *   client IP is in no network;
 * - user_agent, referrer, param, source: case-insensitive `*` wildcards over the whole
 *   value; a missing value is "" (so `""` matches an empty referrer / missing parameter);
 *   `source` reads the `source` query parameter;
 * - bot: `is` matches bots (ctx.isBot);
 * - schedule: weekday and minute in the campaign timezone (see local-time.ts for DST);
 *   an unknown timezone or invalid time matches nothing;
 * - unique: the visitor's user key has no click in this campaign within `window_seconds`.
 * An unknown rule type never matches (a rule we cannot evaluate must not open a stream).
 *
 * Groups: rules inside a group are joined by the group's `join`, groups by the top-level
 * `join`. No groups = match; a group without rules = match.
 */
import type { Condition, Conditions } from '../routing.schema.ts'
import type { RequestEnv } from './env.ts'
import { primaryLanguage } from './env.ts'
import { compileIpSet, ipInSet } from './ip.ts'
import { compileSchedule, fmtLocalTime, inSchedule } from './local-time.ts'
import { compilePatterns, matchPatterns, showList, showValue } from './text.ts'

/** One compiled rule: `test` is the final verdict (op applied); `describe` explains a failure. */
export interface CompiledRule {
  readonly test: (env: RequestEnv) => boolean
  /** e.g. "country is [US, CA] — got DE". Only called for traces (not on the hot path). */
  readonly describe: (env: RequestEnv) => string
}

/** A compiled group: its rules joined by `join`. */
export interface CompiledGroup {
  readonly join: 'and' | 'or'
  readonly rules: readonly CompiledRule[]
}

/** Compiled condition tree of one stream. */
export interface CompiledConditions {
  readonly join: 'and' | 'or'
  readonly groups: readonly CompiledGroup[]
}

/** Matches everything: used for streams without conditions. */
export const MATCH_ALL: CompiledConditions = { join: 'and', groups: [] }

type Probe = { test: (env: RequestEnv) => boolean; got: (env: RequestEnv) => string; shown: string }

function inSet(values: readonly unknown[] | undefined, norm: (s: string) => string): Set<string> {
  const set = new Set<string>()
  for (const v of Array.isArray(values) ? values : []) if (typeof v === 'string') set.add(norm(v))
  return set
}

const upper = (s: string): string => s.toUpperCase()
const lower = (s: string): string => s.toLowerCase()
const same = (s: string): string => s

/** The `is` test of a rule plus how to show the request's value; null for an unknown type. */
function probe(c: Condition, warn: (msg: string) => void): Probe | null {
  switch (c.type) {
    case 'country': {
      const set = inSet(c.values, upper)
      return { test: (e) => set.has(e.country), got: (e) => showValue(e.country), shown: showList(c.values) }
    }
    case 'language': {
      const set = inSet(c.values, primaryLanguage)
      return {
        test: (e) => set.has(e.language),
        got: (e) => showValue(e.language),
        shown: showList(c.values),
      }
    }
    case 'device': {
      const set = inSet(c.values, same)
      return { test: (e) => set.has(e.device), got: (e) => showValue(e.device), shown: showList(c.values) }
    }
    case 'os': {
      const set = inSet(c.values, lower)
      return {
        test: (e) => set.has(e.osLower),
        got: (e) => showValue(e.os),
        shown: showList(c.values),
      }
    }
    case 'browser': {
      const set = inSet(c.values, lower)
      return {
        test: (e) => set.has(e.browserLower),
        got: (e) => showValue(e.browser),
        shown: showList(c.values),
      }
    }
    case 'ip': {
      const set = compileIpSet(c.values, warn)
      return {
        test: (e) => {
          const ip = e.ip
          return ip !== null && ipInSet(ip, set)
        },
        got: (e) => showValue(String(e.ctx.ip ?? '')),
        shown: showList(c.values),
      }
    }
    case 'user_agent': {
      const set = compilePatterns(c.values)
      return {
        test: (e) => matchPatterns(set, e.userAgentLower),
        got: (e) => showValue(String(e.ctx.userAgent ?? '')),
        shown: showList(c.values),
      }
    }
    case 'referrer': {
      const set = compilePatterns(c.values)
      return {
        test: (e) => matchPatterns(set, e.referrerLower),
        got: (e) => showValue(String(e.ctx.referrer ?? '')),
        shown: showList(c.values),
      }
    }
    case 'param':
    case 'source': {
      const set = compilePatterns(c.values)
      const name = c.type === 'source' ? 'source' : String(c.name ?? '')
      return {
        test: (e) => matchPatterns(set, e.query(name).toLowerCase()),
        got: (e) => showValue(e.query(name)),
        shown: c.type === 'param' ? `${showList(c.values)} (param ${name})` : showList(c.values),
      }
    }
    case 'bot':
      return { test: (e) => e.isBot, got: (e) => (e.isBot ? 'bot' : 'not a bot'), shown: '' }
    case 'schedule': {
      const s = compileSchedule(c.schedule)
      return {
        test: (e) => {
          const t = e.localTime
          return t !== null && inSchedule(s, t)
        },
        got: (e) => `${fmtLocalTime(e.localTime)} (${e.timeZone})`,
        shown: s.label,
      }
    }
    case 'unique': {
      const seconds = Number.isFinite(c.window_seconds) && c.window_seconds > 0 ? c.window_seconds : 86400
      const windowMs = seconds * 1000
      return {
        test: (e) => e.isUniqueWithin(windowMs),
        got: (e) => {
          const last = e.lastSeenCampaign
          return last === undefined ? 'never seen' : `seen ${Math.round((e.nowMs - last) / 1000)}s ago`
        },
        shown: `within ${seconds}s`,
      }
    }
    default: {
      // Every kind is handled above (a new kind fails to compile here); at run time a stored
      // rule of a kind this build does not know still arrives here and never matches.
      const unknownKind: never = c
      void unknownKind
      return null
    }
  }
}

/** Compiles one condition. Unknown types compile to a rule that never matches (and warn). */
export function compileCondition(c: Condition, warn: (msg: string) => void = () => {}): CompiledRule {
  const type = String((c as { type?: unknown })?.type)
  const p = c && typeof c === 'object' ? probe(c, warn) : null
  if (!p) {
    warn(`unknown condition type ${JSON.stringify(type)}`)
    return { test: () => false, describe: () => `unknown condition type ${type}` }
  }
  const negate = c.op === 'is_not'
  const { test, got, shown } = p
  const head = `${type} ${negate ? 'is_not' : 'is'}${shown ? ` ${shown}` : ''}`
  return {
    test: negate ? (e) => !test(e) : test,
    describe: (e) => `${head} — got ${got(e)}`,
  }
}

/** Compiles a condition tree (`undefined`/empty = match all). Invalid parts are reported via `warn`. */
export function compileConditions(
  conditions: Conditions | null | undefined,
  warn: (msg: string) => void = () => {},
): CompiledConditions {
  const groups = Array.isArray(conditions?.groups) ? conditions.groups : []
  if (groups.length === 0) return MATCH_ALL
  return {
    join: conditions?.join === 'or' ? 'or' : 'and',
    groups: groups.map((g) => ({
      join: g?.join === 'or' ? 'or' : 'and',
      rules: (Array.isArray(g?.rules) ? g.rules : []).map((r) => compileCondition(r, warn)),
    })),
  }
}

function matchGroup(g: CompiledGroup, env: RequestEnv): boolean {
  const rules = g.rules
  if (rules.length === 0) return true
  if (g.join === 'and') {
    for (const r of rules) if (!r.test(env)) return false
    return true
  }
  for (const r of rules) if (r.test(env)) return true
  return false
}

/** True when the request matches the compiled conditions. Short-circuits in rule order. */
export function matchConditions(cc: CompiledConditions, env: RequestEnv): boolean {
  const groups = cc.groups
  if (groups.length === 0) return true
  if (cc.join === 'and') {
    for (const g of groups) if (!matchGroup(g, env)) return false
    return true
  }
  for (const g of groups) if (matchGroup(g, env)) return true
  return false
}

function explainGroup(g: CompiledGroup, env: RequestEnv): string | undefined {
  if (matchGroup(g, env)) return undefined
  if (g.join === 'and') return g.rules.find((r) => !r.test(env))?.describe(env)
  return joinAlternatives(g.rules.map((r) => r.describe(env)))
}

function joinAlternatives(parts: string[]): string {
  const shown = parts.slice(0, 3).join(' OR ')
  return parts.length > 3 ? `${shown} OR +${parts.length - 3} more` : shown
}

/**
 * Why the request does not match, human readable: for AND the first failing rule, for OR
 * the failing alternatives (up to three). undefined when it matches. Slow path (traces).
 */
export function explainMismatch(cc: CompiledConditions, env: RequestEnv): string | undefined {
  if (matchConditions(cc, env)) return undefined
  if (cc.join === 'and') {
    for (const g of cc.groups) {
      const why = explainGroup(g, env)
      if (why !== undefined) return why
    }
    return 'conditions did not match'
  }
  return joinAlternatives(cc.groups.map((g) => explainGroup(g, env) ?? 'group did not match'))
}
