import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Campaign, Mailbox } from '@/hooks/api/outreach'
import {
  addKeywords,
  type CampaignFormValues,
  campaignFormPathOf,
  campaignFormSchema,
  campaignState,
  campaignToForm,
  clockIn,
  formToCampaignBody,
  formToMailboxBody,
  insertAt,
  isTimeZone,
  type MailboxFormValues,
  mailboxFormSchema,
  mailboxToForm,
  mergeFieldProblem,
  resetsText,
  runsText,
  unchargedText,
  usedPercent,
} from './outreach.lib'

const campaignValues = (over: Partial<CampaignFormValues> = {}): CampaignFormValues => ({
  ...campaignToForm(undefined, { timezone: 'Europe/Berlin', mailboxId: 'mb-1' }),
  name: 'Fitness DE',
  keywords: ['fitness'],
  footer_address: 'Example GmbH, Hauptstr. 1, 10115 Berlin',
  ...over,
})

const issues = <T>(
  schema: {
    safeParse(v: T): { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }
  },
  v: T,
) => {
  const r = schema.safeParse(v)
  return r.success
    ? {}
    : Object.fromEntries((r.error?.issues ?? []).map((i) => [i.path.join('.'), i.message]))
}

describe('campaign status and runs', () => {
  it.each([
    [{ is_active: true, completed_at: null }, 'active'],
    [{ is_active: false, completed_at: null }, 'paused'],
    [{ is_active: false, completed_at: '2026-01-01T00:00:00Z' }, 'completed'],
    [{ is_active: true, completed_at: '2026-01-01T00:00:00Z' }, 'completed'],
  ] as const)('%o → %s', (c, s) => expect(campaignState(c)).toBe(s))

  it('shows runs of the maximum, or one-time', () => {
    expect(runsText({ recurring: true, run_count: 3, max_runs: 30 })).toBe('3 / 30')
    expect(runsText({ recurring: false, run_count: 1, max_runs: 1 })).toBe('1 / 1 (one-time)')
    expect(runsText({ recurring: false, run_count: 0, max_runs: 30 })).toBe('0 / 1 (one-time)')
  })
})

describe('times in a zone', () => {
  it('prints the reset time in the credits zone', () => {
    // 2026-03-10T23:00Z is midnight in Berlin (CET, UTC+1).
    expect(resetsText({ resets_at: '2026-03-10T23:00:00.000Z', timezone: 'Europe/Berlin' })).toBe(
      'resets at 00:00 Europe/Berlin',
    )
    expect(resetsText({ resets_at: '2026-03-11T00:00:00.000Z', timezone: 'UTC' })).toBe('resets at 00:00 UTC')
  })

  it('clockIn is 24-hour in the named zone; bad input gives a dash', () => {
    expect(clockIn('2026-07-01T07:05:00Z', 'America/New_York')).toBe('03:05')
    expect(clockIn('2026-07-01T07:05:00Z', 'Not/AZone')).toBe('07:05')
    expect(clockIn(null, 'UTC')).toBe('—')
    expect(clockIn('nope', 'UTC')).toBe('—')
  })

  it('knows time zones', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true)
    expect(isTimeZone('UTC')).toBe(true)
    expect(isTimeZone('Mars/Olympus')).toBe(false)
    expect(isTimeZone('')).toBe(false)
  })

  it('usedPercent is clamped to 0..100', () => {
    expect(usedPercent({ used: 25, limit: 100 })).toBe(25)
    expect(usedPercent({ used: 150, limit: 100 })).toBe(100)
    expect(usedPercent({ used: 3, limit: 0 })).toBe(0)
  })
})

