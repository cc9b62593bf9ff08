/**
 * Environment → typed configuration, parsed once with zod.
 *
 * This is the only file that reads `process.env`. Every variable is documented in
 * `.env.example`. A bad value stops the process with a message naming the variable.
 */
import path from 'node:path'
import { z } from 'zod'
import { httpUrl } from './platform/net/url.schema.ts'

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes')

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def)

const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(z.url().optional())

/** Like `optionalUrl`, but only http(s): URLs the platform links to or talks HTTP with. */
const optionalHttpUrl = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(httpUrl.optional())

/** A comma-separated list of secrets (rotation: several valid at once); empty entries dropped. */
const secretList = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  )

/** The plans when `OUTREACH_PLANS` is not set. */
const DEFAULT_PLANS_TEXT = 'free:20,starter:200,pro:1000'

const PLAN_NAME = /^[a-z][a-z0-9_-]{0,31}$/
/** Largest daily limit a plan may grant. */
const MAX_DAILY_LIMIT = 1_000_000

/**
 * Parses a plan list `name:limit,name:limit,…` (blanks around items ignored), in order; the
 * first plan is the default of a new workspace.
 * @throws Error naming the bad entry (1-based position and text): an entry that is not
 *   `name:limit`, a name not matching `[a-z][a-z0-9_-]{0,31}`, a limit that is not an integer
 *   in 0..{@link MAX_DAILY_LIMIT}, a name listed twice, or an empty list.
 */
export function parsePlans(text: string): { name: string; dailyLimit: number }[] {
  const entries = text.split(',').map((e) => e.trim())
  if (entries.length === 1 && entries[0] === '')
    throw new Error('no outreach plans: give e.g. "free:20,pro:1000"')
  const out: { name: string; dailyLimit: number }[] = []
  entries.forEach((entry, i) => {
    const where = `plan entry ${i + 1} ${JSON.stringify(entry)}`
    const m = /^([^:\s]+)\s*:\s*(\S+)$/.exec(entry)
    if (!m) throw new Error(`${where}: write name:daily_limit, e.g. starter:200`)
    const [, name, limit] = m as unknown as [string, string, string]
    if (!PLAN_NAME.test(name)) throw new Error(`${where}: name must be lower-case letters, digits, _ or -`)
    if (!/^\d+$/.test(limit) || Number(limit) > MAX_DAILY_LIMIT)
      throw new Error(`${where}: daily limit must be a whole number from 0 to ${MAX_DAILY_LIMIT}`)
    if (out.some((p) => p.name === name)) throw new Error(`${where}: plan ${name} is listed twice`)
    out.push({ name, dailyLimit: Number(limit) })
  })
  return out
}

/** `OUTREACH_PLANS`: `name:daily-credits,…` → plans ({@link parsePlans}). */
const outreachPlans = z
  .string()
  .default(DEFAULT_PLANS_TEXT)
  .transform((v, ctx) => {
    try {
      return parsePlans(v)
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message })
      return z.NEVER
    }
  })

const RATE = /^(0|[1-9]\d{0,6})(?:\.(\d{1,2}))?$/
/**
 * `BILLING_PRICE_TIERS`: `from:rate,…` in major units (`0:0.58,129:0.43,399:0.40`) → tiers in
 * minor units (`{fromMinor: 12900, rateMinorPer1000: 43}`); the first from 0, bounds
 * increasing, rates ≥ 0.01 with at most two decimals (an integer rate in cents keeps the
 * visit arithmetic exact). The billing module's `pricing.core.ts` documents the curve.
 */
const priceTiers = z
  .string()
  .default('0:0.58,129:0.43,399:0.40,999:0.33,1249:0.25,2999:0.20')
  .transform((v, ctx) => {
    const cents = (t: string) => {
      const m = RATE.exec(t.trim())
      return m ? Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0')) : undefined
    }
    const tiers: { fromMinor: number; rateMinorPer1000: number }[] = []
    for (const part of v.split(',')) {
      const [from, rate, extra] = part.split(':')
      const f = from === undefined ? undefined : cents(from)
      const r = rate === undefined ? undefined : cents(rate)
      if (extra !== undefined || f === undefined || r === undefined || r < 1) {
        ctx.addIssue({
          code: 'custom',
          message: `bad tier ${JSON.stringify(part)}: want from:rate, e.g. 129:0.43`,
        })
        return z.NEVER
      }
      tiers.push({ fromMinor: f, rateMinorPer1000: r })
    }
    if (tiers[0]?.fromMinor !== 0 || tiers.some((t, i) => i > 0 && t.fromMinor <= tiers[i - 1]!.fromMinor)) {
      ctx.addIssue({ code: 'custom', message: 'tiers must start at 0 and increase' })
      return z.NEVER
    }
    return tiers
  })

