/**
 * The typed catalog of background jobs: every queue's name, payload schema (zod, checked on
 * enqueue and again when a worker picks the job up), pg-boss retry policy for handler
 * failures, expiry and optional schedule. The modules that own a queue build its handler;
 * the composition root (`src/server.ts`) registers one handler per entry in a single
 * `jobs.registerAll({...})`, typed so that an entry without a handler does not compile (see
 * `README.md` here: how to add a job kind). Enqueueing a name that is not here does not compile.
 *
 * Retries here are pg-boss's, for *handler failures* (the handler threw or outran
 * `expireInSeconds`, e.g. the database was unreachable). Business retries with their own
 * schedule (outbound postback delivery) are modelled by the module as one job per attempt;
 * see `src/modules/postbacks-out/README.md`.
 */
import { z } from 'zod'

/** pg-boss retry policy of a queue (applies when the handler throws or times out). */
export interface JobRetryPolicy {
  /** Retries after the first failure (pg-boss `retryLimit`); past it the job fails for good (→ dead letter queue). */
  limit: number
  /** Delay before the first retry, in seconds (pg-boss `retryDelay`, integer). */
  delaySeconds: number
  /**
   * pg-boss exponential backoff: the n-th retry waits `delaySeconds × 2^(n−1) × (1 + random())`
   * seconds (pg-boss 12 `failJobsById` SQL, no `retryDelayMax`), i.e. between 1× and 2× the
   * doubled delay.
   */
  backoff: boolean
}

/**
 * Run a job every `everyMs` milliseconds. Each period is one slot (`floor(now / everyMs)`);
 * every running process enqueues the slot's job with the same job ID, so exactly one job per
 * slot runs across all processes. Its payload is `{ slot }`.
 */
export interface JobSchedule {
  everyMs: number
}

/** One catalog entry. */
export interface JobDefinition<P extends z.ZodType = z.ZodType> {
  description: string
  payload: P
  retry: JobRetryPolicy
  /** A running job not finished within this many seconds counts as failed (pg-boss `expireInSeconds`). */
  expireInSeconds: number
  /** Queue that receives a job once its retries are exhausted (pg-boss `deadLetter`). */
  deadLetter?: string
  schedule?: JobSchedule
  /** Jobs of this queue handled at once per process (default 1). */
  concurrency?: number
}

/** Payload of every scheduled job: its slot number (`floor(epoch ms / everyMs)`). */
export const scheduledPayload = z.strictObject({ slot: z.int().min(0) })

/**
 * Payload of an outbound postback delivery attempt: the `outbound_postbacks` row, the round
 * (`generation`, bumped by a manual retry) and the attempt number within the round (1-based).
 */
export const outboundDeliverPayload = z.strictObject({
  outbound_id: z.uuid(),
  generation: z.int().min(0),
  attempt: z.int().min(1),
})

/** Payload of an outreach run's job: the `outreach_runs` row (unique per campaign and local day). */
export const outreachRunPayload = z.strictObject({ run_id: z.uuid() })

/** Declares a catalog entry (keeps the payload schema's type). */
export function defineJob<P extends z.ZodType>(d: JobDefinition<P>): JobDefinition<P> {
  return d
}

/** A set of job definitions by queue name. */
export type JobCatalog = Record<string, JobDefinition>

/** The application's jobs. Queue names: letters, digits, `-` (pg-boss queue name rules). */
export const JOB_CATALOG = {
  'outbound-postback-deliver': defineJob({
    description: 'one delivery attempt of an outbound postback to a traffic source',
    payload: outboundDeliverPayload,
    // Only infrastructure failures reach pg-boss (HTTP outcomes are recorded, not thrown):
    // retries after ~1–2, 2–4, 4–8, 8–16, 16–32 min, then the dead letter queue.
    retry: { limit: 5, delaySeconds: 60, backoff: true },
    expireInSeconds: 120,
    deadLetter: 'outbound-postback-dead',
    concurrency: 4,
  }),
  'outbound-postback-dead': defineJob({
    description: 'marks an outbound postback dead after its delivery job failed for good',
    payload: outboundDeliverPayload,
    retry: { limit: 10, delaySeconds: 60, backoff: true },
    expireInSeconds: 60,
  }),
  'outbound-postback-sweep': defineJob({
    description: 're-enqueues overdue pending outbound postbacks whose job is missing (safety net)',
    payload: scheduledPayload,
    retry: { limit: 0, delaySeconds: 0, backoff: false },
    expireInSeconds: 300,
    schedule: { everyMs: 60_000 },
  }),
  'postback-log-retention': defineJob({
    description: 'deletes postback log rows older than POSTBACK_LOG_RETENTION_DAYS, in bounded batches',
    payload: scheduledPayload,
    // A failed run is not retried: the next hourly slot deletes what is left.
    retry: { limit: 0, delaySeconds: 0, backoff: false },
    expireInSeconds: 900,
    schedule: { everyMs: 3_600_000 },
  }),
  'audit-retention': defineJob({
    description:
      'deletes change-log rows and security events older than CHANGE_LOG_RETENTION_DAYS / SECURITY_EVENTS_RETENTION_DAYS, in bounded batches',
    payload: scheduledPayload,
    // A failed run is not retried: the next daily slot deletes what is left.
    retry: { limit: 0, delaySeconds: 0, backoff: false },
    expireInSeconds: 900,
    schedule: { everyMs: 86_400_000 },
  }),
  'autopilot-tick': defineJob({
    description: 'one autopilot tick: every TrafficStars account with enabled campaigns',
    payload: scheduledPayload,
    // A failed tick is not retried: the next minute's tick observes afresh.
    retry: { limit: 0, delaySeconds: 0, backoff: false },
    expireInSeconds: 300,
    schedule: { everyMs: 60_000 },
  }),
  'affiliate-commission-release': defineJob({
    description: 'moves affiliate commissions whose hold has ended from pending to available (billing)',
    payload: scheduledPayload,
    // A failed run is not retried: the next slot releases whatever is still due (idempotent).
    retry: { limit: 0, delaySeconds: 0, backoff: false },
    expireInSeconds: 300,
    schedule: { everyMs: 600_000 },
  }),
  'outreach-tick': defineJob({
    description:
      'outreach minute tick: start due daily runs, schedule enriched ones, close ended ones, recover stale claims',
    payload: scheduledPayload,
    // A failed tick is not retried: the next minute's tick does the same work (idempotent).
    retry: { limit: 0, delaySeconds: 0, backoff: false },
    expireInSeconds: 300,
    schedule: { everyMs: 60_000 },
  }),
  'outreach-run': defineJob({
    description:
      "one outreach run's discovery and enrichment (job ID keyed by the run: one per campaign and local day)",
    payload: outreachRunPayload,
    // Infrastructure failures only (API failures mark the run failed): after ~1, 2, 4 min.
    retry: { limit: 3, delaySeconds: 60, backoff: true },
    expireInSeconds: 900,
  }),
} satisfies JobCatalog

/** Names of the application's jobs. */
export type AppJobName = keyof typeof JOB_CATALOG
