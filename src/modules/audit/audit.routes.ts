/**
 * The audit API (issue 18), under `/api/v1` behind the auth hook; every query is scoped to
 * `req.auth.workspaceId`:
 *
 * - `GET /change-log` → `{items, total}`, newest first; filters `object_type`, `object_id`,
 *   `actor` (user/key id or label substring), `action`, `q` (object name or actor label
 *   substring), `from`/`to` (ISO date-times, `to` exclusive), `limit` (1–500, 50), `offset`.
 * - `GET /change-log.csv` → the same rows as `text/csv`, one line per changed field.
 * - `GET /security-events` (owners and admins of the workspace) → `{items, total}`;
 *   filters `kind`, `from`, `to`, `limit`, `offset`. `GET /security-events.csv` likewise.
 */
import { Readable } from 'node:stream'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { type Clock, systemClock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/client.ts'
import { forbidden } from '../../platform/errors.ts'
import { errorBody } from '../../platform/http/schemas.ts'
import '../../platform/http/types.ts'
import { getWorkspaceAccess } from '../accounts/index.ts'
import { csvLine } from '../analytics/index.ts'
import {
  CHANGE_CSV_HEADER,
  changeCsvRows,
  changeJson,
  SECURITY_CSV_HEADER,
  securityEventCsvRow,
  securityEventJson,
} from './audit.core.ts'
import {
  type ChangeFilter,
  listChanges,
  listSecurityEvents,
  type Page,
  type SecurityEventFilter,
} from './audit.repository.ts'

const isoDateTime = z.iso.datetime({ offset: true }).describe('ISO 8601 date-time, e.g. 2026-06-01T00:00:00Z')
const limit = z.coerce.number().int().min(1).max(500).default(50).describe('page size, 1–500')
const offset = z.coerce.number().int().min(0).max(1_000_000).default(0).describe('rows to skip')
const fromBeforeTo = [
  (q: { from?: string | undefined; to?: string | undefined }) =>
    !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to),
  { message: 'must not be before from', path: ['to'] as PropertyKey[] },
] as const

const changeFilterFields = {
  object_type: z.string().trim().min(1).max(50).optional().describe('campaign, stream, offer, lander, …'),
  object_id: z.string().trim().min(1).max(200).optional(),
  actor: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe('a user or API key id, or part of the actor label'),
  action: z.enum(['create', 'update', 'delete']).optional(),
  q: z.string().trim().min(1).max(200).optional().describe('part of the object name or actor label'),
  from: isoDateTime.optional().describe('inclusive'),
  to: isoDateTime.optional().describe('exclusive'),
}
const changeListQuery = z.strictObject({ ...changeFilterFields, limit, offset }).refine(...fromBeforeTo)
const changeCsvQuery = z.strictObject(changeFilterFields).refine(...fromBeforeTo)

const securityFilterFields = {
  kind: z.string().trim().min(1).max(50).optional().describe('sign_in, sign_in_failed, api_key_created, …'),
  from: isoDateTime.optional().describe('inclusive'),
  to: isoDateTime.optional().describe('exclusive'),
}
const securityListQuery = z.strictObject({ ...securityFilterFields, limit, offset }).refine(...fromBeforeTo)
const securityCsvQuery = z.strictObject(securityFilterFields).refine(...fromBeforeTo)

const fieldChange = z.object({ before: z.unknown().optional(), after: z.unknown().optional() })
const changeOut = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.object({
    type: z.enum(['user', 'api_key', 'system']),
    user_id: z.string().nullable(),
    api_key_id: z.string().nullable(),
    label: z.string(),
  }),
  ip: z.string().nullable(),
  object_type: z.string(),
  object_id: z.string(),
  object_name: z.string().nullable(),
  action: z.enum(['create', 'update', 'delete']),
  changes: z.record(z.string(), fieldChange),
})
const securityEventOut = z.object({
  id: z.string(),
  at: z.string(),
  kind: z.string(),
  user_id: z.string().nullable(),
  email: z.string().nullable(),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
})

/** Most rows one CSV export reads (pages of {@link CSV_PAGE}). */
export const CSV_MAX_ROWS = 100_000
const CSV_PAGE = 1_000

const date = (s: string | undefined) => (s ? new Date(s) : undefined)

