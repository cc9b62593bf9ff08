/**
 * The daily run of a campaign (README "Daily run"): start it once per campaign and local day,
 * discover creators nobody in the workspace has found before, submit them for enrichment,
 * schedule the emails of those with an email evenly over what is left of today's window, and
 * close the run when the window ends (after the last run: deactivate and tell the owner).
 *
 * Once per day: `outreach_runs` is unique per (campaign, local date) and per (campaign, run
 * number); the run row and `run_count + 1` commit together, so two workers or a restart
 * never start a day twice. Every step is idempotent and keyed by the run, so a job retried
 * after a crash continues where the last one stopped.
 */
import { and, asc, desc, eq, inArray, isNull, notInArray, or, sql } from 'drizzle-orm'
import { nowMs } from '../../platform/clock.ts'
import { callbackUrl } from './clay.callback.core.ts'
import type { OutreachCriteria } from './influencers-club.filters.core.ts'
import type { EnrichmentRow, OutreachDeps } from './outreach.deps.ts'
import { newMessageId } from './outreach.message.core.ts'
import { localDay, runDue, spreadSends, windowOf } from './outreach.schedule.core.ts'
import {
  outreachCampaigns,
  outreachCreators,
  outreachEmails,
  outreachEnrichments,
  outreachMailboxes,
  outreachRuns,
  outreachSuppressions,
} from './outreach.tables.ts'
import { renderTemplate } from './outreach.template.core.ts'

/** A campaign row. */
export type CampaignRow = typeof outreachCampaigns.$inferSelect
/** A run row. */
export type RunRow = typeof outreachRuns.$inferSelect

/** Creators handed to `exclude_handles` at most (the API's limit). */
const EXCLUDE_MAX = 10_000
/** Creators per discovery page (the API's maximum). */
const PAGE_SIZE = 50
/** Email statuses after which the creator is still uncontacted and waits for the next run. */
export const CARRY_OVER = ['unpaid', 'expired'] as const

/** The local date of each campaign's last run (campaigns without a run are absent). */
async function lastRunDates(deps: OutreachDeps, campaignIds: string[]): Promise<Map<string, string>> {
  if (campaignIds.length === 0) return new Map()
  const rows = await deps.db
    .selectDistinctOn([outreachRuns.campaignId], { id: outreachRuns.campaignId, d: outreachRuns.runDate })
    .from(outreachRuns)
    .where(inArray(outreachRuns.campaignId, campaignIds))
    .orderBy(outreachRuns.campaignId, desc(outreachRuns.runNumber))
  return new Map(rows.map((r) => [r.id, r.d]))
}

/**
 * Starts today's run of every active campaign whose run is due (`runDue`), each in one
 * transaction with its `run_count + 1`. Answers the runs started now (a run another worker
 * started first is not among them).
 */
export async function startDueRuns(deps: OutreachDeps, campaignIds?: string[]): Promise<RunRow[]> {
  const now = deps.clock.now()
  const where = campaignIds
    ? and(eq(outreachCampaigns.isActive, true), inArray(outreachCampaigns.id, campaignIds))
    : eq(outreachCampaigns.isActive, true)
  const campaigns = await deps.db.select().from(outreachCampaigns).where(where)
  const last = await lastRunDates(
    deps,
    campaigns.map((c) => c.id),
  )
  const started: RunRow[] = []
  for (const c of campaigns) {
    const due = runDue({
      campaign: {
        recurring: c.recurring,
        maxRuns: c.maxRuns,
        runCount: c.runCount,
        isActive: c.isActive,
        timezone: c.timezone,
        windowStartMin: c.windowStartMin,
        windowEndMin: c.windowEndMin,
        createdAt: c.createdAt,
        lastRunDate: last.get(c.id) ?? null,
      },
      now,
    })
    if (!due.due) continue
    const run = await deps.db.transaction(async (tx) => {
      const [r] = await tx
        .insert(outreachRuns)
        .values({
          workspaceId: c.workspaceId,
          campaignId: c.id,
          runNumber: due.runNumber,
          runDate: due.runDate,
          status: 'discovering',
          startedAt: now,
        })
        .onConflictDoNothing()
        .returning()
      if (!r) return undefined
      await tx
        .update(outreachCampaigns)
        .set({ runCount: sql`${outreachCampaigns.runCount} + 1`, lastRunAt: now, updatedAt: now })
        .where(eq(outreachCampaigns.id, c.id))
      return r
    })
    if (run) {
      started.push(run)
      deps.logger.info(
        { campaign: c.id, run: run.id, day: run.runDate, number: run.runNumber },
        'outreach run started',
      )
    }
  }
  return started
}

