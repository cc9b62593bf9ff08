import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { preview } from './outreach.template.core.ts'
import {
  campaignCreate,
  campaignOut,
  campaignPatch,
  classificationBody,
  creditsHistoryQuery,
  criteriaSchema,
  emailListQuery,
  emailParams,
  hhmmToMinutes,
  isIanaZoneName,
  mailboxCreate,
  mailboxOut,
  mailboxPatch,
  maxRunsIssue,
  minutesToHhmm,
  previewBody,
  previewOut,
  replyListQuery,
  resolveMaxRuns,
  settingsPut,
  smtpSecureDefault,
  suppressionAdd,
  suppressionImport,
  templateIssues,
  windowIssue,
} from './outreach.schema.ts'

/** The issues of a failed parse as `path: message` lines (paths dotted like the API's details). */
function issues(schema: z.ZodType, value: unknown): string[] {
  const r = schema.safeParse(value)
  if (r.success) return []
  return r.error.issues.flatMap((i) => {
    const at = i.path.map(String).join('.')
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => `${at ? `${at}.` : ''}${k}: unknown field`)
    return [`${at}: ${i.message}`]
  })
}
const paths = (schema: z.ZodType, value: unknown) => issues(schema, value).map((s) => s.split(':')[0])

const MAILBOX = '22222222-2222-4222-8222-222222222222'
const validCampaign = {
  name: 'Fitness June',
  criteria: { platform: 'instagram', keywords: ['fitness', 'yoga'] },
  mailbox_id: MAILBOX,
  subject: 'Hi {{first_name|there}}',
  body: 'Loved your {{platform}} ({{followers}} followers)!',
  footer_address: '1 Main St, Springfield, US',
}

describe('hhmm helpers', () => {
  it.each([
    ['00:00', 0],
    ['09:00', 540],
    ['17:30', 1050],
    ['23:59', 1439],
    ['24:00', 1440],
  ])('%s ↔ %i', (s, m) => {
    expect(hhmmToMinutes(s)).toBe(m)
    expect(minutesToHhmm(m)).toBe(s)
  })
  it.each(['9:00', '24:01', '25:00', '12:60', '12:00:00', '', 'noon'])('refuses %j', (s) => {
    expect(() => hhmmToMinutes(s)).toThrow(RangeError)
  })
  it('refuses minutes out of range', () => {
    expect(() => minutesToHhmm(-1)).toThrow(RangeError)
    expect(() => minutesToHhmm(1441)).toThrow(RangeError)
    expect(() => minutesToHhmm(1.5)).toThrow(RangeError)
  })
  it('round-trips every minute', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1440 }), (m) => hhmmToMinutes(minutesToHhmm(m)) === m))
  })
  it('window and max-runs rules', () => {
    expect(windowIssue(540, 1020)).toBeNull()
    expect(windowIssue(540, 570)).toBeNull()
    expect(windowIssue(540, 569)).toMatch(/at least 30 minutes/)
    expect(windowIssue(540, 540)).toMatch(/after window_start/)
    expect(maxRunsIssue(false, 5)).toMatch(/runs once/)
    expect(maxRunsIssue(false, 1)).toBeNull()
    expect(maxRunsIssue(false, undefined)).toBeNull()
    expect(resolveMaxRuns(true, undefined)).toBe(30)
    expect(resolveMaxRuns(true, 7)).toBe(7)
    expect(resolveMaxRuns(false, undefined)).toBe(1)
    expect(smtpSecureDefault(465)).toBe(true)
    expect(smtpSecureDefault(587)).toBe(false)
  })
  it.each([
    ['UTC', true],
    ['Europe/Berlin', true],
    ['America/Argentina/Buenos_Aires', true],
    ['Etc/GMT+5', true],
    ['+01:00', false],
    ['UTC+1', false],
    ['Mars/Olympus', false],
    ['', false],
  ])('isIanaZoneName(%j) = %s', (tz, ok) => {
    expect(isIanaZoneName(tz)).toBe(ok)
  })
})

