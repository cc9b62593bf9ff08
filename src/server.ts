/**
 * Composition root: opens the stores, runs migrations and first-run bootstrap, wires the
 * redirect hot path, the click pipeline, health checks and the admin API onto one
 * `node:http` server, and shuts everything down in order.
 */
import http from 'node:http'
import { Redis } from 'ioredis'
import { sql } from 'drizzle-orm'
import Fastify, { type FastifyServerFactory } from 'fastify'
import { createAdminApi } from './api.ts'
import type { AppConfig } from './config.ts'
import {
  bootstrapAdmin,
  createLoginLimiter,
  createMailer,
  credentialStillValid,
} from './modules/accounts/index.ts'
import {
  type AutopilotService,
  autopilotRoutes,
  createAutopilotService,
  createSecretBox,
  loadSecretKey,
} from './modules/autopilot/index.ts'
import { auditRetentionHandlers } from './modules/audit/index.ts'
import {
  analyticsRoutes,
  reportPresetRoutes,
  createKafkaEventConsumer,
  createKafkaEventSink,
  createLiveHub,
  createNatsEventConsumer,
  createNatsEventSink,
  createPipeline,
  type EventLogConsumer,
  type EventLogSink,
  kafkaBrokers,
  createVisitPulse,
  createVisitsWriter,
  liveRoutes,
  migrateClickHouse,
  type Pipeline,
  recentEpc,
  visitReport,
} from './modules/analytics/index.ts'
import {
  affiliateRoutes,
  type BillingService,
  billingRoutes,
  billingSettingsFromEnv,
  commissionReleaseHandlers,
  createBillingService,
  referralRoutes,
  referralSignupHook,
  webhookRoutes,
} from './modules/billing/index.ts'
import {
  conversionsApiRoutes,
  createConversionsService,
  createSharedClickCache,
  pendingEventCount,
  postbackLogRetentionHandlers,
  postbackRoutes,
  createPostbackHttpHandler,
  isPostbackUrl,
  recentClicksOf,
} from './modules/conversions/index.ts'
import {
  createOutboundPostbacks,
  outboundPostbackRoutes,
  undeliveredByState,
} from './modules/postbacks-out/index.ts'
import {
  capCountsFromStore,
  createRoutingRuntime,
  createSharedCounters,
  createHealthChecker,
  costUpdateRoutes,
  entityNames,
  healthRoutes,
  landingRoutes,
  listStatsRoutes,
  previewRoutes,
  clickLogRoutes,
  seedSample,
  type RoutingRuntime,
} from './modules/routing/index.ts'
import {
  createVisitorRuntime,
  deriveVerifyKey,
  type VisitorEngine,
  visitorProjectRoutes,
  visitorRunRoutes,
} from './modules/visitors/index.ts'
import {
  clayEnrichment,
  createOutreachService,
  deriveCallbackKey,
  deriveUnsubscribeKey,
  influencersClubDiscovery,
  type OutreachService,
  outreachPublicRoutes,
  outreachRoutes,
  ownerNotifier,
  smtpSenders,
  testImap,
  testSmtp,
} from './modules/outreach/index.ts'
import { absentClickHouse, type ClickHouseHandle, openClickHouseFromConfig } from './platform/clickhouse.ts'
import { type Clock, systemClock } from './platform/clock.ts'
import { openDb, type DbHandle } from './platform/db/client.ts'
import { createJobs, type Jobs } from './platform/jobs/jobs.ts'
import { JOB_CATALOG } from './platform/jobs/jobs.catalog.ts'
import { homeRoutes } from './platform/http/home.routes.ts'
import { opsRoutes, type ReadinessCheck } from './platform/http/ops.routes.ts'
import { createLogger, type Logger } from './platform/logger.ts'
import { createMetrics } from './platform/metrics.ts'
import { opensClickHouse, type Role, roleParts, roleProblems } from './roles.ts'