/** Scheme of an egress proxy URL: HTTP(S) proxies (CONNECT) and SOCKS5 (undici's `Socks5ProxyAgent`). */
const EGRESS_SCHEMES = new Set(['http:', 'https:', 'socks5:', 'socks:'])

/**
 * `VISITORS_EGRESS`: `CC=proxy-url,…` (e.g. `US=http://127.0.0.1:8001,DE=http://user:pass@proxy.de:3128`)
 * → `{US: 'http://127.0.0.1:8001', …}`. `CC` is an upper-case two-letter country code (the
 * visitors module checks it is an assigned ISO 3166-1 code when the engine is built); each
 * country once; the URL is `http:`, `https:`, `socks5:` or `socks:` with a host and no path,
 * query or fragment; credentials in the user-info part, percent-encoded (a comma as `%2C`).
 * Messages never repeat a password.
 */
const egressMap = z
  .string()
  .default('')
  .transform((v, ctx) => {
    const out: Record<string, string> = {}
    const fail = (message: string) => {
      ctx.addIssue({ code: 'custom', message })
      return z.NEVER
    }
    for (const raw of v.split(',')) {
      const part = raw.trim()
      if (part === '') continue
      const eq = part.indexOf('=')
      const cc = eq < 0 ? part : part.slice(0, eq).trim()
      if (eq < 0 || !/^[A-Z]{2}$/.test(cc))
        return fail(
          `bad entry ${JSON.stringify(cc)}: want CC=proxy-url with an upper-case country code, e.g. US=http://127.0.0.1:8001`,
        )
      if (Object.hasOwn(out, cc)) return fail(`${cc} is listed twice`)
      const u = URL.parse(part.slice(eq + 1).trim())
      if (!u || !EGRESS_SCHEMES.has(u.protocol) || u.hostname === '')
        return fail(`${cc}: want an http://, https://, socks5:// or socks:// proxy URL with a host`)
      if ((u.pathname !== '/' && u.pathname !== '') || u.search !== '' || u.hash !== '')
        return fail(`${cc}: a proxy URL has no path, query or fragment`)
      out[cc] = u.href.replace(/\/$/, '')
    }
    return out
  })

