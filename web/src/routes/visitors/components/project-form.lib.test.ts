import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Project } from '@/hooks/api/visitors'
import {
  formEstimate,
  formPathOf,
  formToBody,
  formToSettings,
  pickerCountries,
  type ProjectFormValues,
  projectFormSchema,
  projectToForm,
  speedRangeOf,
} from './project-form.lib'

const base = (over: Partial<ProjectFormValues> = {}): ProjectFormValues => ({
  ...projectToForm(),
  name: 'Shop',
  urls: [{ url: 'https://shop.example/', weight: '' }],
  ...over,
})

const issues = (v: ProjectFormValues) => {
  const r = projectFormSchema.safeParse(v)
  return r.success ? {} : Object.fromEntries(r.error.issues.map((i) => [i.path.join('.'), i.message]))
}

describe('formPathOf (API error path → form field)', () => {
  it.each([
    ['settings.urls.2', 'urls.2.url'],
    ['settings.urls.2.url', 'urls.2.url'],
    ['settings.urls.0.weight', 'urls.0.weight'],
    ['settings.urls', 'urls'],
    ['settings.geoTargets.0.cc', 'geoTargets.0.cc'],
    ['settings.geoTargets.1', 'geoTargets.1.cc'],
    ['settings.geoTargets.1.w', 'geoTargets.1.w'],
    ['settings.timeOnPage', 'timeOnPage'],
    ['settings.referrer', 'referrer'],
    ['settings', null],
    ['settings.unknown', null],
    ['daily_limit', 'daily_limit'],
    ['expires_at', 'expires_at'],
    ['body', null],
  ])('%s → %s', (api, form) => expect(formPathOf(api)).toBe(form))
})

describe('form ⇄ body', () => {
  it('sends unweighted URLs as strings, weighted as objects, countries upper-cased', () => {
    const v = base({
      urls: [
        { url: ' https://a.example/ ', weight: '' },
        { url: 'https://a.example/b', weight: '2.5' },
      ],
      geoTargets: [{ cc: 'de', w: '3' }],
      daily_limit: '1000',
      total_target: '',
    })
    const b = formToBody(v)
    expect(b.settings.urls).toEqual(['https://a.example/', { url: 'https://a.example/b', weight: 2.5 }])
    expect(b.settings.geoTargets).toEqual([{ cc: 'DE', w: 3 }])
    expect(b.daily_limit).toBe(1000)
    expect(b.total_target).toBe(0)
    expect(b.expires_at).toBeNull()
    expect(b.timezone).toBe('UTC')
  })

  it('keeps settings fields the form does not know (the UI state of others)', () => {
    const s = formToSettings(base(), { uiTheme: 'dark', urls: ['https://old.example/'], trafficSpeed: 1 })
    expect(s.uiTheme).toBe('dark')
    expect(s.urls).toEqual(['https://shop.example/'])
    expect(s.trafficSpeed).toBe(50)
  })

  it('round-trips a saved project', () => {
    const p = {
      name: 'X',
      plan_type: 'Pro',
      daily_limit: 500,
      total_target: 0,
      expires_at: '2030-01-02T03:04:00.000Z',
      timezone: 'Europe/Berlin',
      settings: {
        urls: ['https://x.example/', { url: 'https://x.example/y', weight: 2 }],
        trafficSpeed: 20,
        deviceSplit: 70,
        geoTargets: [{ cc: 'US', w: 1 }],
        timeOnPage: '1m 30s',
        referrer: 'https://x.example/',
        mode: 'browser',
      },
    } as unknown as Project
    const b = formToBody(projectToForm(p), p.settings)
    expect(b).toEqual({ ...p, expires_at: '2030-01-02T03:04:00.000Z' })
  })
})

