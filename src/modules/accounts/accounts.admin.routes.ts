/**
 * Admin user management under `/api/v1/admin/users` — global role `admin` only (403 for
 * everyone else): the paged user list, approve, suspend, reactivate.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Clock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/client.ts'
import { forbidden } from '../../platform/errors.ts'
import { pageResponse } from '../../platform/http/schemas.ts'
import { adminListUsers, changeUserStatus } from './accounts.admin.ts'
import type { StatusAction } from './accounts.core.ts'
import { adminUsersQuery } from './accounts.schema.ts'
import { adminUserJson, adminUserOut, errorBody } from './accounts.wire.ts'

/** `GET /admin/users`, `POST /admin/users/:id/approve|suspend|reactivate`. */
export function adminRoutes(deps: { db: Db; clock: Clock }): FastifyPluginAsync {
  const { db, clock } = deps
  return async (app0) => {
    const app = app0.withTypeProvider<ZodTypeProvider>()
    // Runs after the API's auth hook (onRequest) has set req.auth, before validation.
    // Encapsulated: applies to this plugin's routes only.
    app.addHook('preValidation', async (req) => {
      if (req.auth.role !== 'admin') throw forbidden('admin role required')
    })

    app.get(
      '/admin/users',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['admin'],
          summary: 'Users, newest first (admin only)',
          description:
            'Filters: `status`, `q` (email, name or company). Paging: `page` + `page_size`, or `limit` + `offset`.',
          querystring: adminUsersQuery,
          response: { 200: pageResponse(adminUserOut), 403: errorBody },
        },
      },
      async (req) => {
        const q = req.query
        const limit = q.limit ?? q.page_size
        const offset = q.offset ?? (q.page - 1) * limit
        const page = await adminListUsers(db, {
          ...(q.status ? { status: q.status } : {}),
          ...(q.q ? { q: q.q } : {}),
          limit,
          offset,
        })
        return { items: page.items.map(adminUserJson), total: page.total, limit, offset }
      },
    )

    const actions: { action: StatusAction; summary: string }[] = [
      { action: 'approve', summary: 'Approve a pending sign-up (admin only)' },
      {
        action: 'suspend',
        summary: 'Suspend a user: ends their sessions, refuses their API keys (admin only; not yourself)',
      },
      { action: 'reactivate', summary: 'Reactivate a suspended user (admin only)' },
    ]
    for (const { action, summary } of actions) {
      app.post(
        `/admin/users/:id/${action}`,
        {
          config: { scope: 'admin' },
          schema: {
            tags: ['admin'],
            summary,
            params: z.object({ id: z.uuid() }),
            response: { 200: adminUserOut, 403: errorBody, 404: errorBody, 409: errorBody },
          },
        },
        async (req) =>
          adminUserJson(
            await changeUserStatus(db, {
              actorId: req.auth.userId,
              userId: req.params.id,
              action,
              now: clock.now(),
            }),
          ),
      )
    }
  }
}