export interface RunningServer {
  /** Base URL the server listens on, e.g. http://127.0.0.1:3000. */
  url: string
  port: number
  /** What this process runs (src/roles.ts). */
  role: Role
  /** First-run outcome (admin created, generated password, sample alias). */
  firstRun: { adminCreated: boolean; adminEmail: string; generatedPassword?: string; sampleAlias?: string }
  db: DbHandle
  clickhouse: ClickHouseHandle
  pipeline: Pipeline
  routing: RoutingRuntime
  autopilot: AutopilotService
  /** Orders, payment webhooks and balances (the demo places and pays an order through it). */
  billing: BillingService
  /** The visitor engine (started). */
  visitors: VisitorEngine
  /** The outreach runtime (started). */
  outreach: OutreachService
  /** Background jobs (pg-boss in the same database). */
  jobs: Jobs<typeof JOB_CATALOG>
  logger: Logger
  /** Graceful stop: stop accepting, flush clicks and cap counters, close the stores. */
  close(): Promise<void>
}

/** Opens the stores, migrates, bootstraps the first run and starts listening on `config.PORT`. */
export async function startServer(
  config: AppConfig,
  opts: {
    logger?: Logger
    /** The autopilot's clock (the demo runs it on the TrafficStars simulator's); default the system clock. */
    autopilotClock?: Clock
    /** Tick the autopilot from the minute job (default true; the demo drives ticks itself). */
    autopilotSchedule?: boolean
    /** What this process runs (src/roles.ts); default `config.ROLE`. */
    role?: Role
  } = {},
): Promise<RunningServer> {
  const role = opts.role ?? config.ROLE
  const problems = roleProblems(role, config)
  if (problems.length > 0) throw new Error(problems.join('\n'))
  const parts = roleParts(role)
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL)
  const metrics = createMetrics()

  const db = await openDb({
    databaseUrl: config.DATABASE_URL,
    pgDir: config.pgDir,
    onIdleError: (err) => logger.warn({ err }, 'idle PostgreSQL connection failed; the pool replaces it'),
  })
  await db.migrate()
  const hasClickHouse = opensClickHouse(role, config)
  const clickhouse = hasClickHouse
    ? await openClickHouseFromConfig(config)
    : absentClickHouse(
        config.CLICKHOUSE_DATABASE,
        `this --role=${role} process has no ClickHouse: set CLICKHOUSE_URL to answer reports here`,
      )
  if (hasClickHouse) await migrateClickHouse(clickhouse, { logger })

  // The workers holding ClickHouse insert the event log into it (started with the background work).
  const consumer =
    parts.background && hasClickHouse ? eventLogConsumer(config, clickhouse, logger) : undefined
  // EVENT_LOG≠none: this process's events go to the event log (released from the spool once
  // acknowledged) and the workers holding ClickHouse insert them; else straight to ClickHouse.
  const eventLog = eventLogSink(config, logger)
  const pipeline = createPipeline({
    // roleProblems guarantees one of the two: a process without ClickHouse has an event log.
    ...(eventLog
      ? { sink: eventLog, ...(hasClickHouse ? { handle: clickhouse } : {}) }
      : { handle: clickhouse }),
    spoolDir: config.spoolDir,
    queueMax: config.PIPELINE_QUEUE_MAX,
    batchSize: config.PIPELINE_BATCH_SIZE,
    flushMs: config.PIPELINE_FLUSH_MS,
    recentClickBytes: config.PIPELINE_RECENT_MB * 1024 * 1024,
    logger,
    // The spool protects against process crashes (page cache survives kill -9); an fsync
    // per checkpoint would block the event loop for milliseconds on the hot path.
    fsync: false,
  })
  // A backlog left by a crash is replayed in the background: redirects work meanwhile (new
  // events queue behind it on disk), and an unreachable ClickHouse does not block start-up.
  void pipeline.recover().then((n) => {
    if (n > 0) logger.info({ recovered: n }, 'replayed spooled click events')
  })

  // Redis (REDIS_URL): counters shared by traffic nodes and the shared click cache. Commands
  // fail at once while it is down (no offline queue): nothing on the hot path waits for it.
  const redis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 2_000,
      })
    : undefined
  redis?.on('error', (err) => logger.debug({ err }, 'redis connection error'))
  // Traffic nodes write the clicks they serve; api nodes read them (click.shared-cache.ts).
  const clickCache =
    redis && config.CLICK_CACHE_TTL_S > 0
      ? createSharedClickCache({ redis, ttlMs: config.CLICK_CACHE_TTL_S * 1000 })
      : undefined
  if (clickCache && role === 'traffic') {
    pipeline.setListener((events) => clickCache.remember(events))
    clickCache.start()
  }

  // Only roles that serve the UI create the first admin: traffic nodes and workers starting
  // at the same moment must not race it.
  const admin = parts.bootstrap
    ? await bootstrapAdmin(db.db, { email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD })
    : { created: false, email: config.ADMIN_EMAIL, workspaceId: undefined, generatedPassword: undefined }
  let sampleAlias: string | undefined
  if (admin.created && admin.workspaceId && config.SEED_SAMPLE) {
    sampleAlias = await seedSample(db.db, admin.workspaceId, config.publicUrl)
  }

  // Several traffic nodes share caps (leased budget), uniqueness and anti-repeat through
  // Redis (routing README, "Shared counters"); reconciled from cap_counters, the sum every
  // node persists of the clicks it delivered.
  const shared =
    config.REDIS_URL && parts.redirects
      ? createSharedCounters({
          redisUrl: config.REDIS_URL,
          block: config.CAP_LEASE_BLOCK,
          logger,
          clock: systemClock,
          authoritativeCounts: capCountsFromStore(db.db),
        })
      : undefined
  if (shared) metrics.setSharedCountersSource(shared)
  if (eventLog || consumer) {
    metrics.setEventLogSource({
      ...(eventLog
        ? {
            publisher: () => {
              const p = pipeline.stats()
              const e = eventLog.stats()
              return {
                published: e.published,
                errors: e.errors,
                pending: p.pending,
                lastCommitAt: p.lastCommitAt,
              }
            },
          }
        : {}),
      ...(consumer ? { consumer: () => consumer.stats() } : {}),
    })
  }
  const routing = await createRoutingRuntime({
    db: db.db,
    config,
    logger,
    pipeline,
    metrics,
    ...(shared ? { shared } : {}),
    // Processes that serve no clicks follow the traffic nodes' persisted cap counters.
    capCounters: parts.redirects ? 'own' : 'follow',
    // Best ROI ranks destinations by their EPC over the last 7 days (ClickHouse rollups).
    epc: async () => {
      const untilMs = systemClock.now().getTime()
      const rows = await recentEpc(clickhouse, { sinceMs: untilMs - 7 * 86_400_000, untilMs })
      return new Map(rows.map((r) => [r.destination_id, { epcMicros: r.epc_micros, clicks: r.clicks }]))
    },
  })
  // Jobs live in the configuration database (pg-boss schema "pgboss"). The schema and the
  // queues exist before the first postback, whose transaction enqueues outbound deliveries.
  const jobs = createJobs({
    executor: db.raw,
    catalog: JOB_CATALOG,
    logger,
    pollIntervalMs: config.jobsPollMs,
  })
  const outbound = createOutboundPostbacks({
    db: db.db,
    jobs,
    allowPrivate: config.OUTBOUND_ALLOW_PRIVATE,
    logger,
  })
  await jobs.start({ workers: false })
  // Live feed (SSE, GET /api/v1/live); listens to the pipeline only while a client is
  // connected. Other modules publish their own events with live.publish(workspaceId, event).
  // Each stream's credential is re-checked against the database every 3 s (the hub's
  // default recheckMs), so a revocation made by any process ends it.
  const live = createLiveHub({ source: pipeline })
  const conversions = createConversionsService({
    db: db.db,
    clickhouse,
    // A postback right after its click finds it in the pipeline's queue, before ClickHouse
    // has the row.
    recentClicks:
      clickCache && role === 'api'
        ? {
            ...recentClicksOf(pipeline),
            lookup: clickCache.lookup,
            lookupLanderClick: clickCache.lookupLanderClick,
          }
        : recentClicksOf(pipeline),
    logger,
    outbox: outbound.outbox,
    live,
    refusals: {
      perIpPerMinute: config.POSTBACK_REFUSED_PER_IP_PER_MIN,
      perNetworkPerMinute: config.POSTBACK_REFUSED_PER_NETWORK_PER_MIN,
      logPerMinute: config.POSTBACK_REFUSED_LOG_PER_MIN,
    },
    batchMax: config.POSTBACK_BATCH_MAX || (db.kind === 'postgres' ? 500 : 100),
    queueMax: config.POSTBACK_QUEUE_MAX,
    batchConcurrency: config.POSTBACK_BATCH_CONCURRENCY || (db.kind === 'postgres' ? 2 : 1),
    batchLingerMs: config.POSTBACK_BATCH_LINGER_MS,
  })
  const postbackHandler = createPostbackHttpHandler(
    { service: conversions },
    { trustedProxies: config.TRUSTED_PROXIES },
  )
  // The autopilot ticks every minute through one scheduled job (exactly one per slot across processes).
  const secretKey = loadSecretKey({ secretsKey: config.SECRETS_KEY, dataDir: config.dataDir })
  const secretBox = createSecretBox(secretKey)
  const autopilot = createAutopilotService({
    db: db.db,
    box: secretBox,
    remaining: routing.remainingClicks,
    clock: opts.autopilotClock ?? systemClock,
    allowPrivate: config.AUTOPILOT_ALLOW_PRIVATE,
    logger,
    callsPerTick: config.AUTOPILOT_CALLS_PER_TICK,
  })
  metrics.setConversionSource({
    postbackOutcomes: () => conversions.stats().outcomes,
    pendingConversionEvents: () => pendingEventCount(db.db),
    conversionSyncFailures: () => conversions.stats().sync.failures,
    outboundResults: () => {
      const s = outbound.stats()
      return { delivered: s.delivered, retry: s.retried, failed: s.failed, dead: s.dead }
    },
    outboundBacklog: () => undeliveredByState(db.db),
  })
  const health = createHealthChecker({
    db: db.db,
    clock: systemClock,
    logger,
    allowPrivate: config.HEALTHCHECK_ALLOW_PRIVATE,
  })

  // Billing: quotes, orders, payment webhooks (public, signature-verified) and admin actions; its
  // ledger repository is the one every ledger writer shares (affiliates, visitors, outreach).
  const billing = createBillingService({
    db: db.db,
    clock: systemClock,
    settings: billingSettingsFromEnv(config),
    logger,
  })
  // Outreach: recurring creator campaigns, credits on the ledger's daily allowance asset.
  const outreachSender = smtpSenders()
  const outreach = createOutreachService(
    {
      db: db.db,
      ledger: billing.ledger,
      clock: systemClock,
      logger,
      box: secretBox,
      plans: config.OUTREACH_PLANS,
      defaultPlan: config.OUTREACH_DEFAULT_PLAN,
      discovery: config.OUTREACH_IC_API_KEY
        ? influencersClubDiscovery({ baseUrl: config.OUTREACH_IC_URL, apiKey: config.OUTREACH_IC_API_KEY })
        : undefined,
      enrichment: config.OUTREACH_CLAY_WEBHOOK_URL
        ? clayEnrichment({
            db: db.db,
            webhookUrl: config.OUTREACH_CLAY_WEBHOOK_URL,
            authToken: config.OUTREACH_CLAY_WEBHOOK_TOKEN,
            lifetimeCap: config.OUTREACH_CLAY_LIFETIME_CAP,
            logger,
          })
        : undefined,
      sender: outreachSender,
      callbackKey: deriveCallbackKey(secretKey),
      unsubscribeKey: deriveUnsubscribeKey(secretKey),
      publicUrl: config.publicUrl,
      messageIdDomain: config.OUTREACH_MESSAGE_ID_DOMAIN ?? new URL(config.publicUrl).hostname,
      notify: ownerNotifier({
        db: db.db,
        box: secretBox,
        sender: outreachSender,
        mailer: createMailer({ smtpUrl: config.SMTP_URL, from: config.MAIL_FROM }),
        logger,
      }),
      publish: (workspaceId, event) => live.publish(workspaceId, event),
      enrichWaitMs: config.OUTREACH_ENRICH_WAIT_MINUTES * 60_000,
      claimTimeoutMs: 10 * 60_000,
      maxPagesPerRun: 20,
    },
    {
      // A run's discovery is a job keyed by the run: one per campaign and local day.
      runStarted: async (run) => {
        await jobs.enqueue('outreach-run', { run_id: run.id }, { key: run.id })
      },
      sendEveryMs: config.OUTREACH_SEND_EVERY_MS,
      imapNoopMs: config.OUTREACH_IMAP_CHECK_SECONDS * 1000,
    },
  )
  // One handler per catalog entry: a new job kind does not compile until it is handled here.
  jobs.registerAll({
    ...outbound.jobHandlers(),
    ...postbackLogRetentionHandlers({ db: db.db, retentionDays: config.POSTBACK_LOG_RETENTION_DAYS, logger }),
    ...auditRetentionHandlers({
      db: db.db,
      changeLogDays: config.CHANGE_LOG_RETENTION_DAYS,
      securityEventsDays: config.SECURITY_EVENTS_RETENTION_DAYS,
      logger,
    }),
    ...commissionReleaseHandlers({ db: db.db, ledger: billing.ledger, logger }),
    'autopilot-tick': async () => {
      if (opts.autopilotSchedule !== false) await autopilot.tickAll()
    },
    'outreach-tick': async () => {
      await outreach.tick()
    },
    'outreach-run': async (p) => {
      await outreach.runJob(p.run_id)
    },
  })
  const visitSpeed = {
    minPerMinute: config.VISITORS_MIN_PER_MINUTE,
    maxPerMinute: config.VISITORS_MAX_PER_MINUTE,
  }
  const visitVerify = {
    db: db.db,
    key: deriveVerifyKey(secretKey),
    allowPrivate: config.VISITORS_ALLOW_PRIVATE,
  }
  // Results and live pulse of the visitor engine: every settled visit is spooled into the
  // click pipeline (ClickHouse `visits`, exactly once) and published on the live feed
  // (`hit`, and once a second per running project `visit_rate`).
  const visitsWriter = createVisitsWriter(pipeline)
  const visitPulse = createVisitPulse({
    hub: live,
    clock: systemClock,
    running: () =>
      visitors
        .stats()
        .filter((r) => r.stoppedAt === null)
        .map((r) => ({
          workspaceId: r.workspaceId,
          projectId: r.projectId,
          targetPerSecond: r.perMinuteTarget / 60,
        })),
  })
  // The visitor engine: one scheduler for every active project, spending visit credits
  // through the same ledger as billing (one group-commit queue and account cache).
  const visitors = createVisitorRuntime({
    db: db.db,
    ledger: billing.ledger,
    clock: systemClock,
    secretKey,
    verify: visitVerify,
    speed: visitSpeed,
    allowPrivate: config.VISITORS_ALLOW_PRIVATE,
    publicUrl: config.publicUrl,
    egress: config.VISITORS_EGRESS,
    logger,
    onHit: (hit) => {
      visitsWriter.push(hit)
      visitPulse.hit(hit)
    },
    browser: {
      chromiumPath: config.VISITORS_CHROMIUM_PATH,
      maxPages: config.VISITORS_BROWSER_PAGES,
      maxRssMb: config.VISITORS_BROWSER_MAX_RSS_MB,
    },
  })

  // The redirect and postbacks never enter Fastify: plain handlers on the hot paths
  // (postbacks: thousands per second pay no router or hooks, group commit behind them).
  const serverFactory: FastifyServerFactory = (handler) =>
    http.createServer((req, res) => {
      if (parts.redirects && req.url?.startsWith('/c/')) routing.redirect(req, res)
      else if (parts.redirects && req.url?.startsWith('/lp/')) routing.landerClick(req, res)
      else if (parts.api && isPostbackUrl(req.url)) postbackHandler(req, res)
      else handler(req, res)
    })
  // Traffic nodes and workers answer only /healthz, /readyz, /metrics (and the redirects).
  const app = parts.api ? await adminApp() : Fastify({ serverFactory, logger: false })
  async function adminApp() {
    return createAdminApi({
      db: db.db,
      config,
      logger,
      clock: systemClock,
      // Counts in the database, so every process behind the same database shares them.
      loginLimiter: await createLoginLimiter({ sql: db.raw }),
      // TOTP secrets are sealed with the same key as the autopilot's network API keys.
      secretBox,
      // Affiliates: records the referrer (tf_ref cookie) and sign-up IP of each new user.
      onSignup: referralSignupHook({
        db: db.db,
        clock: systemClock,
        cookieDays: config.AFFILIATE_COOKIE_DAYS,
        logger,
      }),
      serverFactory,
      plugins: [
        { plugin: healthRoutes({ db: db.db, checker: health }) },
        { plugin: previewRoutes({ db: db.db, runtime: routing }) },
        { plugin: clickLogRoutes({ db: db.db, handle: clickhouse, runtime: routing }) },
        { plugin: costUpdateRoutes({ db: db.db, handle: clickhouse }) },
        { plugin: reportPresetRoutes({ db: db.db }) },
        // Per-row stats of the campaign, offer, source and network lists (ClickHouse breakdowns).
        { plugin: listStatsRoutes({ db: db.db, handle: clickhouse }) },
        {
          plugin: analyticsRoutes({
            handle: clickhouse,
            pipeline,
            entityNames: entityNames(db.db),
            // Clicks carry no network; reports by network use the configured destination → network map.
            destinationNetworks: async (workspaceId) => {
              const destinations = [...routing.snapshots.current().destinationsById.values()].filter(
                (d) => d.workspaceId === workspaceId && d.row.networkId,
              )
              return {
                destinationIds: destinations.map((d) => d.id),
                networkIds: destinations.map((d) => d.row.networkId!),
              }
            },
          }),
        },
        {
          plugin: liveRoutes(live, {
            stillAllowed: credentialStillValid(db.db, systemClock),
            recent: { handle: clickhouse },
          }),
        },
        { plugin: conversionsApiRoutes({ db: db.db, publicUrl: config.publicUrl }) },
        { plugin: billingRoutes({ service: billing }) },
        { plugin: webhookRoutes({ service: billing }) },
        { plugin: outboundPostbackRoutes({ db: db.db, service: outbound }) },
        {
          plugin: affiliateRoutes({
            db: db.db,
            ledger: billing.ledger,
            config,
            currency: config.BILLING_CURRENCY,
            holdDays: config.AFFILIATE_HOLD_DAYS,
            commissionRate: config.AFFILIATE_COMMISSION_RATE,
          }),
        },
        // Visitor projects and ownership verification of their hosts (tokens keyed by an HKDF
        // derivative of the secret key).
        {
          plugin: visitorProjectRoutes({
            db: db.db,
            clock: systemClock,
            verify: visitVerify,
            speedRange: visitSpeed,
            priceTiers: config.BILLING_PRICE_TIERS,
            staleHours: config.VISITORS_VERIFY_STALE_HOURS,
            egressCountries: Object.keys(config.VISITORS_EGRESS),
          }),
        },
        // Run stats (the engine's counters, visit credits) and the per-project ClickHouse report.
        {
          plugin: visitorRunRoutes({
            engine: visitors,
            ledger: billing.ledger,
            db: db.db,
            clock: systemClock,
            report: (workspaceId, projectId, range) => visitReport(clickhouse, workspaceId, projectId, range),
          }),
        },
        {
          plugin: outreachRoutes({
            db: db.db,
            clock: systemClock,
            box: secretBox,
            service: outreach,
            credits: {
              db: db.db,
              ledger: billing.ledger,
              plans: config.OUTREACH_PLANS,
              defaultPlan: config.OUTREACH_DEFAULT_PLAN,
            },
            allowPrivate: config.OUTREACH_ALLOW_PRIVATE,
            testMailbox: async (m) => ({
              smtp: await testSmtp(m.smtp),
              imap: m.imap ? await testImap(m.imap) : null,
            }),
          }),
        },
        { plugin: outreachPublicRoutes({ service: outreach, callbackKey: deriveCallbackKey(secretKey) }) },
        {
          plugin: autopilotRoutes({
            db: db.db,
            box: secretBox,
            service: autopilot,
            remaining: routing.remainingClicks,
            campaignName: (ws, id) => {
              const c = routing.snapshots.current().campaignsById.get(id)
              return c && c.workspaceId === ws ? c.name : undefined
            },
            tickMs: 60_000,
            allowPrivate: config.AUTOPILOT_ALLOW_PRIVATE,
            clock: opts.autopilotClock ?? systemClock,
          }),
        },
      ],
    })
  }
  if (parts.api) {
    await app.register(landingRoutes)
    await app.register(referralRoutes({ db: db.db, config }))
    await app.register(postbackRoutes({ service: conversions }))
    await app.register(homeRoutes)
  }
  const readiness: ReadinessCheck[] = [
    { name: 'postgres', required: true, check: () => db.db.execute(sql`SELECT 1`).then(() => undefined) },
  ]
  if (shared) {
    // Not required: traffic nodes keep redirecting on their leases and local state.
    readiness.push({
      name: 'cap_leases',
      required: false,
      check: async () => {
        const st = shared.status()
        const detail = { leases: st.leases.length, granted_clicks: st.grantedClicks, overspent: st.overspent }
        if (!st.connected) throw new Error(`redis unreachable: ${st.lastError ?? 'not connected'}`)
        return detail
      },
    })
  }
  if (redis) {
    // Not required: traffic nodes keep redirecting on their leases and local state.
    readiness.push({
      name: 'redis',
      required: false,
      check: async () => {
        await redis.ping()
      },
    })
  }
  if (eventLog) {
    // Not required: while the log is down, events wait in the spool on disk.
    readiness.push({
      name: 'event_log',
      required: false,
      check: async () => {
        const s = pipeline.stats()
        const sink = eventLog.stats()
        const detail = {
          kind: sink.kind,
          published: sink.published,
          spool_pending: s.pending,
          errors: sink.errors,
        }
        if (s.lastError && sink.lastError && Date.parse(sink.lastError.at) > Date.now() - 10_000)
          throw new Error(`${sink.kind}: ${sink.lastError.message}`)
        return detail
      },
    })
  }
  if (consumer) {
    readiness.push({
      name: 'event_log_consumer',
      required: false,
      check: async () => {
        const c = consumer.stats()
        if (!c.running) throw new Error(c.lastError?.message ?? 'not consuming')
        return { lag: c.lag, ack_pending: c.ackPending, last_batch_at: c.lastBatchAt }
      },
    })
  }
  if (hasClickHouse) {
    readiness.push({
      name: 'clickhouse',
      required: true,
      check: async () => {
        const r = await clickhouse.client.ping()
        if (!r.success) throw r.error
      },
    })
  }
  await app.register(
    opsRoutes({
      metrics,
      role,
      checks: () => readiness,
      beforeScrape: () => {
        const s = pipeline.stats()
        metrics.pipelineQueue.set(s.queued)
        metrics.pipelinePending.set(s.pending)
        metrics.pipelineBackpressure.set(s.backpressure)
        metrics.pipelineErrors.set(s.insertErrors)
        metrics.snapshotVersion.set(routing.snapshots.version())
      },
    }),
  )

  await app.listen({ port: config.PORT, host: config.HOST })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : config.PORT
  routing.start()
  let stopping = false
  if (consumer) startConsumerWithRetry(consumer, logger, () => stopping)
  if (parts.background) {
    health.start()
    // The conversion outbox into ClickHouse (postbacks are committed by whichever role takes
    // them), by the workers that hold ClickHouse.
    if (hasClickHouse) conversions.start()
    await jobs.start()
    await visitors.start()
    visitPulse.start()
    await outreach.start()
  }

  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      stopping = true
      await app.close()
      // In-flight visits settle and their holds are released before the database closes;
      // their hits are spooled before the pipeline closes.
      await visitors.stop()
      visitPulse.stop()
      await outreach.stop()
      visitsWriter.flush()
      await conversions.stop()
      // After the API and postbacks stopped (nothing enqueues any more), before the database closes.
      await jobs.stop()
      await health.stop()
      await routing.stop()
      await clickCache?.stop()
      await pipeline.close()
      await eventLog?.close()
      await consumer?.stop()
      await clickhouse.close()
      redis?.disconnect()
      await db.close()
    })()
    return closing
  }

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    role,
    firstRun: {
      adminCreated: admin.created,
      adminEmail: admin.email,
      ...(admin.generatedPassword ? { generatedPassword: admin.generatedPassword } : {}),
      ...(sampleAlias ? { sampleAlias } : {}),
    },
    db,
    clickhouse,
    pipeline,
    routing,
    autopilot,
    billing,
    visitors,
    outreach,
    jobs,
    logger,
    close,
  }
}