export const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    /** HTTP port for the admin UI, API, redirects and postbacks. */
    PORT: int(3000),
    HOST: z.string().default('0.0.0.0'),
    /** Public base URL printed in campaign links; defaults to http://localhost:PORT. */
    PUBLIC_URL: optionalHttpUrl.optional(),
    /** Embedded data lives here: PGlite in DATA_DIR/pg, chDB in DATA_DIR/ch, the click spool in DATA_DIR/spool. */
    DATA_DIR: z.string().default('./data'),
    /** PostgreSQL connection string; when unset the embedded PGlite is used. */
    DATABASE_URL: optionalUrl.optional(),
    /** ClickHouse server URL (e.g. http://127.0.0.1:8123); when unset the embedded chDB is used. */
    CLICKHOUSE_URL: optionalHttpUrl.optional(),
    CLICKHOUSE_DATABASE: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .default('traffoflex'),
    CLICKHOUSE_USER: z.string().default('default'),
    CLICKHOUSE_PASSWORD: z.string().default(''),
    /** Comma-separated CIDRs whose X-Forwarded-For is trusted (e.g. "127.0.0.1/32,10.0.0.0/8"). */
    TRUSTED_PROXIES: z.string().default(''),
    /** Allow health checks to private, loopback and link-local addresses (SSRF guard off). */
    HEALTHCHECK_ALLOW_PRIVATE: bool.default(false),
    /** Allow outbound postbacks to private, loopback and link-local addresses (SSRF guard off). */
    OUTBOUND_ALLOW_PRIVATE: bool.default(false),
    /**
     * How often (ms) an idle job worker polls its pg-boss queue (an enqueue in this process
     * wakes it at once). Unset: 1000 on PostgreSQL, 5000 on the embedded PGlite (see `jobsPollMs`).
     */
    JOBS_POLL_MS: int(1_000, 50).optional(),
    /** Days the inbound postback log is kept; older rows are deleted by an hourly job. */
    POSTBACK_LOG_RETENTION_DAYS: int(90, 1),
    /** Days the change log is kept (0 = forever); older rows are deleted by a daily job. */
    CHANGE_LOG_RETENTION_DAYS: int(365, 0),
    /** Days security events (sign-ins, 2FA, API keys) are kept (0 = forever); daily job. */
    SECURITY_EVENTS_RETENTION_DAYS: int(365, 0),
    /**
     * Unauthenticated postback refusals (unknown network, IP outside the allowlist, wrong
     * secret) allowed per client IP and per network per minute before 429 (0 = no limit), and
     * how many of them per (outcome, network) per minute are written to the postback log.
     */
    POSTBACK_REFUSED_PER_IP_PER_MIN: int(60, 0),
    POSTBACK_REFUSED_PER_NETWORK_PER_MIN: int(600, 0),
    POSTBACK_REFUSED_LOG_PER_MIN: int(10, 0),
    /**
     * Group commit of postbacks: max postbacks per transaction (0 = 100 on PGlite, whose
     * statements run on the event loop the redirects share, 500 on PostgreSQL), max waiting
     * before 503 + Retry-After, and transactions in flight at once (0 = 1 on PGlite, 2 on
     * PostgreSQL).
     */
    POSTBACK_BATCH_MAX: int(0, 0),
    POSTBACK_QUEUE_MAX: int(10_000, 1),
    POSTBACK_BATCH_CONCURRENCY: int(0, 0),
    /** How long a batch that is not full waits for more postbacks, ms (0 = starts at once). */
    POSTBACK_BATCH_LINGER_MS: int(5, 0),
    /** First admin; when ADMIN_PASSWORD is empty a password is generated and printed once. */
    ADMIN_EMAIL: z.email().default('admin@traffoflex.local'),
    ADMIN_PASSWORD: z.string().default(''),
    /** Seed the labelled sample campaign on an empty database. */
    SEED_SAMPLE: bool.default(true),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** How often (ms) each process polls the configuration version to rebuild its routing snapshot. */
    SNAPSHOT_POLL_MS: int(500, 50),
    /** Click pipeline: max events held in memory before backpressure, batch size and flush interval. */
    PIPELINE_QUEUE_MAX: int(200_000, 100),
    PIPELINE_BATCH_SIZE: int(20_000, 1),
    PIPELINE_FLUSH_MS: int(1_000, 10),
    /** Megabytes of inserted click lines kept in memory so a postback for a recent click needs no ClickHouse query (0 = none). */
    PIPELINE_RECENT_MB: int(64, 0),
    /**
     * V8 heap growing factor of the serving process as (1 + percent / 100) after each major
     * GC; 0 keeps V8's heuristics. Higher means rarer major-GC pauses on the redirect for more
     * memory (see src/platform/gc.ts).
     */
    GC_HEAP_GROWING_PERCENT: int(200, 0).pipe(z.number().max(1000)),
    /**
     * Scheduling of the serving process's helper threads (Linux): `idle` runs every thread but
     * the event loop under SCHED_IDLE (nice 19 where `chrt` is missing), `engine` lowers only
     * chDB's threads to nice 10, `off` changes nothing (see src/platform/thread-priority.ts).
     * Unset: `idle` with the embedded chDB, `off` when CLICKHOUSE_URL names a server (no
     * embedded engine threads compete with the redirects then).
     */
    THREAD_PRIORITY: z.enum(['idle', 'engine', 'off']).optional(),
    /** How often (ms) in-memory cap counters are persisted to the configuration store. */
    CAP_PERSIST_MS: int(2_000, 100),
    /**
     * Scale-out (docs/DEPLOY.md). `ROLE`: what this process runs — `all` (default: everything,
     * works alone on the embedded default), `traffic` (redirects only), `api` (admin API, UI,
     * postbacks) or `worker` (jobs, ingestion into ClickHouse); `serve --role=…` overrides it.
     */
    ROLE: z.enum(['all', 'traffic', 'api', 'worker']).default('all'),
    /**
     * Whether a worker without CLICKHOUSE_URL opens the embedded chDB (DATA_DIR/ch), which
     * binds to one process: set false on every worker but one (they then run jobs only).
     */
    CLICKHOUSE_EMBEDDED: bool.default(true),
    /** Redis for counters shared by traffic nodes (cap leases, uniqueness); unset = this process only. */
    REDIS_URL: z
      .string()
      .trim()
      .transform((v) => (v === '' ? undefined : v))
      .pipe(z.url({ protocol: /^rediss?$/ }).optional())
      .optional(),
    /**
     * Seconds a click served by a traffic node stays readable by api nodes through Redis
     * (postbacks before the click is ingested into ClickHouse, or an api without ClickHouse);
     * 0 = off. Needs REDIS_URL. ~0.5 KB of Redis memory per click.
     */
    CLICK_CACHE_TTL_S: int(0, 0),
    /** Clicks of the cap budget a traffic node leases from Redis at a time (the overshoot bound per node). */
    CAP_LEASE_BLOCK: int(20, 1),
    /**
     * Event log between traffic nodes and the workers that insert into ClickHouse: `none`
     * (default: each process inserts its own spool), `nats` (JetStream at NATS_URL) or `kafka`
     * (KAFKA_BROKERS; untested against a broker here).
     */
    EVENT_LOG: z.enum(['none', 'nats', 'kafka']).default('none'),
    NATS_URL: z.string().trim().default('nats://127.0.0.1:4222'),
    /** JetStream stream name and its dedupe window (Nats-Msg-Id = click ID), seconds. */
    NATS_STREAM: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default('TFX_EVENTS'),
    NATS_DEDUPE_WINDOW_S: int(600, 1),
    /**
     * Seconds a worker has to insert and acknowledge a batch before JetStream redelivers it to
     * another worker (also how long a killed worker's batch waits); keep above the slowest insert.
     */
    NATS_ACK_WAIT_S: int(120, 5),
    /** Comma-separated Kafka brokers (host:port) when EVENT_LOG=kafka. */
    KAFKA_BROKERS: z.string().trim().default(''),
    KAFKA_TOPIC: z.string().trim().default('tfx-events'),
    /** Max trafficback hops (campaign → campaign) before answering 404. */
    TRAFFICBACK_MAX_HOPS: int(3, 1),
    /**
     * Lander visits each traffic process remembers (click ID → campaign, stream, lander, sub
     * IDs, the offer once chosen) so a lander's call to action finds its click; the oldest is
     * forgotten first, and none is kept past 24 h (routing README, "Landers").
     */
    LANDER_SESSIONS_MAX: int(100_000, 1),
    /** Session cookie lifetime in hours. */
    SESSION_TTL_HOURS: int(24 * 14, 1),
    /** Days "remember this device" skips the two-factor code on a browser (1–90). */
    TRUSTED_DEVICE_DAYS: int(30, 1).pipe(z.number().max(90)),
    /**
     * Set the Secure flag on the session cookie. Unset or empty: on when PUBLIC_URL is https
     * (the browser then never sends the session over plain HTTP), off otherwise.
     */
    COOKIE_SECURE: z
      .string()
      .trim()
      .transform((v) => (v === '' ? undefined : v))
      .pipe(bool.optional())
      .optional(),
    /**
     * SMTP server for account email (password reset), a nodemailer URL such as
     * smtp://user:pass@host:587 or smtps://host:465. Unset: reset links are logged at info level instead.
     */
    SMTP_URL: optionalUrl.optional(),
    /**
     * 32-byte key (64 hex or base64 characters) that encrypts stored API keys of external
     * accounts (TrafficStars). Unset: DATA_DIR/secret.key is created once and used.
     */
    SECRETS_KEY: z.string().trim().optional(),
    /** `npm run demo`: real milliseconds per simulated minute of the TrafficStars simulator. */
    DEMO_MINUTE_MS: int(1_000, 50),
    /** Allow TrafficStars base URLs on private or loopback addresses (the local simulator). */
    AUTOPILOT_ALLOW_PRIVATE: bool.default(false),
    /** TrafficStars API calls the autopilot may make per account and tick (the API allows ~100 per 60 s). */
    AUTOPILOT_CALLS_PER_TICK: int(60, 5),
    /** Days the referral cookie `tf_ref` of `GET /r/:code` counts (first touch wins inside it). */
    AFFILIATE_COOKIE_DAYS: int(30, 1).pipe(z.number().max(3650)),
    /** Smallest affiliate payout request, in minor units (cents) of the billing currency. */
    AFFILIATE_MIN_PAYOUT_MINOR: int(5000, 1),
    /** From header of account email. */
    MAIL_FROM: z.string().trim().min(3).default('traffoflex <no-reply@traffoflex.local>'),
    /** Billing currency (ISO 4217, two-decimal): quotes, orders and payments. */
    BILLING_CURRENCY: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .default('EUR'),
    /** Quote curve `from:rate,…` in major units per 1,000 visits (see priceTiers above). */
    BILLING_PRICE_TIERS: priceTiers,
    /** Smallest and largest order/quote amount, in major units (whole). */
    BILLING_MIN_AMOUNT: int(1, 1),
    BILLING_MAX_AMOUNT: int(100_000, 1),
    /** Minutes an order's locked quote is honoured (a later payment still credits it, noted). */
    BILLING_QUOTE_TTL_MINUTES: int(60, 1),
    /** Payment links shown with an order (the link gets `reference` and `amount` query parameters); unset = provider not offered. */
    BILLING_STRIPE_LINK: optionalHttpUrl.optional(),
    BILLING_REVOLUT_LINK: optionalHttpUrl.optional(),
    BILLING_WISE_LINK: optionalHttpUrl.optional(),
    /** Bank-transfer instructions shown with an order (`{reference}` and `{amount}` are replaced). */
    BILLING_BANK_INSTRUCTIONS: z.string().trim().max(2000).optional(),
    /** Stripe webhook signing secrets (whsec_…), comma-separated during rotation. */
    STRIPE_WEBHOOK_SECRET: secretList,
    /** Stripe API key (optional; the webhook check needs only the signing secret). */
    STRIPE_API_KEY: z.string().trim().optional(),
    /** Revolut Business webhook signing secrets, comma-separated during rotation. */
    REVOLUT_WEBHOOK_SECRET: secretList,
    /** Wise's webhook public key (PEM); unset = Wise's official key of BILLING_WISE_ENV. */
    BILLING_WISE_PUBLIC_KEY: z.string().trim().optional(),
    BILLING_WISE_ENV: z.enum(['production', 'sandbox']).default('production'),
    /** Affiliate commission on each credited payment of a referred user (0..1), and its hold in days. */
    AFFILIATE_COMMISSION_RATE: z.coerce.number().min(0).max(1).default(0.2),
    AFFILIATE_HOLD_DAYS: int(30, 0),
    /**
     * Visitor engine: arrival rate at traffic speed 0 and at 100 (the plan's maximum), visits
     * per minute; speed maps linearly between them (visitors.settings.ts, `visitsPerMinute`).
     */
    VISITORS_MIN_PER_MINUTE: int(1, 1),
    VISITORS_MAX_PER_MINUTE: int(600, 1),
    /** Let ownership checks and visits reach private, loopback and link-local addresses (local sites; SSRF guard off). */
    VISITORS_ALLOW_PRIVATE: bool.default(false),
    /** Hours after which a host's ownership verification is stale (counts as not verified until checked again). */
    VISITORS_VERIFY_STALE_HOURS: int(24, 1),
    /** Browser mode: Chromium binary, pages open at once at most (all projects), memory past which the browser is replaced (MiB). */
    VISITORS_CHROMIUM_PATH: z.string().trim().min(1).default('/usr/bin/chromium'),
    VISITORS_BROWSER_PAGES: int(4, 1),
    VISITORS_BROWSER_MAX_RSS_MB: int(1024, 64),
    /**
     * Egress proxy per country, `CC=proxy-url,…` (see egressMap): a visit for country CC leaves
     * through CC's proxy; projects may target only these countries. Empty: no geo targeting.
     */
    VISITORS_EGRESS: egressMap,
    /**
     * Outreach plans, `name:daily-credits,…` (credits per local day: one per email sent and per
     * reply received), and the plan of a workspace that has not chosen one.
     */
    OUTREACH_PLANS: outreachPlans,
    OUTREACH_DEFAULT_PLAN: z.string().trim().min(1).default('starter'),
    /** Influencers Club API (creator discovery): base URL and API key; no key = runs fail with that reason. */
    OUTREACH_IC_URL: httpUrl.default('https://api-dashboard.influencers.club'),
    OUTREACH_IC_API_KEY: z.string().trim().optional(),
    /** Clay table webhook (email enrichment), its optional auth token, and the source's lifetime cap of rows. */
    OUTREACH_CLAY_WEBHOOK_URL: optionalHttpUrl.optional(),
    OUTREACH_CLAY_WEBHOOK_TOKEN: z.string().trim().optional(),
    OUTREACH_CLAY_LIFETIME_CAP: int(50_000, 1),
    /** Minutes a run waits for enrichment answers before it schedules the emails it has. */
    OUTREACH_ENRICH_WAIT_MINUTES: int(30, 0),
    /** Send loop period in milliseconds. */
    OUTREACH_SEND_EVERY_MS: int(5_000, 100),
    /** Seconds between the IMAP watchdog's checks (NOOP + catch-up by UID) besides IDLE. */
    OUTREACH_IMAP_CHECK_SECONDS: int(60, 1),
    /** Let mailboxes use private, loopback and link-local SMTP/IMAP hosts (local servers; SSRF guard off). */
    OUTREACH_ALLOW_PRIVATE: bool.default(false),
    /** Domain of generated Message-IDs (default: PUBLIC_URL's host). */
    OUTREACH_MESSAGE_ID_DOMAIN: z
      .string()
      .trim()
      .regex(/^$|^[a-z0-9.-]+$/i, 'must be a domain name')
      .optional()
      .transform((v) => v || undefined),
  })
  .refine((env) => env.VISITORS_MAX_PER_MINUTE >= env.VISITORS_MIN_PER_MINUTE, {
    path: ['VISITORS_MAX_PER_MINUTE'],
    message: 'must be at least VISITORS_MIN_PER_MINUTE',
  })
  .refine((env) => env.CLICK_CACHE_TTL_S === 0 || env.REDIS_URL !== undefined, {
    path: ['CLICK_CACHE_TTL_S'],
    message: 'the shared click cache lives in Redis: set REDIS_URL too',
  })
  .refine((env) => env.EVENT_LOG !== 'kafka' || env.KAFKA_BROKERS !== '', {
    path: ['KAFKA_BROKERS'],
    message: 'EVENT_LOG=kafka needs at least one broker (host:port, comma-separated)',
  })
  .refine((env) => env.OUTREACH_PLANS.some((p) => p.name === env.OUTREACH_DEFAULT_PLAN), {
    path: ['OUTREACH_DEFAULT_PLAN'],
    message: 'must name one of OUTREACH_PLANS',
  })
  .transform((env) => ({
    ...env,
    // Defaults that depend on another variable; an explicit value wins.
    THREAD_PRIORITY: env.THREAD_PRIORITY ?? (env.CLICKHOUSE_URL ? ('off' as const) : ('idle' as const)),
    COOKIE_SECURE: env.COOKIE_SECURE ?? /^https:/i.test(env.PUBLIC_URL ?? ''),
  }))

