/**
 * The current workspace and its members under `/api/v1/workspace`. Any member may read;
 * owners and admins manage members (see `checkMemberChange` for the exact rules); a platform
 * admin in admin view acts as an owner.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../platform/db/client.ts'
import { getWorkspaceAccess, getWorkspaceView, removeMember, setMemberRole } from './accounts.members.ts'
import { memberRoleBody } from './accounts.schema.ts'
import { requestMeta, setWorkspaceRequire2fa } from './accounts.totp.ts'
import { errorBody, memberJson, memberOut, memberRoleOut } from './accounts.wire.ts'

/**
 * `GET /workspace`, `PATCH|DELETE /workspace/members/:userId`. Members are added by
 * invitation only (`accounts.invitations.routes.ts`).
 */
export function workspaceRoutes(deps: { db: Db }): FastifyPluginAsync {
  const { db } = deps
  return async (app0) => {
    const app = app0.withTypeProvider<ZodTypeProvider>()
    const memberParams = z.object({ userId: z.uuid() })

    app.get(
      '/workspace',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['workspace'],
          summary: 'The workspace this request acts in, your role and its members (owners first)',
          response: {
            200: z.object({
              workspace: z.object({
                id: z.uuid(),
                name: z.string(),
                created_at: z.string(),
                require_2fa: z.boolean().describe('members must use two-factor authentication'),
              }),
              role: memberRoleOut.describe('your role here; `owner` in admin view'),
              member: z
                .boolean()
                .describe('false in admin view: a platform admin acting here without being a member'),
              members: z.array(memberOut),
            }),
          },
        },
      },
      async (req) => {
        const v = await getWorkspaceView(db, req.auth.workspaceId, req.auth.userId)
        return {
          workspace: {
            id: v.workspace.id,
            name: v.workspace.name,
            created_at: v.workspace.createdAt.toISOString(),
            require_2fa: v.workspace.require2fa,
          },
          role: v.role,
          member: v.member,
          members: v.members.map(memberJson),
        }
      },
    )

    app.patch(
      '/workspace/settings',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['workspace'],
          summary: 'Workspace security settings (owners only): require two-factor authentication of members',
          description:
            'Members without 2FA then get 403 two_factor_enrollment_required on their sessions until they ' +
            'enrol. 409 two_factor_not_enabled when the owner has no 2FA yet.',
          body: z.strictObject({ require_2fa: z.boolean() }),
          response: {
            200: z.object({ require_2fa: z.boolean() }),
            403: errorBody,
            409: errorBody,
          },
        },
      },
      async (req) => {
        const access = await getWorkspaceAccess(db, req.auth.workspaceId, req.auth.userId)
        const value = await setWorkspaceRequire2fa(db, {
          workspaceId: req.auth.workspaceId,
          userId: req.auth.userId,
          role: access?.role ?? 'member',
          require: req.body.require_2fa,
          meta: requestMeta(req),
        })
        return { require_2fa: value }
      },
    )

    app.patch(
      '/workspace/members/:userId',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['workspace'],
          summary: "Change a member's role (owner role: owners only; the last owner stays owner)",
          params: memberParams,
          body: memberRoleBody,
          response: { 200: memberOut, 403: errorBody, 404: errorBody, 409: errorBody },
        },
      },
      async (req) =>
        memberJson(
          await setMemberRole(db, {
            workspaceId: req.auth.workspaceId,
            actorId: req.auth.userId,
            userId: req.params.userId,
            role: req.body.role,
          }),
        ),
    )

    app.delete(
      '/workspace/members/:userId',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['workspace'],
          summary: 'Remove a member (owners and admins; anyone may remove themselves); never the last owner',
          params: memberParams,
          response: { 204: z.undefined(), 403: errorBody, 404: errorBody, 409: errorBody },
        },
      },
      async (req, reply) => {
        await removeMember(db, {
          workspaceId: req.auth.workspaceId,
          actorId: req.auth.userId,
          userId: req.params.userId,
        })
        return reply.code(204).send()
      },
    )
  }
}