/**
 * Discovery and enrichment of one run: pages through creators matching the campaign's
 * criteria (skipping every handle the workspace already found) until the day's quota, the
 * last page or `maxPagesPerRun`; records the new ones (unique per workspace, so a creator a
 * concurrent run took is skipped); submits them to enrichment; sets the run `enriching`.
 * A run that is not `discovering` any more is left alone (idempotent).
 * A discovery or enrichment failure marks the run `failed` with the error (shown in the UI);
 * the next day's run tries again.
 */
export async function executeRun(deps: OutreachDeps, runId: string): Promise<RunRow | undefined> {
  const [run] = await deps.db.select().from(outreachRuns).where(eq(outreachRuns.id, runId))
  if (run?.status !== 'discovering') return run
  const [c] = await deps.db.select().from(outreachCampaigns).where(eq(outreachCampaigns.id, run.campaignId))
  if (!c) return run
  const now = deps.clock.now()
  try {
    if (!deps.discovery) throw new Error('creator discovery is not configured (OUTREACH_IC_API_KEY)')
    if (!deps.enrichment) throw new Error('email enrichment is not configured (OUTREACH_CLAY_WEBHOOK_URL)')
    const criteria = c.criteria as unknown as OutreachCriteria
    const known = await deps.db
      .select({ handle: outreachCreators.handle })
      .from(outreachCreators)
      .where(
        and(
          eq(outreachCreators.workspaceId, c.workspaceId),
          eq(outreachCreators.platform, criteria.platform),
        ),
      )
      .orderBy(desc(outreachCreators.createdAt))
      .limit(EXCLUDE_MAX)
    const exclude = known.map((k) => k.handle)
    const found: (typeof outreachCreators.$inferSelect)[] = []
    // Influencers Club pages are 0-indexed.
    for (let page = 0; page < deps.maxPagesPerRun && found.length < c.dailyQuota; page++) {
      const res = await deps.discovery.discover({ criteria, page, limit: PAGE_SIZE, excludeHandles: exclude })
      const fresh = res.creators.slice(0, c.dailyQuota - found.length)
      if (fresh.length > 0) {
        const rows = await deps.db
          .insert(outreachCreators)
          .values(
            fresh.map((x) => ({
              workspaceId: c.workspaceId,
              platform: criteria.platform,
              externalId: x.user_id,
              handle: x.username,
              fullName: x.full_name,
              followers: x.followers,
              profile: x.profile,
              campaignId: c.id,
              runId: run.id,
              createdAt: now,
            })),
          )
          .onConflictDoNothing()
          .returning()
        found.push(...rows)
      }
      if (!res.hasMore) break
    }
    const enrich: EnrichmentRow[] = []
    if (found.length > 0) {
      const subs = await deps.db
        .insert(outreachEnrichments)
        .values(
          found.map((f) => ({
            workspaceId: c.workspaceId,
            creatorId: f.id,
            runId: run.id,
            submittedAt: now,
          })),
        )
        .returning()
      const byCreator = new Map(found.map((f) => [f.id, f]))
      for (const s of subs) {
        const f = byCreator.get(s.creatorId)!
        enrich.push({
          correlation_id: s.id,
          callback_url: callbackUrl(deps.publicUrl, s.id, deps.callbackKey),
          handle: f.handle,
          platform: f.platform as OutreachCriteria['platform'],
          full_name: f.fullName,
        })
      }
    }
    const [updated] = await deps.db
      .update(outreachRuns)
      .set({ status: 'enriching', creatorsFound: found.length })
      .where(and(eq(outreachRuns.id, run.id), eq(outreachRuns.status, 'discovering')))
      .returning()
    if (enrich.length > 0) {
      const r = await deps.enrichment.submit(enrich)
      if (r.warning)
        deps.logger.warn({ campaign: c.id, warning: r.warning }, 'enrichment source near its lifetime cap')
    }
    deps.publish?.(c.workspaceId, {
      type: 'outreach_run',
      campaign_id: c.id,
      run_id: run.id,
      status: 'enriching',
    })
    return updated ?? run
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e)
    deps.logger.warn({ campaign: c.id, run: run.id, err: message }, 'outreach run failed')
    const [failed] = await deps.db
      .update(outreachRuns)
      .set({ status: 'failed', error: message.slice(0, 500), finishedAt: now })
      .where(eq(outreachRuns.id, run.id))
      .returning()
    return failed
  }
}