function changeFilter(q: z.output<typeof changeCsvQuery>): ChangeFilter {
  return {
    objectType: q.object_type,
    objectId: q.object_id,
    actor: q.actor,
    action: q.action,
    q: q.q,
    from: date(q.from),
    to: date(q.to),
  }
}

function securityFilter(q: z.output<typeof securityCsvQuery>): SecurityEventFilter {
  return { kind: q.kind, from: date(q.from), to: date(q.to) }
}

/** Streams pages of `page(limit, offset)` as CSV lines (header first), up to {@link CSV_MAX_ROWS} rows. */
function sendCsv<T>(
  reply: FastifyReply,
  now: Date,
  name: string,
  header: readonly string[],
  page: (limit: number, offset: number) => Promise<Page<T>>,
  lines: (row: T) => (string | null)[][],
) {
  async function* chunks(): AsyncGenerator<string> {
    yield csvLine(header)
    for (let offset = 0; offset < CSV_MAX_ROWS; offset += CSV_PAGE) {
      const p = await page(CSV_PAGE, offset)
      if (p.items.length === 0) break
      yield p.items.flatMap(lines).map(csvLine).join('')
      if (p.items.length < CSV_PAGE) break
    }
  }
  const day = now.toISOString().slice(0, 10)
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="traffoflex-${name}-${day}.csv"`)
    .send(Readable.from(chunks(), { objectMode: false }))
}

/** The audit routes (see the file comment). */
export function auditRoutes(deps: { db: Db; clock?: Clock }): FastifyPluginAsync {
  const { db } = deps
  const clock = deps.clock ?? systemClock
  return async (app0) => {
    const app = app0.withTypeProvider<ZodTypeProvider>()

    /** Security events are for the workspace's owners and admins (a platform admin acts as owner). */
    async function requireWorkspaceAdmin(auth: { workspaceId: string; userId: string }) {
      const access = await getWorkspaceAccess(db, auth.workspaceId, auth.userId)
      if (!access || (access.role !== 'owner' && access.role !== 'admin'))
        throw forbidden('only workspace owners and admins can read security events')
    }

    app.get(
      '/change-log',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['audit'],
          summary: "The workspace's configuration changes, newest first",
          querystring: changeListQuery,
          response: { 200: z.object({ items: z.array(changeOut), total: z.number() }), 400: errorBody },
        },
      },
      async (req) => {
        const q = req.query
        const p = await listChanges(db, req.auth.workspaceId, changeFilter(q), q.limit, q.offset)
        return { items: p.items.map(changeJson), total: p.total }
      },
    )

    app.get(
      '/change-log.csv',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['audit'],
          summary: 'The change log as CSV, one line per changed field (values JSON-encoded)',
          querystring: changeCsvQuery,
          response: { 400: errorBody },
        },
      },
      async (req, reply) => {
        const f = changeFilter(req.query)
        return sendCsv(
          reply,
          clock.now(),
          'change-log',
          CHANGE_CSV_HEADER,
          (l, o) => listChanges(db, req.auth.workspaceId, f, l, o),
          changeCsvRows,
        )
      },
    )

    app.get(
      '/security-events',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['audit'],
          summary: "Security events of the workspace and its members' sign-ins (owners and admins)",
          querystring: securityListQuery,
          response: {
            200: z.object({ items: z.array(securityEventOut), total: z.number() }),
            400: errorBody,
            403: errorBody,
          },
        },
      },
      async (req) => {
        await requireWorkspaceAdmin(req.auth)
        const q = req.query
        const p = await listSecurityEvents(db, req.auth.workspaceId, securityFilter(q), q.limit, q.offset)
        return { items: p.items.map(securityEventJson), total: p.total }
      },
    )

    app.get(
      '/security-events.csv',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['audit'],
          summary: 'Security events as CSV (owners and admins)',
          querystring: securityCsvQuery,
          response: { 400: errorBody, 403: errorBody },
        },
      },
      async (req, reply) => {
        await requireWorkspaceAdmin(req.auth)
        const f = securityFilter(req.query)
        return sendCsv(
          reply,
          clock.now(),
          'security-events',
          SECURITY_CSV_HEADER,
          (l, o) => listSecurityEvents(db, req.auth.workspaceId, f, l, o),
          (r) => [securityEventCsvRow(r)],
        )
      },
    )
  }
}