export type Env = z.infer<typeof envSchema>

/** Resolved configuration: env plus derived absolute paths. */
export interface AppConfig extends Env {
  dataDir: string
  publicUrl: string
  pgDir: string
  chDir: string
  spoolDir: string
  /**
   * Idle poll interval of the job workers in ms: `JOBS_POLL_MS`, else 1000 on PostgreSQL and
   * 5000 on PGlite. PGlite runs each query synchronously on the main thread, where the
   * redirect runs too, and it is single-process, so every enqueue already wakes its worker:
   * polling only finds delayed retries, and a slower poll keeps queries off the hot path.
   */
  jobsPollMs: number
}

/**
 * Parses an environment object (default `process.env`) into {@link AppConfig}.
 * @throws Error naming every bad variable.
 */
export function loadConfig(source: Record<string, string | undefined> = process.env): AppConfig {
  const parsed = envSchema.safeParse(source)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new Error(`Invalid environment:\n${lines.join('\n')}`)
  }
  const env = parsed.data
  const dataDir = path.resolve(env.DATA_DIR)
  return {
    ...env,
    dataDir,
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, ''),
    pgDir: path.join(dataDir, 'pg'),
    chDir: path.join(dataDir, 'ch'),
    spoolDir: path.join(dataDir, 'spool'),
    jobsPollMs: env.JOBS_POLL_MS ?? (env.DATABASE_URL ? 1_000 : 5_000),
  }
}