/**
 * Records an enrichment answer (the first one per correlation ID; duplicates and answers for
 * unknown IDs are ignored). Answers the run ID when this answer was the run's last pending
 * one (the caller then schedules the run at once), else null.
 */
export async function recordEnrichment(
  deps: OutreachDeps,
  correlationId: string,
  email: string | null,
  body: Record<string, unknown>,
): Promise<{ runId: string | null; duplicate: boolean }> {
  const now = deps.clock.now()
  const done = await deps.db.transaction(async (tx) => {
    const [e] = await tx
      .update(outreachEnrichments)
      .set({ answeredAt: now, result: body })
      .where(and(eq(outreachEnrichments.id, correlationId), isNull(outreachEnrichments.answeredAt)))
      .returning()
    if (!e) return undefined
    await tx
      .update(outreachCreators)
      .set({ email, emailStatus: email ? 'found' : 'not_found' })
      .where(eq(outreachCreators.id, e.creatorId))
    if (email)
      await tx
        .update(outreachRuns)
        .set({ emailsFound: sql`${outreachRuns.emailsFound} + 1` })
        .where(eq(outreachRuns.id, e.runId))
    return e
  })
  if (!done) return { runId: null, duplicate: true }
  const [pending] = await deps.db
    .select({ n: sql<number>`count(*)::int` })
    .from(outreachEnrichments)
    .where(and(eq(outreachEnrichments.runId, done.runId), isNull(outreachEnrichments.answeredAt)))
  return { runId: Number(pending?.n ?? 0) === 0 ? done.runId : null, duplicate: false }
}

/**
 * Schedules the emails of a run: the creators of its campaign that have an email, no email
 * yet (or one that waited: unpaid, expired) and no suppression, spread evenly over what is
 * left of today's window (`spreadSends`, at the mailbox's minimum gap). Creators that do not
 * fit stay uncontacted for the next run. Nothing is scheduled once today's window closed.
 * Answers how many emails were scheduled.
 */
