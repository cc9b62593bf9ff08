/**
 * Outreach API under `/api/v1/outreach` (workspace-scoped; another workspace's row is a 404).
 * README "API" lists every route; bodies and answers are the zod schemas of
 * `outreach.schema.ts`.
 */
import { parse } from 'csv-parse/sync'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { eq } from 'drizzle-orm'
import { z } from 'zod'
import type { Clock } from '../../platform/clock.ts'
import { recordChange } from '../../platform/changelog/index.ts'
import type { Db } from '../../platform/db/client.ts'
import { badRequest, conflict } from '../../platform/errors.ts'
import { errorBody } from '../../platform/http/schemas.ts'
import { refusePrivateTargets } from '../../platform/net/ssrf.ts'
import type { SecretBox } from '../autopilot/index.ts'
import { criteriaIssues } from './influencers-club.filters.core.ts'
import { type CreditDeps, creditSettings, creditUsage } from './outreach.credits.ts'
import {
  addSuppressions,
  campaignJson,
  deleteMailbox,
  getCampaign,
  getMailbox,
  lockCampaign,
  lockMailbox,
  getReply,
  listCampaigns,
  listEmails,
  listReplies,
  listRuns,
  listSuppressions,
  mailboxJson,
  removeSuppression,
  runJson,
  todayProgress,
} from './outreach.repository.ts'
import { recordMailboxChange, recordOutreachCampaignChange } from './outreach.changelog.ts'
import { overrideKind } from './outreach.replies.ts'
import { localDay, nextDay } from './outreach.schedule.core.ts'
import {
  campaignCreate,
  campaignListOut,
  campaignOut,
  campaignPatch,
  classificationBody,
  creditsHistoryOut,
  creditsHistoryQuery,
  creditsOut,
  emailListOut,
  emailListQuery,
  emailParams,
  hhmmToMinutes,
  idParams,
  mailboxCreate,
  mailboxListOut,
  mailboxOut,
  mailboxPatch,
  mailboxTestOut,
  previewBody,
  previewOut,
  replyListOut,
  replyListQuery,
  replyOut,
  runListOut,
  settingsOut,
  settingsPut,
  type SUPPRESSION_REASONS,
  suppressionAdd,
  suppressionImport,
  suppressionImportOut,
  suppressionListOut,
  suppressionListQuery,
  windowIssue,
} from './outreach.schema.ts'
import type { OutreachService } from './outreach.service.ts'
import { outreachCampaigns, outreachMailboxes, outreachSettings } from './outreach.tables.ts'
import { preview } from './outreach.template.core.ts'

/** Dependencies of {@link outreachRoutes}. */
export interface OutreachRoutesDeps {
  db: Db
  clock: Clock
  box: SecretBox
  service: OutreachService
  credits: CreditDeps
  /** `OUTREACH_ALLOW_PRIVATE`: mailboxes may use private SMTP/IMAP hosts. */
  allowPrivate: boolean
  /** Tests a mailbox's SMTP (and IMAP) login ("test connection"). */
  testMailbox: (m: {
    smtp: {
      host: string
      port: number
      secure: boolean
      user?: string | undefined
      pass?: string | undefined
    }
    imap: { host: string; port: number; secure: boolean; user: string; pass: string } | null
  }) => Promise<{ smtp: { ok: boolean; message: string }; imap: { ok: boolean; message: string } | null }>
}

const err = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody }
const tags = ['outreach']

/** Mail hosts are checked like any URL we connect to (SSRF guard), unless the operator allows private ones. */
async function checkHosts(
  allowPrivate: boolean,
  smtpHost: string | undefined,
  imapHost: string | null | undefined,
): Promise<void> {
  await refusePrivateTargets(
    [
      { path: 'smtp_host', url: smtpHost ? `http://${smtpHost}/` : undefined },
      { path: 'imap_host', url: imapHost ? `http://${imapHost}/` : undefined },
    ],
    { allowPrivate, setting: 'OUTREACH_ALLOW_PRIVATE' },
  )
}