describe('merge fields', () => {
  it("accepts the known fields with or without a default (the server's check)", () => {
    expect(
      mergeFieldProblem(
        'Hi {{first_name|there}}, {{ handle }} on {{platform}} ({{followers}}) {{full_name}}',
      ),
    ).toBeNull()
  })

  it('names the first problem', () => {
    expect(mergeFieldProblem('Hi {{name}}')).toMatch(/^Unknown merge field "name"; use one of first_name/)
    expect(mergeFieldProblem('Hi {{first_name')).toMatch(/not closed/)
    expect(mergeFieldProblem('Hi }}')).toMatch(/without a matching/)
  })

  it('inserts at the caret, replacing the selection', () => {
    expect(insertAt('Hi !', 3, 3, '{{handle}}')).toEqual({ text: 'Hi {{handle}}!', caret: 13 })
    expect(insertAt('Hi XX!', 3, 5, '{{handle}}')).toEqual({ text: 'Hi {{handle}}!', caret: 13 })
    expect(insertAt('Hi', null, null, '!')).toEqual({ text: 'Hi!', caret: 3 })
  })

  it('insertAt keeps the text around the caret (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(), fc.nat(), fc.string(), (text, a, b, token) => {
        const r = insertAt(text, a, b, token)
        const s = Math.min(a, text.length)
        expect(r.text.startsWith(text.slice(0, s))).toBe(true)
        expect(r.text.slice(s, s + token.length)).toBe(token)
        expect(r.caret).toBe(s + token.length)
        expect(r.text.length).toBeLessThanOrEqual(text.length + token.length)
      }),
    )
  })
})

describe('keywords', () => {
  it('splits a pasted list, trims, skips duplicates case-insensitively', () => {
    expect(addKeywords(['Fitness'], ' yoga, fitness ,, home  workout\npilates')).toEqual([
      'Fitness',
      'yoga',
      'home workout',
      'pilates',
    ])
    expect(addKeywords([], '  ')).toEqual([])
  })
})

describe('campaign form', () => {
  it('defaults to the API defaults and the given zone and mailbox', () => {
    const v = campaignToForm(undefined, { timezone: 'Europe/Berlin', mailboxId: 'mb-1' })
    expect(v).toMatchObject({
      recurring: true,
      max_runs: '30',
      daily_quota: '50',
      window_start: '09:00',
      window_end: '17:00',
      timezone: 'Europe/Berlin',
      mailbox_id: 'mb-1',
      stop_on_auto_reply: false,
    })
    expect(issues(campaignFormSchema, v)).toMatchObject({
      name: expect.any(String),
      keywords: expect.any(String),
    })
  })

  it('builds the API body; empty criteria are left out; one-time sends max_runs 1', () => {
    const body = formToCampaignBody(
      campaignValues({ min_followers: '1000', language: 'EN', location: ' DE ', recurring: false }),
    )
    expect(body).toEqual({
      name: 'Fitness DE',
      criteria: {
        platform: 'instagram',
        keywords: ['fitness'],
        min_followers: 1000,
        location: 'DE',
        language: 'en',
      },
      recurring: false,
      max_runs: 1,
      mailbox_id: 'mb-1',
      timezone: 'Europe/Berlin',
      window_start: '09:00',
      window_end: '17:00',
      daily_quota: 50,
      subject: body.subject,
      body: body.body,
      footer_address: 'Example GmbH, Hauptstr. 1, 10115 Berlin',
      stop_on_auto_reply: false,
    })
  })

  it('round-trips a saved campaign', () => {
    const saved = {
      ...formToCampaignBody(campaignValues({ max_followers: '50000' })),
      id: 'c1',
      is_active: true,
      run_count: 1,
      last_run_at: null,
      completed_at: null,
      created_at: '2026-01-01T00:00:00Z',
      today: null,
    } as Campaign
    expect(formToCampaignBody(campaignToForm(saved))).toEqual(
      formToCampaignBody(campaignValues({ max_followers: '50000' })),
    )
  })

  it('flags problems under their fields as typed', () => {
    expect(issues(campaignFormSchema, campaignValues())).toEqual({})
    const bad = issues(
      campaignFormSchema,
      campaignValues({
        keywords: [],
        min_followers: '500',
        max_followers: '100',
        language: 'eng',
        max_runs: '0',
        daily_quota: 'x',
        mailbox_id: '',
        timezone: 'Mars/Base',
        window_start: '17:00',
        window_end: '09:00',
        subject: 'Hi {{name}}',
        body: 'Hello {{email}}',
        footer_address: '',
      }),
    )
    expect(Object.keys(bad).sort()).toEqual(
      [
        'keywords',
        'max_followers',
        'language',
        'max_runs',
        'daily_quota',
        'mailbox_id',
        'timezone',
        'window_end',
        'subject',
        'body',
        'footer_address',
      ].sort(),
    )
    expect(bad.footer_address).toMatch(/postal address/)
    expect(
      issues(campaignFormSchema, campaignValues({ window_start: '09:00', window_end: '09:20' })),
    ).toEqual({
      window_end: 'At least 30 minutes after the start',
    })
    expect(issues(campaignFormSchema, campaignValues({ max_runs: '366' }))).toHaveProperty('max_runs')
    // The end may be midnight (24:00), the start may not.
    expect(
      issues(campaignFormSchema, campaignValues({ window_start: '18:00', window_end: '24:00' })),
    ).toEqual({})
    expect(issues(campaignFormSchema, campaignValues({ window_start: '24:00' }))).toHaveProperty(
      'window_start',
    )
    expect(issues(campaignFormSchema, campaignValues({ window_start: '9:00' }))).toHaveProperty(
      'window_start',
    )
    // OnlyFans has no follower filter (the API refuses a range there).
    expect(
      Object.keys(issues(campaignFormSchema, campaignValues({ platform: 'onlyfans', min_followers: '10' }))),
    ).toEqual(['min_followers'])
    expect(issues(campaignFormSchema, campaignValues({ platform: 'onlyfans' }))).toEqual({})
    // One-time: max runs is not asked.
    expect(issues(campaignFormSchema, campaignValues({ recurring: false, max_runs: '' }))).toEqual({})
  })

  it.each([
    ['criteria.keywords', 'keywords'],
    ['criteria.keywords.2', 'keywords'],
    ['criteria.min_followers', 'min_followers'],
    ['criteria', 'keywords'],
    ['subject', 'subject'],
    ['window_end', 'window_end'],
    ['criteria.unknown', null],
    ['something', null],
  ])('API path %s → form field %s', (api, field) => expect(campaignFormPathOf(api)).toBe(field))
})