export async function scheduleRun(deps: OutreachDeps, runId: string): Promise<number> {
  const [run] = await deps.db.select().from(outreachRuns).where(eq(outreachRuns.id, runId))
  if (!run || (run.status !== 'enriching' && run.status !== 'scheduled')) return 0
  const [c] = await deps.db.select().from(outreachCampaigns).where(eq(outreachCampaigns.id, run.campaignId))
  if (!c?.isActive) return 0
  const [mb] = await deps.db.select().from(outreachMailboxes).where(eq(outreachMailboxes.id, c.mailboxId))
  if (!mb) return 0
  const now = deps.clock.now()
  const window = windowOf(run.runDate, c.timezone, c.windowStartMin, c.windowEndMin)
  if (now.getTime() >= window.end.getTime()) return 0

  // Creators of this campaign with an email and nothing sent: new ones and carried-over ones.
  const candidates = await deps.db
    .select({ creator: outreachCreators, email: outreachEmails })
    .from(outreachCreators)
    .leftJoin(outreachEmails, eq(outreachEmails.creatorId, outreachCreators.id))
    .where(
      and(
        eq(outreachCreators.campaignId, c.id),
        eq(outreachCreators.emailStatus, 'found'),
        or(isNull(outreachEmails.id), inArray(outreachEmails.status, [...CARRY_OVER])),
      ),
    )
    .orderBy(asc(outreachCreators.createdAt))
  if (candidates.length === 0) {
    await markScheduled(deps, run.id)
    return 0
  }
  const addresses = [...new Set(candidates.map((x) => x.creator.email!))]
  const suppressed = new Set(
    (
      await deps.db
        .select({ email: outreachSuppressions.email })
        .from(outreachSuppressions)
        .where(
          and(
            eq(outreachSuppressions.workspaceId, c.workspaceId),
            inArray(outreachSuppressions.email, addresses),
          ),
        )
    ).map((s) => s.email),
  )
  // An address is emailed once per workspace, whichever creator it belongs to.
  const taken = new Set(
    (
      await deps.db
        .select({ email: outreachEmails.toEmail })
        .from(outreachEmails)
        .where(
          and(
            eq(outreachEmails.workspaceId, c.workspaceId),
            inArray(outreachEmails.toEmail, addresses),
            notInArray(outreachEmails.status, [...CARRY_OVER]),
          ),
        )
    ).map((s) => s.email),
  )
  const seen = new Set<string>()
  const todo = candidates.filter((x) => {
    const a = x.creator.email!
    if (suppressed.has(a) || taken.has(a) || seen.has(a)) return false
    seen.add(a)
    return true
  })
  const slots = spreadSends({ count: todo.length, now, window, minGapMs: mb.minGapSeconds * 1000 })
  let n = 0
  for (let i = 0; i < slots.length; i++) {
    const { creator, email } = todo[i]!
    const vars = {
      full_name: creator.fullName,
      handle: creator.handle,
      platform: creator.platform,
      followers: creator.followers,
    }
    const subject = renderTemplate(c.subject, vars)
    const bodyText = renderTemplate(c.body, vars)
    if (email) {
      // A creator who waited (no credit, or the window closed): the same row, so it can never
      // be sent twice; only rows still waiting are taken.
      const r = await deps.db
        .update(outreachEmails)
        .set({ runId: run.id, status: 'scheduled', scheduledAt: slots[i]!, subject, bodyText, error: null })
        .where(and(eq(outreachEmails.id, email.id), inArray(outreachEmails.status, [...CARRY_OVER])))
        .returning({ id: outreachEmails.id })
      n += r.length
    } else {
      const r = await deps.db
        .insert(outreachEmails)
        .values({
          workspaceId: c.workspaceId,
          campaignId: c.id,
          runId: run.id,
          creatorId: creator.id,
          mailboxId: mb.id,
          toEmail: creator.email!,
          subject,
          bodyText,
          messageId: newMessageId(deps.messageIdDomain),
          scheduledAt: slots[i]!,
          status: 'scheduled',
        })
        .onConflictDoNothing()
        .returning({ id: outreachEmails.id })
      n += r.length
    }
  }
  await markScheduled(deps, run.id)
  if (n > 0)
    deps.publish?.(c.workspaceId, { type: 'outreach_run', campaign_id: c.id, run_id: run.id, scheduled: n })
  return n
}

async function markScheduled(deps: OutreachDeps, runId: string) {
  await deps.db
    .update(outreachRuns)
    .set({ status: 'scheduled' })
    .where(and(eq(outreachRuns.id, runId), eq(outreachRuns.status, 'enriching')))
}

/**
 * Schedules every run whose enrichment is complete or has waited `enrichWaitMs`, and picks
 * up answers that arrived after its first scheduling (while its window is open).
 */
export async function scheduleReadyRuns(deps: OutreachDeps): Promise<number> {
  // Runs still enriching, and scheduled runs whose campaign has a creator with an email and
  // no email row yet (an answer that came after the first scheduling).
  const runs = await deps.db
    .select()
    .from(outreachRuns)
    .where(
      or(
        eq(outreachRuns.status, 'enriching'),
        and(
          eq(outreachRuns.status, 'scheduled'),
          sql`EXISTS (SELECT 1 FROM outreach_creators k WHERE k.campaign_id = ${outreachRuns.campaignId}
                AND k.email_status = 'found'
                AND NOT EXISTS (SELECT 1 FROM outreach_emails e WHERE e.creator_id = k.id))`,
        ),
      ),
    )
  let n = 0
  for (const r of runs) {
    if (r.status === 'enriching' && nowMs(deps.clock) - r.startedAt.getTime() < deps.enrichWaitMs) {
      const [p] = await deps.db
        .select({ n: sql<number>`count(*)::int` })
        .from(outreachEnrichments)
        .where(and(eq(outreachEnrichments.runId, r.id), isNull(outreachEnrichments.answeredAt)))
      if (Number(p?.n ?? 0) > 0) continue
    }
    n += await scheduleRun(deps, r.id)
  }
  return n
}