/** The outreach API (see file comment). */
export function outreachRoutes(deps: OutreachRoutesDeps): FastifyPluginAsyncZod {
  const { db, clock, box } = deps

  const campaignView = async (c: typeof outreachCampaigns.$inferSelect) => {
    const today = await todayProgress(db, [c], clock.now())
    return campaignJson(c, today.get(c.id) ?? null)
  }
  const sealed = (v: string | undefined) => (v === undefined ? undefined : v === '' ? null : box.seal(v))

  return async (app) => {
    // Settings and credits.
    app.get(
      '/outreach/settings',
      {
        config: { scope: 'read' },
        schema: {
          tags,
          summary: 'Outreach plan and credit time zone',
          response: { 200: settingsOut, ...err },
        },
      },
      async (req) => {
        const s = await creditSettings(db, req.auth.workspaceId, deps.credits.plans, deps.credits.defaultPlan)
        return {
          plan: s.plan.name,
          timezone: s.timezone,
          plans: deps.credits.plans.map((p) => ({ name: p.name, daily_limit: p.dailyLimit })),
        }
      },
    )
    app.put(
      '/outreach/settings',
      {
        config: { scope: 'admin' },
        schema: {
          tags,
          summary: 'Choose the plan (from the next credit day) and the credit time zone',
          body: settingsPut,
          response: { 200: settingsOut, ...err },
        },
      },
      async (req) => {
        const ws = req.auth.workspaceId
        const cur = await creditSettings(db, ws, deps.credits.plans, deps.credits.defaultPlan)
        const plan = req.body.plan ?? cur.plan.name
        if (!deps.credits.plans.some((p) => p.name === plan))
          throw badRequest(`unknown plan "${plan}"`, [
            { path: 'plan', message: 'not one of the configured plans' },
          ])
        const timezone = req.body.timezone ?? cur.timezone
        await db.transaction(async (t) => {
          const tx = t as unknown as Db
          await tx
            .insert(outreachSettings)
            .values({ workspaceId: ws, plan, timezone })
            .onConflictDoUpdate({
              target: outreachSettings.workspaceId,
              set: { plan, timezone, updatedAt: clock.now() },
            })
          await recordChange(tx, {
            workspaceId: ws,
            objectType: 'outreach_settings',
            objectId: ws,
            objectName: 'outreach plan',
            action: 'update',
            before: { plan: cur.plan.name, timezone: cur.timezone },
            after: { plan, timezone },
          })
        })
        return {
          plan,
          timezone,
          plans: deps.credits.plans.map((p) => ({ name: p.name, daily_limit: p.dailyLimit })),
        }
      },
    )
    app.get(
      '/outreach/credits',
      {
        config: { scope: 'read' },
        schema: { tags, summary: "Today's outreach credits", response: { 200: creditsOut, ...err } },
      },
      async (req) => creditUsage(deps.credits, req.auth.workspaceId, clock.now()),
    )
    app.get(
      '/outreach/credits/history',
      {
        config: { scope: 'read' },
        schema: {
          tags,
          summary: 'Credit usage of the last days (newest first)',
          querystring: creditsHistoryQuery,
          response: { 200: creditsHistoryOut, ...err },
        },
      },
      async (req) => {
        const ws = req.auth.workspaceId
        const now = clock.now()
        const s = await creditSettings(db, ws, deps.credits.plans, deps.credits.defaultPlan)
        let day = localDay(new Date(now.getTime() - (req.query.days - 1) * 86_400_000), s.timezone)
        const days: string[] = []
        const today = localDay(now, s.timezone)
        while (day <= today && days.length < req.query.days + 1) {
          days.push(day)
          day = nextDay(day)
        }
        const items = []
        for (const d of days.reverse()) {
          const u = await creditUsage(deps.credits, ws, now, d)
          items.push({
            date: u.date,
            limit: u.limit,
            used: u.used,
            sent: u.sent,
            replies: u.replies,
            replies_uncharged: u.replies_uncharged,
          })
        }
        return { items }
      },
    )

    // Mailboxes.
    app.get(
      '/outreach/mailboxes',
      {
        config: { scope: 'read' },
        schema: { tags, summary: 'Sending mailboxes', response: { 200: mailboxListOut, ...err } },
      },
      async (req) => {
        const rows = await db
          .select()
          .from(outreachMailboxes)
          .where(eq(outreachMailboxes.workspaceId, req.auth.workspaceId))
        return { items: rows.map(mailboxJson) }
      },
    )
    app.post(
      '/outreach/mailboxes',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Connect a mailbox (SMTP out, optional IMAP in)',
          body: mailboxCreate,
          response: { 201: mailboxOut, ...err },
        },
      },
      async (req, reply) => {
        const b = req.body
        await checkHosts(deps.allowPrivate, b.smtp_host, b.imap_host)
        const now = clock.now()
        const [m] = await db.transaction(async (t) => {
          const tx = t as unknown as Db
          const [row] = await tx
            .insert(outreachMailboxes)
            .values({
              workspaceId: req.auth.workspaceId,
              name: b.name,
              fromEmail: b.from_email.toLowerCase(),
              fromName: b.from_name ?? '',
              smtpHost: b.smtp_host,
              smtpPort: b.smtp_port,
              smtpSecure: b.smtp_secure ?? false,
              smtpUser: b.smtp_user ?? '',
              smtpPasswordSealed: sealed(b.smtp_password) ?? null,
              imapHost: b.imap_host ?? null,
              imapPort: b.imap_port ?? null,
              imapSecure: b.imap_secure ?? true,
              imapUser: b.imap_user ?? null,
              imapPasswordSealed: sealed(b.imap_password) ?? null,
              dailyCap: b.daily_cap ?? 200,
              minGapSeconds: b.min_gap_seconds ?? 60,
              createdAt: now,
              updatedAt: now,
            })
            .returning()
          await recordMailboxChange(tx, 'create', undefined, row)
          return [row]
        })
        await deps.service.refreshMailboxes()
        reply.code(201)
        return mailboxJson(m!)
      },
    )
    app.patch(
      '/outreach/mailboxes/:id',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Edit a mailbox (an omitted password is unchanged; "" clears it)',
          params: idParams,
          body: mailboxPatch,
          response: { 200: mailboxOut, ...err },
        },
      },
      async (req) => {
        const ws = req.auth.workspaceId
        await getMailbox(db, ws, req.params.id)
        const b = req.body
        await checkHosts(deps.allowPrivate, b.smtp_host, b.imap_host)
        const [m] = await db.transaction(async (t) => {
          const tx = t as unknown as Db
          const before = await lockMailbox(tx, ws, req.params.id)
          const [row] = await tx
            .update(outreachMailboxes)
            .set({
              ...(b.name !== undefined && { name: b.name }),
              ...(b.from_email !== undefined && { fromEmail: b.from_email.toLowerCase() }),
              ...(b.from_name !== undefined && { fromName: b.from_name }),
              ...(b.smtp_host !== undefined && { smtpHost: b.smtp_host }),
              ...(b.smtp_port !== undefined && { smtpPort: b.smtp_port }),
              ...(b.smtp_secure !== undefined && { smtpSecure: b.smtp_secure }),
              ...(b.smtp_user !== undefined && { smtpUser: b.smtp_user }),
              ...(b.smtp_password !== undefined && { smtpPasswordSealed: sealed(b.smtp_password) }),
              ...(b.imap_host !== undefined && { imapHost: b.imap_host }),
              ...(b.imap_port !== undefined && { imapPort: b.imap_port }),
              ...(b.imap_secure !== undefined && { imapSecure: b.imap_secure }),
              ...(b.imap_user !== undefined && { imapUser: b.imap_user }),
              ...(b.imap_password !== undefined && { imapPasswordSealed: sealed(b.imap_password) }),
              ...(b.daily_cap !== undefined && { dailyCap: b.daily_cap }),
              ...(b.min_gap_seconds !== undefined && { minGapSeconds: b.min_gap_seconds }),
              updatedAt: clock.now(),
            })
            .where(eq(outreachMailboxes.id, req.params.id))
            .returning()
          await recordMailboxChange(tx, 'update', before, row)
          return [row]
        })
        deps.service.deps.sender.forget(m!.id)
        await deps.service.refreshMailboxes()
        return mailboxJson(m!)
      },
    )
    app.delete(
      '/outreach/mailboxes/:id',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Delete a mailbox (409 while a campaign uses it)',
          params: idParams,
          response: { 204: z.null(), ...err },
        },
      },
      async (req, reply) => {
        await deleteMailbox(db, req.auth.workspaceId, req.params.id)
        deps.service.deps.sender.forget(req.params.id)
        await deps.service.refreshMailboxes()
        reply.code(204)
      },
    )
    app.post(
      '/outreach/mailboxes/:id/test',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: "Test the mailbox's SMTP (and IMAP) login now",
          params: idParams,
          response: { 200: mailboxTestOut, ...err },
        },
      },
      async (req) => {
        const m = await getMailbox(db, req.auth.workspaceId, req.params.id)
        await checkHosts(deps.allowPrivate, m.smtpHost, m.imapHost)
        const r = await deps.testMailbox({
          smtp: {
            host: m.smtpHost,
            port: m.smtpPort,
            secure: m.smtpSecure,
            user: m.smtpUser || undefined,
            pass: m.smtpPasswordSealed ? box.open(m.smtpPasswordSealed) : undefined,
          },
          imap: m.imapHost
            ? {
                host: m.imapHost,
                port: m.imapPort ?? 993,
                secure: m.imapSecure,
                user: m.imapUser ?? '',
                pass: m.imapPasswordSealed ? box.open(m.imapPasswordSealed) : '',
              }
            : null,
        })
        await db
          .update(outreachMailboxes)
          .set({
            status: r.smtp.ok && (r.imap?.ok ?? true) ? 'ok' : 'error',
            lastError: !r.smtp.ok
              ? `SMTP: ${r.smtp.message}`
              : r.imap && !r.imap.ok
                ? `IMAP: ${r.imap.message}`
                : null,
          })
          .where(eq(outreachMailboxes.id, m.id))
        return r
      },
    )

    // Campaigns.
    app.get(
      '/outreach/campaigns',
      {
        config: { scope: 'read' },
        schema: {
          tags,
          summary: 'Outreach campaigns, newest first',
          response: { 200: campaignListOut, ...err },
        },
      },
      async (req) => {
        const rows = await listCampaigns(db, req.auth.workspaceId)
        const today = await todayProgress(db, rows, clock.now())
        return { items: rows.map((c) => campaignJson(c, today.get(c.id) ?? null)) }
      },
    )
    app.post(
      '/outreach/campaigns',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Create a campaign; its first run starts at once',
          body: campaignCreate,
          response: { 201: campaignOut, ...err },
        },
      },
      async (req, reply) => {
        const b = req.body
        const ws = req.auth.workspaceId
        const issues = criteriaIssues(b.criteria)
        if (issues.length > 0)
          throw badRequest(
            'invalid criteria',
            issues.map((i) => ({ ...i, path: `criteria.${i.path}` })),
          )
        await getMailbox(db, ws, b.mailbox_id)
        const now = clock.now()
        const recurring = b.recurring ?? true
        const [c] = await db.transaction(async (t) => {
          const tx = t as unknown as Db
          const [row] = await tx
            .insert(outreachCampaigns)
            .values({
              workspaceId: ws,
              name: b.name,
              criteria: b.criteria as Record<string, unknown>,
              recurring,
              maxRuns: recurring ? (b.max_runs ?? 30) : 1,
              mailboxId: b.mailbox_id,
              timezone: b.timezone ?? 'UTC',
              windowStartMin: hhmmToMinutes(b.window_start ?? '09:00'),
              windowEndMin: hhmmToMinutes(b.window_end ?? '17:00'),
              dailyQuota: b.daily_quota ?? 50,
              subject: b.subject,
              body: b.body,
              footerAddress: b.footer_address,
              stopOnAutoReply: b.stop_on_auto_reply ?? false,
              createdAt: now,
              updatedAt: now,
            })
            .returning()
          await recordOutreachCampaignChange(tx, 'create', undefined, row)
          return [row]
        })
        // Day 1 runs at once (discovery and enrichment in the background).
        void deps.service
          .startNow(c!.id)
          .catch((e: unknown) => req.log.warn({ err: e }, 'first outreach run failed'))
        reply.code(201)
        return campaignView(c!)
      },
    )
    app.get(
      '/outreach/campaigns/:id',
      {
        config: { scope: 'read' },
        schema: {
          tags,
          summary: "One campaign with today's progress",
          params: idParams,
          response: { 200: campaignOut, ...err },
        },
      },
      async (req) => campaignView(await getCampaign(db, req.auth.workspaceId, req.params.id)),
    )
    app.patch(
      '/outreach/campaigns/:id',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Edit a campaign (is_active pauses or resumes it)',
          params: idParams,
          body: campaignPatch,
          response: { 200: campaignOut, ...err },
        },
      },
      async (req) => {
        const ws = req.auth.workspaceId
        const cur = await getCampaign(db, ws, req.params.id)
        const b = req.body
        if (b.criteria) {
          const issues = criteriaIssues(b.criteria)
          if (issues.length > 0)
            throw badRequest(
              'invalid criteria',
              issues.map((i) => ({ ...i, path: `criteria.${i.path}` })),
            )
        }
        if (b.mailbox_id) await getMailbox(db, ws, b.mailbox_id)
        const start = b.window_start !== undefined ? hhmmToMinutes(b.window_start) : cur.windowStartMin
        const end = b.window_end !== undefined ? hhmmToMinutes(b.window_end) : cur.windowEndMin
        const windowProblem = windowIssue(start, end)
        if (windowProblem)
          throw badRequest(`window_end: ${windowProblem}`, [{ path: 'window_end', message: windowProblem }])
        const recurring = b.recurring ?? cur.recurring
        const maxRuns = recurring ? (b.max_runs ?? cur.maxRuns) : 1
        // A campaign that ran all its runs stays complete unless it gets more runs.
        if (b.is_active === true && cur.runCount >= maxRuns)
          throw conflict(
            `the campaign has run ${cur.runCount} of ${maxRuns} runs; raise max_runs to resume it`,
            [{ path: 'max_runs', message: `must be more than ${cur.runCount} to resume` }],
          )
        const [c] = await db.transaction(async (t) => {
          const tx = t as unknown as Db
          const before = await lockCampaign(tx, ws, cur.id)
          const [row] = await tx
            .update(outreachCampaigns)
            .set({
              ...(b.name !== undefined && { name: b.name }),
              ...(b.criteria !== undefined && { criteria: b.criteria as Record<string, unknown> }),
              recurring,
              maxRuns,
              ...(b.is_active === true && { completedAt: null }),
              ...(b.is_active !== undefined && { isActive: b.is_active }),
              ...(b.mailbox_id !== undefined && { mailboxId: b.mailbox_id }),
              ...(b.timezone !== undefined && { timezone: b.timezone }),
              windowStartMin: start,
              windowEndMin: end,
              ...(b.daily_quota !== undefined && { dailyQuota: b.daily_quota }),
              ...(b.subject !== undefined && { subject: b.subject }),
              ...(b.body !== undefined && { body: b.body }),
              ...(b.footer_address !== undefined && { footerAddress: b.footer_address }),
              ...(b.stop_on_auto_reply !== undefined && { stopOnAutoReply: b.stop_on_auto_reply }),
              updatedAt: clock.now(),
            })
            .where(eq(outreachCampaigns.id, cur.id))
            .returning()
          await recordOutreachCampaignChange(tx, 'update', before, row)
          return [row]
        })
        return campaignView(c!)
      },
    )
    app.delete(
      '/outreach/campaigns/:id',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Delete a campaign with its runs and emails',
          params: idParams,
          response: { 204: z.null(), ...err },
        },
      },
      async (req, reply) => {
        const c = await getCampaign(db, req.auth.workspaceId, req.params.id)
        await db.transaction(async (t) => {
          const tx = t as unknown as Db
          const [gone] = await tx.delete(outreachCampaigns).where(eq(outreachCampaigns.id, c.id)).returning()
          if (gone) await recordOutreachCampaignChange(tx, 'delete', gone, undefined)
        })
        reply.code(204)
      },
    )
    app.post(
      '/outreach/preview',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Render a template with a sample creator',
          body: previewBody,
          response: { 200: previewOut, ...err },
        },
      },
      async (req) => preview(req.body),
    )
    app.get(
      '/outreach/campaigns/:id/runs',
      {
        config: { scope: 'read' },
        schema: {
          tags,
          summary: 'Runs of a campaign, newest first',
          params: idParams,
          response: { 200: runListOut, ...err },
        },
      },
      async (req) => {
        const c = await getCampaign(db, req.auth.workspaceId, req.params.id)
        return { items: (await listRuns(db, c.id)).map(runJson) }
      },
    )
    app.get(
      '/outreach/campaigns/:id/emails',
      {
        config: { scope: 'read' },
        schema: {
          tags,
          summary: "Emails of a campaign scheduled on a local day (default today, the campaign's time zone)",
          params: idParams,
          querystring: emailListQuery,
          response: { 200: emailListOut, ...err },
        },
      },
      async (req) => {
        const c = await getCampaign(db, req.auth.workspaceId, req.params.id)
        return { items: await listEmails(db, c, req.query.date ?? localDay(clock.now(), c.timezone)) }
      },
    )

    // Replies inbox.
    app.get(
      '/outreach/replies',
      {
        config: { scope: 'read' },
        schema: {
          tags,
          summary: 'Replies, auto-replies and bounces, newest first',
          querystring: replyListQuery,
          response: { 200: replyListOut, ...err },
        },
      },
      async (req) => ({
        items: await listReplies(db, req.auth.workspaceId, {
          campaignId: req.query.campaign_id,
          kind: req.query.kind,
        }),
      }),
    )
    app.post(
      '/outreach/replies/:id/classification',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Override the classification of an incoming message',
          params: idParams,
          body: classificationBody,
          response: { 200: replyOut, ...err },
        },
      },
      async (req) => {
        await overrideKind(deps.service.deps, req.auth.workspaceId, req.params.id, req.body.kind)
        return getReply(db, req.auth.workspaceId, req.params.id)
      },
    )

    // Suppression list.
    app.get(
      '/outreach/suppressions',
      {
        config: { scope: 'read' },
        schema: {
          tags,
          summary: 'Addresses never emailed again',
          querystring: suppressionListQuery,
          response: { 200: suppressionListOut, ...err },
        },
      },
      async (req) => {
        const rows = await listSuppressions(db, req.auth.workspaceId, req.query.q)
        return {
          items: rows.map((s) => ({
            email: s.email,
            reason: s.reason as (typeof SUPPRESSION_REASONS)[number],
            detail: s.detail,
            created_at: s.createdAt.toISOString(),
          })),
        }
      },
    )
    app.post(
      '/outreach/suppressions',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Suppress one address',
          body: suppressionAdd,
          response: { 201: z.strictObject({ email: z.string() }), ...err },
        },
      },
      async (req, reply) => {
        await addSuppressions(db, req.auth.workspaceId, [req.body.email], 'manual', req.body.detail ?? null)
        reply.code(201)
        return { email: req.body.email.toLowerCase() }
      },
    )
    app.post(
      '/outreach/suppressions/import',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Import addresses from CSV (first column, or a column named email)',
          body: suppressionImport,
          response: { 200: suppressionImportOut, ...err },
        },
      },
      async (req) => {
        const { valid, invalid } = parseSuppressionCsv(req.body.csv)
        const added = await addSuppressions(db, req.auth.workspaceId, valid, 'import')
        return { added, skipped: valid.length - added, invalid }
      },
    )
    app.delete(
      '/outreach/suppressions/:email',
      {
        config: { scope: 'write' },
        schema: {
          tags,
          summary: 'Remove an address from the suppression list',
          params: emailParams,
          response: { 204: z.null(), ...err },
        },
      },
      async (req, reply) => {
        await removeSuppression(db, req.auth.workspaceId, req.params.email)
        reply.code(204)
      },
    )
  }
}