describe('mailbox form', () => {
  const saved: Mailbox = {
    id: 'mb',
    name: 'Sales',
    from_email: 'sales@example.com',
    from_name: 'Sales',
    smtp_host: 'smtp.example.com',
    smtp_port: 465,
    smtp_secure: true,
    smtp_user: 'sales',
    has_smtp_password: true,
    imap_host: null,
    imap_port: null,
    imap_secure: true,
    imap_user: null,
    has_imap_password: false,
    daily_cap: 100,
    min_gap_seconds: 90,
    status: 'ok',
    last_error: null,
    created_at: '2026-01-01T00:00:00Z',
  }

  it('leaves an untouched password out (unchanged), sends "" to clear, a new one as typed', () => {
    const v = mailboxToForm(saved)
    expect(formToMailboxBody(v)).not.toHaveProperty('smtp_password')
    expect(formToMailboxBody(v)).not.toHaveProperty('imap_password')
    expect(formToMailboxBody({ ...v, smtp_password_clear: true, smtp_password: 'typed' }).smtp_password).toBe(
      '',
    )
    expect(formToMailboxBody({ ...v, smtp_password: 's3cret' }).smtp_password).toBe('s3cret')
  })

  it('no IMAP host means no IMAP at all: nothing sent for a new mailbox, null on an edit', () => {
    const b = formToMailboxBody({ ...mailboxToForm(saved), imap_user: 'x', imap_password: 'p' })
    expect(b).toMatchObject({ imap_host: null, imap_port: null, imap_user: null })
    expect(b).not.toHaveProperty('imap_password')
    const created = formToMailboxBody({ ...mailboxToForm(), name: 'n', imap_user: 'x' }, true)
    expect(Object.keys(created).filter((k) => k.startsWith('imap_'))).toEqual([])
    const withImap = formToMailboxBody({
      ...mailboxToForm(saved),
      imap_host: 'imap.example.com',
      imap_port: '993',
    })
    expect(withImap).toMatchObject({ imap_host: 'imap.example.com', imap_port: 993 })
  })

  it('validates as typed', () => {
    const ok: MailboxFormValues = mailboxToForm(saved)
    expect(issues(mailboxFormSchema, ok)).toEqual({})
    const bad = issues(mailboxFormSchema, {
      ...ok,
      from_email: 'nope',
      smtp_port: '70000',
      imap_host: 'imap.example.com',
      imap_port: '',
      daily_cap: '0',
    })
    expect(Object.keys(bad).sort()).toEqual(['daily_cap', 'from_email', 'imap_port', 'smtp_port'])
  })
})

describe('words', () => {
  it('says why a reply was not charged', () => {
    expect(unchargedText('no_credit')).toBe('not charged — no credit left')
    expect(unchargedText('some_reason')).toBe('not charged — some reason')
    expect(unchargedText(null)).toBe('not charged')
  })
})