/**
 * Closes the runs whose window has ended: emails of the run still `scheduled` become
 * `expired` (their creators stay uncontacted and wait for the next run), pending enrichments
 * are left to arrive later, the run is `completed`. A campaign whose last run
 * (`run_count ≥ max_runs`) closed becomes inactive and its owners get "campaign completed"
 * with the totals.
 */
export async function finishRuns(deps: OutreachDeps): Promise<number> {
  const now = deps.clock.now()
  const open = await deps.db
    .select({ run: outreachRuns, campaign: outreachCampaigns })
    .from(outreachRuns)
    .innerJoin(outreachCampaigns, eq(outreachCampaigns.id, outreachRuns.campaignId))
    .where(inArray(outreachRuns.status, ['discovering', 'enriching', 'scheduled']))
  let n = 0
  for (const { run, campaign: c } of open) {
    const { end } = windowOf(run.runDate, c.timezone, c.windowStartMin, c.windowEndMin)
    if (now.getTime() < end.getTime()) continue
    await deps.db
      .update(outreachEmails)
      .set({ status: 'expired', error: 'the sending window closed; waits for the next run' })
      .where(and(eq(outreachEmails.runId, run.id), inArray(outreachEmails.status, ['scheduled', 'deferred'])))
    await deps.db
      .update(outreachRuns)
      .set({ status: 'completed', finishedAt: now })
      .where(eq(outreachRuns.id, run.id))
    n++
  }
  // Campaigns whose last run is over (completed, or failed) are complete.
  const done = await deps.db
    .select({ id: outreachCampaigns.id })
    .from(outreachCampaigns)
    .where(
      and(
        eq(outreachCampaigns.isActive, true),
        sql`${outreachCampaigns.runCount} >= CASE WHEN ${outreachCampaigns.recurring} THEN ${outreachCampaigns.maxRuns} ELSE 1 END`,
        sql`NOT EXISTS (SELECT 1 FROM outreach_runs r WHERE r.campaign_id = ${outreachCampaigns.id}
              AND r.status IN ('discovering', 'enriching', 'scheduled'))`,
      ),
    )
  for (const d of done) await completeCampaign(deps, d.id)
  return n
}

/** Deactivates a campaign after its last run and emails its owners the totals (once). */
async function completeCampaign(deps: OutreachDeps, campaignId: string): Promise<void> {
  const now = deps.clock.now()
  const [c] = await deps.db
    .update(outreachCampaigns)
    .set({ isActive: false, completedAt: now, updatedAt: now })
    .where(and(eq(outreachCampaigns.id, campaignId), eq(outreachCampaigns.isActive, true)))
    .returning()
  if (!c) return
  const [t] = await deps.db
    .select({
      runs: sql<number>`count(*)::int`,
      found: sql<number>`coalesce(sum(${outreachRuns.creatorsFound}), 0)::int`,
      emails: sql<number>`coalesce(sum(${outreachRuns.emailsFound}), 0)::int`,
      sent: sql<number>`coalesce(sum(${outreachRuns.emailsSent}), 0)::int`,
      credits: sql<number>`coalesce(sum(${outreachRuns.creditsUsed}), 0)::int`,
    })
    .from(outreachRuns)
    .where(eq(outreachRuns.campaignId, c.id))
  const [mb] = await deps.db.select().from(outreachMailboxes).where(eq(outreachMailboxes.id, c.mailboxId))
  const text = [
    `Your outreach campaign "${c.name}" has completed its ${c.maxRuns} run(s).`,
    '',
    `Runs: ${t?.runs ?? 0}`,
    `Creators found: ${t?.found ?? 0}`,
    `Emails found: ${t?.emails ?? 0}`,
    `Emails sent: ${t?.sent ?? 0}`,
    `Credits used by sends: ${t?.credits ?? 0}`,
    '',
    `${deps.publicUrl}/outreach/campaigns/${c.id}`,
  ].join('\n')
  await deps.notify(c.workspaceId, mb, `Campaign completed: ${c.name}`, text)
  deps.publish?.(c.workspaceId, { type: 'outreach_campaign', campaign_id: c.id, status: 'completed' })
}

/** Today's local date of a campaign (its time zone). */
export function campaignDay(c: Pick<CampaignRow, 'timezone'>, now: Date): string {
  return localDay(now, c.timezone)
}