const EMAIL = z.email()

/**
 * Addresses of a CSV text (csv-parse; comma, semicolon or tab separated, quoted fields): the
 * column named `email` when the first row has one, else the first column; blank lines
 * skipped; invalid values reported with their line number (at most 100).
 * @throws AppError 400 when the text is not CSV at all (an unclosed quote).
 */
export function parseSuppressionCsv(csv: string): {
  valid: string[]
  invalid: { line: number; value: string }[]
} {
  let rows: { record: string[]; info: { lines: number } }[]
  try {
    rows = parse(csv, {
      delimiter: [',', ';', '\t'],
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[]
  } catch (e) {
    throw badRequest(`csv: ${(e as Error).message}`, [{ path: 'csv', message: (e as Error).message }])
  }
  const header = (rows[0]?.record ?? []).map((h) => h.toLowerCase())
  const hasHeader = header.includes('email')
  const col = hasHeader ? header.indexOf('email') : 0
  const valid: string[] = []
  const invalid: { line: number; value: string }[] = []
  rows.forEach(({ record, info }, i) => {
    if (hasHeader && i === 0) return
    const v = record[col] ?? ''
    if (v === '') return
    if (EMAIL.safeParse(v).success) valid.push(v.toLowerCase())
    else if (invalid.length < 100) invalid.push({ line: info.lines, value: v.slice(0, 100) })
  })
  return { valid, invalid }
}