describe('campaignCreate', () => {
  it('applies the contract defaults', () => {
    const r = campaignCreate.parse(validCampaign)
    expect(r).toEqual({
      ...validCampaign,
      criteria: { platform: 'instagram', keywords: ['fitness', 'yoga'] },
      recurring: true,
      timezone: 'UTC',
      window_start: '09:00',
      window_end: '17:00',
      daily_quota: 50,
      stop_on_auto_reply: false,
    })
    expect(r.max_runs).toBeUndefined()
  })

  it('normalises language and trims text', () => {
    const r = campaignCreate.parse({
      ...validCampaign,
      name: '  Spaced  ',
      criteria: { ...validCampaign.criteria, language: ' EN ', location: ' US ', keywords: [' fit '] },
    })
    expect(r.name).toBe('Spaced')
    expect(r.criteria).toMatchObject({ language: 'en', location: 'US', keywords: ['fit'] })
  })

  it.each<[string, Record<string, unknown>, string[]]>([
    ['unknown top-level key', { extra: 1 }, ['extra: unknown field']],
    [
      'unknown criteria key',
      { criteria: { ...validCampaign.criteria, niche: 'x' } },
      ['criteria.niche: unknown field'],
    ],
    ['bad platform', { criteria: { platform: 'myspace', keywords: ['a'] } }, ['criteria.platform']],
    [
      'no keywords',
      { criteria: { platform: 'tiktok', keywords: [] } },
      ['criteria.keywords: give at least one keyword'],
    ],
    [
      '21 keywords',
      { criteria: { platform: 'tiktok', keywords: Array.from({ length: 21 }, (_, i) => `k${i}`) } },
      ['criteria.keywords: at most 20 keywords'],
    ],
    [
      'blank keyword',
      { criteria: { platform: 'tiktok', keywords: ['ok', '  '] } },
      ['criteria.keywords.1: must not be empty'],
    ],
    [
      'min > max followers',
      { criteria: { platform: 'tiktok', keywords: ['a'], min_followers: 10_000, max_followers: 5_000 } },
      ['criteria.max_followers: must be at least min_followers'],
    ],
    [
      'negative followers',
      { criteria: { platform: 'tiktok', keywords: ['a'], min_followers: -1 } },
      ['criteria.min_followers'],
    ],
    [
      'fractional followers',
      { criteria: { platform: 'tiktok', keywords: ['a'], max_followers: 1.5 } },
      ['criteria.max_followers'],
    ],
    [
      'bad language',
      { criteria: { platform: 'tiktok', keywords: ['a'], language: 'eng' } },
      ['criteria.language: must be an ISO 639-1 language code such as en'],
    ],
    [
      'window end before start',
      { window_start: '17:00', window_end: '09:00' },
      ['window_end: must be after window_start'],
    ],
    [
      'window shorter than 30 minutes',
      { window_start: '09:00', window_end: '09:29' },
      ['window_end: must be at least 30 minutes after window_start'],
    ],
    [
      'window against the default end',
      { window_start: '16:45' },
      ['window_end: must be at least 30 minutes after window_start'],
    ],
    ['bad time', { window_start: '9:00' }, ['window_start: must be a time HH:MM (00:00–24:00)']],
    [
      'offset time zone',
      { timezone: '+02:00' },
      ['timezone: must be an IANA time zone such as Europe/Berlin or UTC'],
    ],
    ['unknown merge field in subject', { subject: 'Hi {{name}}' }, ['subject']],
    ['unbalanced braces in body', { body: 'Hi {{first_name' }, ['body']],
    ['subject on two lines', { subject: 'a\nb' }, ['subject: must be a single line']],
    [
      'empty footer address',
      { footer_address: '   ' },
      ["footer_address: the sender's postal address is required (CAN-SPAM)"],
    ],
    [
      'one-time campaign with 5 runs',
      { recurring: false, max_runs: 5 },
      ['max_runs: a one-time campaign (recurring: false) runs once'],
    ],
    ['max_runs 0', { max_runs: 0 }, ['max_runs']],
    ['daily quota 0', { daily_quota: 0 }, ['daily_quota']],
    ['bad mailbox id', { mailbox_id: 'nope' }, ['mailbox_id']],
  ])('%s', (_name, patch, expected) => {
    const got = issues(campaignCreate, { ...validCampaign, ...patch })
    expect(got).toHaveLength(expected.length)
    expected.forEach((e, i) => {
      if (e.includes(':')) expect(got[i]).toBe(e)
      else expect(got[i]!.split(':')[0]).toBe(e)
    })
  })

  it('reports cross-field and field errors together', () => {
    expect(
      paths(campaignCreate, { ...validCampaign, name: '', window_start: '12:00', window_end: '11:00' }),
    ).toEqual(['name', 'window_end'])
  })

  it('names every missing required field', () => {
    expect(paths(campaignCreate, {}).sort()).toEqual(
      ['body', 'criteria', 'footer_address', 'mailbox_id', 'name', 'subject'].sort(),
    )
  })

  it('a one-time campaign with max_runs 1 or none is fine', () => {
    expect(campaignCreate.safeParse({ ...validCampaign, recurring: false }).success).toBe(true)
    expect(campaignCreate.safeParse({ ...validCampaign, recurring: false, max_runs: 1 }).success).toBe(true)
  })

  it('24:00 is a valid window end', () => {
    expect(
      campaignCreate.safeParse({ ...validCampaign, window_start: '18:00', window_end: '24:00' }).success,
    ).toBe(true)
  })
})

