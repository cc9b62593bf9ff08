/**
 * Per-request evaluation environment: the request context normalised once, with lazy
 * caches for the expensive derived values (lower-cased user agent and referrer, parsed IP,
 * local time, last visit), so ten streams with conditions pay for each at most once.
 */
import type { RequestContext, RouterState } from '../routing.types.ts'
import { type ParsedIp, parseIp } from './ip.ts'
import { type LocalTime, localTime } from './local-time.ts'
import { queryValue, str } from './text.ts'

const UNSET = Symbol('unset')

/** Lazily derived, read-only view of one request for conditions, availability and macros. */
export class RequestEnv {
  /** Epoch ms of `now` (NaN when `now` is an invalid Date). */
  readonly nowMs: number
  readonly userKey: string
  private uaLowerCache: string | typeof UNSET = UNSET
  private refLowerCache: string | typeof UNSET = UNSET
  private ipCache: ParsedIp | null | typeof UNSET = UNSET
  private timeCache: LocalTime | null | typeof UNSET = UNSET
  private seenCache: number | undefined | typeof UNSET = UNSET
  private countryCache: string | undefined
  private languageCache: string | undefined
  private osLowerCache: string | undefined
  private browserLowerCache: string | undefined

  /**
   * @param ctx request context built by the shell (fields are defended against non-strings)
   * @param state read-only router state
   * @param now request time
   * @param campaignId campaign being routed (uniqueness)
   * @param timeZone campaign IANA timezone (schedules)
   */
  constructor(
    readonly ctx: RequestContext,
    readonly state: RouterState,
    readonly now: Date,
    readonly campaignId: string,
    readonly timeZone: string,
  ) {
    this.nowMs = now instanceof Date ? now.getTime() : Number.NaN
    this.userKey = str(ctx?.userKey)
  }

  /** ISO country, upper case. */
  get country(): string {
    if (this.countryCache === undefined) this.countryCache = str(this.ctx.country).toUpperCase()
    return this.countryCache
  }

  /** Primary language subtag, lower case ("en-US" → "en"). */
  get language(): string {
    if (this.languageCache === undefined) this.languageCache = primaryLanguage(str(this.ctx.language))
    return this.languageCache
  }

  /** Device type ("desktop" | "mobile" | "tablet" | "other", or "" when malformed). */
  get device(): string {
    return str(this.ctx.device)
  }

  /** OS name as detected ("iOS"). */
  get os(): string {
    return str(this.ctx.os)
  }

  /** Browser name as detected ("Chrome"). */
  get browser(): string {
    return str(this.ctx.browser)
  }

  /** OS name, lower case (case-insensitive comparisons). */
  get osLower(): string {
    if (this.osLowerCache === undefined) this.osLowerCache = this.os.toLowerCase()
    return this.osLowerCache
  }

  /** Browser name, lower case. */
  get browserLower(): string {
    if (this.browserLowerCache === undefined) this.browserLowerCache = this.browser.toLowerCase()
    return this.browserLowerCache
  }

  /** True only when the shell flagged the request as a bot. */
  get isBot(): boolean {
    return this.ctx.isBot === true
  }

  /** User agent, lower case (wildcard matching). */
  get userAgentLower(): string {
    if (this.uaLowerCache === UNSET) this.uaLowerCache = str(this.ctx.userAgent).toLowerCase()
    return this.uaLowerCache
  }

  /** Referrer, lower case ("" when absent). */
  get referrerLower(): string {
    if (this.refLowerCache === UNSET) this.refLowerCache = str(this.ctx.referrer).toLowerCase()
    return this.refLowerCache
  }

  /** Parsed client IP, or null when missing or malformed. */
  get ip(): ParsedIp | null {
    if (this.ipCache === UNSET) this.ipCache = parseIp(str(this.ctx.ip))
    return this.ipCache
  }

  /** Local time in the campaign timezone, or null (unknown timezone or invalid `now`). */
  get localTime(): LocalTime | null {
    if (this.timeCache === UNSET) this.timeCache = localTime(this.timeZone, this.nowMs)
    return this.timeCache
  }

  /** Epoch ms of this visitor's previous click in this campaign, or undefined. */
  get lastSeenCampaign(): number | undefined {
    if (this.seenCache === UNSET) {
      const v = this.state.lastSeenCampaign(this.userKey, this.campaignId)
      this.seenCache = typeof v === 'number' && Number.isFinite(v) ? v : undefined
    }
    return this.seenCache
  }

  /**
   * True when the visitor has not clicked this campaign within `windowMs` (never seen, or
   * last seen at least `windowMs` ago).
   */
  isUniqueWithin(windowMs: number): boolean {
    const last = this.lastSeenCampaign
    return last === undefined || !(this.nowMs - last < windowMs)
  }

  /** Query parameter value ("" when absent); safe for any name. */
  query(name: string): string {
    return queryValue(this.ctx.query, name)
  }
}

/** Primary subtag of a language tag, lower case: "pt-BR" → "pt", "EN_gb" → "en". */
export function primaryLanguage(tag: string): string {
  const s = tag.trim().toLowerCase()
  const cut = s.search(/[-_;,\s]/)
  return cut < 0 ? s : s.slice(0, cut)
}
