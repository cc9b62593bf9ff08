/**
 * Process roles (docs/DEPLOY.md): which parts of the platform one `serve` process runs.
 *
 * | role      | redirects `/c/` `/lp/` | admin API, UI, postbacks | background work¹ | first-run bootstrap |
 * |-----------|------------------------|--------------------------|------------------|---------------------|
 * | `all`     | yes                    | yes                      | yes              | yes                 |
 * | `traffic` | yes                    | —                        | —                | —                   |
 * | `api`     | —                      | yes                      | —                | yes                 |
 * | `worker`  | —                      | —                        | yes              | —                   |
 *
 * ¹ pg-boss job workers (outbound postbacks, autopilot ticks, retention, outreach runs), health
 * checks, the conversion outbox into ClickHouse, the event-log consumer into ClickHouse, the
 * visitor engine and the outreach scheduler. Every role answers `/healthz`, `/readyz` and
 * `/metrics`; every role keeps a routing snapshot (the api for previews and the click log,
 * the worker for the autopilot).
 */
import type { AppConfig } from './config.ts'

export type Role = AppConfig['ROLE']

export const ROLES: readonly Role[] = ['all', 'traffic', 'api', 'worker']

/** What a role runs (see the table in this file's header). */
export interface RoleParts {
  /** `/c/…` redirects and landers' `/lp/…` click URLs. */
  redirects: boolean
  /** The admin API, the UI, public webhooks and `/postback`. */
  api: boolean
  /** Job workers, health checks, ClickHouse ingestion (outbox, event log), visitors, outreach. */
  background: boolean
  /** Creates the first admin (and the sample campaign) on an empty database. */
  bootstrap: boolean
}

const PARTS: Record<Role, RoleParts> = {
  all: { redirects: true, api: true, background: true, bootstrap: true },
  traffic: { redirects: true, api: false, background: false, bootstrap: false },
  api: { redirects: false, api: true, background: false, bootstrap: true },
  worker: { redirects: false, api: false, background: true, bootstrap: false },
}

/** The parts `role` runs. */
export function roleParts(role: Role): RoleParts {
  return PARTS[role]
}

/** The settings of {@link roleProblems}. */
export type RoleSettings = Pick<
  AppConfig,
  'DATABASE_URL' | 'CLICKHOUSE_URL' | 'CLICKHOUSE_EMBEDDED' | 'EVENT_LOG' | 'SECRETS_KEY'
>

/**
 * Why `role` cannot run with these settings (empty = it can), one message per problem, each
 * naming the variable to set:
 * - every role but `all` shares the configuration store with other processes → DATABASE_URL
 *   (PGlite is one process's database) and SECRETS_KEY (what one process seals, e.g. a
 *   network's API key, another opens; a key file in each DATA_DIR would differ);
 * - a process that does not open ClickHouse ({@link opensClickHouse}: traffic, api, a worker
 *   with CLICKHOUSE_EMBEDDED=false) sends its events (clicks, visits) to the event log
 *   (EVENT_LOG=nats|kafka) or needs a ClickHouse server (CLICKHOUSE_URL).
 */
export function roleProblems(role: Role, env: RoleSettings): string[] {
  if (role === 'all') return []
  const problems: string[] = []
  if (!env.DATABASE_URL) {
    problems.push(
      `--role=${role} shares the configuration with other processes: set DATABASE_URL (PostgreSQL); the embedded PGlite serves one process only`,
    )
  }
  if (!env.SECRETS_KEY) {
    problems.push(
      `--role=${role} shares sealed secrets with other processes: set the same SECRETS_KEY (32 bytes, hex or base64) on every process`,
    )
  }
  if (env.EVENT_LOG === 'none' && !opensClickHouse(role, env)) {
    problems.push(
      `--role=${role} does not open the embedded ClickHouse: set EVENT_LOG=nats (or kafka) so workers ingest its events, or CLICKHOUSE_URL`,
    )
  }
  return problems
}

/**
 * Whether this process opens ClickHouse (a server at CLICKHOUSE_URL, or the embedded chDB,
 * which binds its data directory to one process): `all` always; `worker` with CLICKHOUSE_URL
 * or CLICKHOUSE_EMBEDDED (default true: set false on all workers but one); `traffic` and
 * `api` only with CLICKHOUSE_URL. A worker that opens ClickHouse also ingests into it (the
 * event log, the conversion outbox); one that does not runs jobs only. An `api` without it
 * answers ClickHouse-backed endpoints (reports, click log) with 503 `clickhouse_unavailable`.
 */
export function opensClickHouse(
  role: Role,
  env: Pick<AppConfig, 'CLICKHOUSE_URL' | 'CLICKHOUSE_EMBEDDED'>,
): boolean {
  if (role === 'all' || env.CLICKHOUSE_URL !== undefined) return true
  return role === 'worker' && env.CLICKHOUSE_EMBEDDED
}

/**
 * `--role=<role>` among CLI arguments (the last one wins), or undefined.
 * @throws Error naming the flag when the value is not a role.
 */
export function roleFromArgs(args: readonly string[]): Role | undefined {
  let role: Role | undefined
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    let value: string | undefined
    if (a.startsWith('--role=')) value = a.slice('--role='.length)
    else if (a === '--role') value = args[++i] ?? ''
    else continue
    if (!(ROLES as readonly string[]).includes(value)) {
      throw new Error(`--role: "${value}" is not a role; use one of ${ROLES.join(', ')}`)
    }
    role = value as Role
  }
  return role
}