/**
 * The event-log publisher of EVENT_LOG (src/modules/analytics/README.md, "Event log"), or
 * undefined for `none`. Connects lazily: NATS or Kafka being down costs disk (the spool), not
 * start-up.
 */
function eventLogSink(config: AppConfig, logger: Logger): EventLogSink | undefined {
  if (config.EVENT_LOG === 'nats') {
    return createNatsEventSink({
      servers: config.NATS_URL,
      stream: config.NATS_STREAM,
      dedupeWindowS: config.NATS_DEDUPE_WINDOW_S,
      logger,
    })
  }
  if (config.EVENT_LOG === 'kafka') {
    return createKafkaEventSink({
      brokers: kafkaBrokers(config.KAFKA_BROKERS),
      topic: config.KAFKA_TOPIC,
      logger,
    })
  }
  return undefined
}

/** The event-log consumer into ClickHouse of a process that holds ClickHouse, or undefined for `none`. */
function eventLogConsumer(
  config: AppConfig,
  handle: ClickHouseHandle,
  logger: Logger,
): EventLogConsumer | undefined {
  if (config.EVENT_LOG === 'nats') {
    return createNatsEventConsumer({
      servers: config.NATS_URL,
      stream: config.NATS_STREAM,
      dedupeWindowS: config.NATS_DEDUPE_WINDOW_S,
      ackWaitMs: config.NATS_ACK_WAIT_S * 1000,
      handle,
      logger,
    })
  }
  if (config.EVENT_LOG === 'kafka') {
    return createKafkaEventConsumer({
      brokers: kafkaBrokers(config.KAFKA_BROKERS),
      topic: config.KAFKA_TOPIC,
      handle,
      logger,
    })
  }
  return undefined
}

/**
 * Starts `consumer`, retrying every `retryMs` while the log is unreachable (a worker that
 * starts before NATS must not stay idle). Resolves at once; `stopped()` ends the retries.
 */
function startConsumerWithRetry(
  consumer: EventLogConsumer,
  logger: Logger,
  stopped: () => boolean,
  retryMs = 1_000,
): void {
  const attempt = () => {
    if (stopped()) return
    consumer.start().catch((err: unknown) => {
      logger.warn({ err }, 'event log consumer could not start; retrying')
      setTimeout(attempt, retryMs).unref()
    })
  }
  attempt()
}