describe('campaignPatch', () => {
  it.each<[Record<string, unknown>, string[]]>([
    [{}, []],
    [{ is_active: false }, []],
    [{ window_end: '09:10' }, []], // checked by the route against the stored start
    [{ window_start: '10:00', window_end: '10:10' }, ['window_end']],
    [{ recurring: false, max_runs: 3 }, ['max_runs']],
    [{ subject: '{{oops' }, ['subject']],
    [{ criteria: { platform: 'tiktok' } }, ['criteria.keywords']],
    [{ run_count: 3 }, ['run_count']],
    [{ is_active: 'yes' }, ['is_active']],
  ])('%j → %j', (body, expected) => {
    expect(paths(campaignPatch, body)).toEqual(expected)
  })
})

describe('mailboxes', () => {
  const valid = {
    name: 'Sales',
    from_email: 'sales@example.com',
    smtp_host: 'smtp.example.com',
    smtp_port: 587,
  }
  it('applies defaults and accepts IP hosts', () => {
    expect(mailboxCreate.parse(valid)).toEqual({ ...valid, daily_cap: 200, min_gap_seconds: 60 })
    expect(mailboxCreate.safeParse({ ...valid, smtp_host: '127.0.0.1' }).success).toBe(true)
    expect(mailboxCreate.safeParse({ ...valid, smtp_host: '::1' }).success).toBe(true)
  })
  it.each<[Record<string, unknown>, string[]]>([
    [{ smtp_port: 0 }, ['smtp_port']],
    [{ smtp_port: 65_536 }, ['smtp_port']],
    [{ smtp_port: 25.5 }, ['smtp_port']],
    [{ smtp_host: 'smtp example.com' }, ['smtp_host']],
    [{ smtp_host: '' }, ['smtp_host']],
    [{ from_email: 'not-an-email' }, ['from_email']],
    [{ from_name: 'Evil\r\nBcc: x@y.z' }, ['from_name']],
    [{ imap_port: 993 }, ['imap_host']],
    [{ imap_host: 'imap.example.com', imap_port: 70_000 }, ['imap_port']],
    [{ daily_cap: 0 }, ['daily_cap']],
    [{ min_gap_seconds: -1 }, ['min_gap_seconds']],
    [{ smtp_password_sealed: 'x' }, ['smtp_password_sealed']],
  ])('%j → %j', (patch, expected) => {
    expect(paths(mailboxCreate, { ...valid, ...patch })).toEqual(expected)
  })
  it('patch: any subset, "" clears a password, null turns IMAP off', () => {
    expect(mailboxPatch.parse({ smtp_password: '' })).toEqual({ smtp_password: '' })
    expect(mailboxPatch.parse({ imap_host: null, imap_port: null })).toEqual({
      imap_host: null,
      imap_port: null,
    })
    expect(paths(mailboxPatch, { smtp_port: 'x' })).toEqual(['smtp_port'])
    expect(paths(mailboxPatch, { status: 'ok' })).toEqual(['status'])
  })
  it('the response refuses a leaked password field', () => {
    const out = {
      id: MAILBOX,
      name: 'Sales',
      from_email: 'sales@example.com',
      from_name: '',
      smtp_host: 'smtp.example.com',
      smtp_port: 587,
      smtp_secure: false,
      smtp_user: '',
      has_smtp_password: true,
      imap_host: null,
      imap_port: null,
      imap_secure: true,
      imap_user: null,
      has_imap_password: false,
      daily_cap: 200,
      min_gap_seconds: 60,
      status: 'ok',
      last_error: null,
      created_at: '2026-06-01T00:00:00.000Z',
    }
    expect(mailboxOut.safeParse(out).success).toBe(true)
    expect(paths(mailboxOut, { ...out, smtp_password_sealed: 'v1:…' })).toEqual(['smtp_password_sealed'])
  })
})