describe('live validation (the server rules)', () => {
  it('accepts a minimal project', () => expect(issues(base())).toEqual({}))

  it('names the bad fields', () => {
    const e = issues(
      base({
        name: ' ',
        urls: [
          { url: 'ftp://x', weight: '' },
          { url: 'https://ok.example/', weight: '-1' },
        ],
        geoTargets: [
          { cc: 'XX', w: '1' },
          { cc: 'DE', w: '0' },
        ],
        timeOnPage: '10',
        daily_limit: '1.5',
        timezone: '+01:00',
      }),
    )
    expect(Object.keys(e).sort()).toEqual(
      [
        'name',
        'urls.0.url',
        'urls.1.weight',
        'geoTargets.0.cc',
        'geoTargets.1.w',
        'timeOnPage',
        'daily_limit',
        'timezone',
      ].sort(),
    )
  })

  it('refuses a country twice and a referrer that is not one of the URLs', () => {
    const e = issues(
      base({
        geoTargets: [
          { cc: 'DE', w: '1' },
          { cc: 'DE', w: '1' },
        ],
        referrer: 'https://elsewhere.example/',
      }),
    )
    expect(e['geoTargets.1.cc']).toMatch(/twice/)
    expect(e.referrer).toMatch(/own URLs/)
  })

  it('time on page: compound forms pass, over 30 minutes fails', () => {
    expect(issues(base({ timeOnPage: '1m 30s' }))).toEqual({})
    expect(issues(base({ timeOnPage: '31 minutes' })).timeOnPage).toMatch(/30 minutes/)
  })
})

describe('formEstimate', () => {
  const tiers = [
    { from: 0, rate: 0.5 },
    { from: 100, rate: 0.4 },
  ]
  it('speed 50 → 300.5/min, 432,720/day; money at the volume tier', () => {
    const e = formEstimate({ trafficSpeed: 50, daily_limit: '' }, tiers)
    expect(e.visitsPerMinute).toBe(300.5)
    expect(e.visitsPerDay).toBe(432_720)
    expect(e.creditsPerDay).toBe(432_720)
    // 432,720 × 40 / 1000 = 17,308.8 → 17,309 cents ≥ 10,000 → the 0.40 tier.
    expect(e.rateMinorPer1000).toBe(40)
    expect(e.costMinorPerDay).toBe(17_309)
  })
  it("uses the server's speed range (GET /visitors/config), the default until it is loaded", () => {
    const range = speedRangeOf({ min_per_minute: 10, max_per_minute: 6010 })
    expect(range).toEqual({ minPerMinute: 10, maxPerMinute: 6010 })
    // 10 + (6010 − 10) × 0.5 = 3010/min → 4,334,400/day.
    const e = formEstimate({ trafficSpeed: 50, daily_limit: '' }, tiers, range)
    expect(e.visitsPerMinute).toBe(3010)
    expect(e.visitsPerDay).toBe(4_334_400)
    expect(speedRangeOf(null)).toEqual({ minPerMinute: 1, maxPerMinute: 600 })
    expect(
      formEstimate({ trafficSpeed: 50, daily_limit: '' }, tiers, speedRangeOf(undefined)).visitsPerMinute,
    ).toBe(300.5)
  })
  it('the daily limit caps it; no tiers → no money', () => {
    const e = formEstimate({ trafficSpeed: 100, daily_limit: '1000' }, null)
    expect(e.visitsPerDay).toBe(1000)
    expect(e.costMinorPerDay).toBeNull()
  })
  it('never more than the limit, never negative (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        (speed, limit) => {
          const e = formEstimate({ trafficSpeed: speed, daily_limit: String(limit) }, tiers)
          expect(e.visitsPerDay).toBeGreaterThanOrEqual(0)
          if (limit > 0) expect(e.visitsPerDay).toBeLessThanOrEqual(limit)
          expect(e.costMinorPerDay).toBeGreaterThanOrEqual(0)
        },
      ),
    )
  })
})

describe('pickerCountries', () => {
  it('egress known: those plus the chosen ones; unknown (404): every ISO code', () => {
    expect(pickerCountries(['US', 'DE'], ['FR']).sort()).toEqual(['DE', 'FR', 'US'])
    expect(pickerCountries(null, [])).toHaveLength(249)
  })
})
