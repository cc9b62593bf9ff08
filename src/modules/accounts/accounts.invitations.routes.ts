/**
 * Invitations over HTTP: the workspace side under `/api/v1/workspace/invitations` (owners and
 * admins invite, list, revoke) and the invitee's side under `/api/v1/invitations` (list the
 * ones addressed to your email, accept or decline by link token or by id). See
 * `accounts.invitations.ts` for the rules.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Clock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/client.ts'
import {
  answerInvitation,
  createInvitation,
  type InvitationMailDeps,
  listMyInvitations,
  listWorkspaceInvitations,
  revokeInvitation,
  sendInvitation,
} from './accounts.invitations.ts'
import { invitationTokenBody, inviteBody } from './accounts.schema.ts'
import { errorBody, invitationJson, invitationOut, memberRoleOut } from './accounts.wire.ts'

/** Dependencies of {@link invitationRoutes}. */
export interface InvitationRoutesDeps extends InvitationMailDeps {
  db: Db
  clock: Clock
  /** Runs `work` after the answer is sent (errors are logged); closing the app waits for it. */
  background: (what: string, work: () => Promise<void>) => void
}

const joinedOut = z.object({
  workspace: z.object({ id: z.uuid(), name: z.string() }),
  role: memberRoleOut.describe('your role there (an earlier membership keeps its role)'),
})

/**
 * `POST|GET /workspace/invitations`, `DELETE /workspace/invitations/:id`, `GET /invitations`,
 * `POST /invitations/accept|decline` (token), `POST /invitations/:id/accept|decline`.
 */
export function invitationRoutes(deps: InvitationRoutesDeps): FastifyPluginAsync {
  const { db, clock } = deps
  return async (app0) => {
    const app = app0.withTypeProvider<ZodTypeProvider>()
    const idParams = z.object({ id: z.uuid() })

    app.post(
      '/workspace/invitations',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['workspace'],
          summary:
            'Invite an email address as admin or member (owners and admins); always 202 for a non-member',
          description:
            'Stores an invitation valid for 7 days and emails a single-use link ' +
            '(`{PUBLIC_URL}/invitations/accept#token=…`; without SMTP_URL it is written to the server log). ' +
            'The answer is the same whether or not the address has an account. Inviting the address again ' +
            'replaces its pending invitation. Nobody joins until they accept.',
          body: inviteBody,
          response: { 202: invitationOut, 403: errorBody, 409: errorBody },
        },
      },
      async (req, reply) => {
        const now = clock.now()
        const created = await createInvitation(
          db,
          {
            workspaceId: req.auth.workspaceId,
            actorId: req.auth.userId,
            email: req.body.email,
            role: req.body.role,
          },
          now,
        )
        deps.background('workspace invitation email', () => sendInvitation(deps, created))
        return reply.code(202).send(invitationJson(created.invitation, now))
      },
    )

    app.get(
      '/workspace/invitations',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['workspace'],
          summary: "The workspace's pending invitations, expired ones included (owners and admins)",
          response: { 200: z.object({ items: z.array(invitationOut) }), 403: errorBody },
        },
      },
      async (req) => {
        const now = clock.now()
        const items = await listWorkspaceInvitations(db, req.auth.workspaceId, req.auth.userId)
        return { items: items.map((i) => invitationJson(i, now)) }
      },
    )

    app.delete(
      '/workspace/invitations/:id',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['workspace'],
          summary: 'Revoke an invitation: its link stops working (owners and admins)',
          params: idParams,
          response: { 204: z.undefined(), 403: errorBody, 404: errorBody },
        },
      },
      async (req, reply) => {
        await revokeInvitation(db, {
          workspaceId: req.auth.workspaceId,
          actorId: req.auth.userId,
          invitationId: req.params.id,
        })
        return reply.code(204).send()
      },
    )

    app.get(
      '/invitations',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['invitations'],
          summary: 'Unexpired invitations addressed to your email, newest first',
          response: { 200: z.object({ items: z.array(invitationOut) }) },
        },
      },
      async (req) => {
        const now = clock.now()
        const items = await listMyInvitations(db, req.auth.userId, now)
        return { items: items.map((i) => invitationJson(i, now)) }
      },
    )

    app.post(
      '/invitations/accept',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['invitations'],
          summary: 'Accept an invitation with the token from its link; you join the workspace',
          description:
            'Signed in with the invited address. The token works once. 400 invalid_token (unknown or used), ' +
            '403 wrong_account (another address), 410 invitation_expired.',
          body: invitationTokenBody,
          response: { 200: joinedOut, 400: errorBody, 403: errorBody, 410: errorBody },
        },
      },
      async (req) => (await answerInvitation(db, 'accept', req.body, req.auth.userId, clock.now()))!,
    )

    app.post(
      '/invitations/decline',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['invitations'],
          summary: 'Decline an invitation with the token from its link',
          body: invitationTokenBody,
          response: { 204: z.undefined(), 400: errorBody, 403: errorBody },
        },
      },
      async (req, reply) => {
        await answerInvitation(db, 'decline', req.body, req.auth.userId, clock.now())
        return reply.code(204).send()
      },
    )

    app.post(
      '/invitations/:id/accept',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['invitations'],
          summary: 'Accept one of your invitations (from GET /invitations); you join the workspace',
          params: idParams,
          response: { 200: joinedOut, 404: errorBody, 410: errorBody },
        },
      },
      async (req) =>
        (await answerInvitation(db, 'accept', { id: req.params.id }, req.auth.userId, clock.now()))!,
    )

    app.post(
      '/invitations/:id/decline',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['invitations'],
          summary: 'Decline one of your invitations',
          params: idParams,
          response: { 204: z.undefined(), 404: errorBody },
        },
      },
      async (req, reply) => {
        await answerInvitation(db, 'decline', { id: req.params.id }, req.auth.userId, clock.now())
        return reply.code(204).send()
      },
    )
  }
}