describe('other bodies and queries', () => {
  it.each<[string, z.ZodType, unknown, string[]]>([
    ['settings: plan and zone', settingsPut, { plan: 'pro', timezone: 'Asia/Tokyo' }, []],
    ['settings: bad zone', settingsPut, { timezone: 'Tokyo' }, ['timezone']],
    ['settings: unknown key', settingsPut, { limit: 5 }, ['limit']],
    ['history: days from the query string', creditsHistoryQuery, { days: '30' }, []],
    ['history: days 0', creditsHistoryQuery, { days: '0' }, ['days']],
    ['history: days 91', creditsHistoryQuery, { days: '91' }, ['days']],
    ['emails: a real date', emailListQuery, { date: '2026-02-28' }, []],
    ['emails: a date that does not exist', emailListQuery, { date: '2026-02-30' }, ['date']],
    ['emails: unknown query key', emailListQuery, { page: '2' }, ['page']],
    ['replies: filter', replyListQuery, { campaign_id: MAILBOX, kind: 'auto_reply' }, []],
    ['replies: bad kind', replyListQuery, { kind: 'spam' }, ['kind']],
    ['classification', classificationBody, { kind: 'bounce' }, []],
    ['classification: bad kind', classificationBody, { kind: 'other' }, ['kind']],
    ['suppression', suppressionAdd, { email: ' Jane@Example.COM ', detail: 'asked' }, []],
    ['suppression: not an email', suppressionAdd, { email: 'jane' }, ['email']],
    ['suppression: unknown key', suppressionAdd, { email: 'a@b.co', reason: 'x' }, ['reason']],
    ['import', suppressionImport, { csv: 'email\na@b.co\n' }, []],
    ['import: csv missing', suppressionImport, {}, ['csv']],
    ['preview', previewBody, { subject: 'Hi {{first_name|there}}', body: 'x' }, []],
    [
      'preview: unknown field',
      previewBody,
      { subject: 'Hi {{nick}}', body: '{{handle}} {{x}}' },
      ['subject', 'body'],
    ],
    ['email param', emailParams, { email: 'A@B.co' }, []],
  ])('%s', (_name, schema, value, expected) => {
    expect(paths(schema, value)).toEqual(expected)
  })

  it('lower-cases suppressed addresses and coerces days', () => {
    expect(suppressionAdd.parse({ email: ' Jane@Example.COM ' }).email).toBe('jane@example.com')
    expect(creditsHistoryQuery.parse({})).toEqual({ days: 14 })
    expect(
      criteriaSchema.parse({ platform: 'youtube', keywords: ['a'], min_followers: 5, max_followers: 5 }),
    ).toEqual({
      platform: 'youtube',
      keywords: ['a'],
      min_followers: 5,
      max_followers: 5,
    })
  })

  it('templateIssues gives API details', () => {
    expect(templateIssues({ subject: 'ok', body: '{{a}} }}' })).toEqual([
      { path: 'body', message: expect.stringMatching(/unknown merge field "a"/) },
      { path: 'body', message: expect.stringMatching(/without a matching/) },
    ])
    expect(templateIssues({})).toEqual([])
  })

  it('campaignOut accepts a full campaign and refuses extra keys', () => {
    const c = {
      id: MAILBOX,
      name: 'n',
      criteria: { platform: 'tiktok', keywords: ['a'] },
      recurring: true,
      max_runs: 30,
      run_count: 1,
      is_active: true,
      mailbox_id: MAILBOX,
      timezone: 'UTC',
      window_start: '09:00',
      window_end: '17:00',
      daily_quota: 50,
      subject: 's',
      body: 'b',
      footer_address: 'a',
      stop_on_auto_reply: false,
      last_run_at: null,
      completed_at: null,
      created_at: '2026-06-01T00:00:00.000Z',
      today: null,
    }
    expect(campaignOut.safeParse(c).success).toBe(true)
    expect(paths(campaignOut, { ...c, workspace_id: MAILBOX })).toEqual(['workspace_id'])
  })
})

describe('responses built by the cores encode', () => {
  it('preview() fits previewOut (the serializer encodes strictly)', () => {
    const p = preview({
      subject: 'Hi {{first_name|there}}',
      body: '{{followers}} fans',
      footer_address: '1 Main St',
    })
    expect(z.safeEncode(previewOut, p).success).toBe(true)
  })
})
