import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  estimateDaily,
  ISO_COUNTRIES,
  isIanaTimeZone,
  jsonDepth,
  parseEngineSettings,
  parseTimeOnPage,
  SETTINGS_MAX_BYTES,
  settingsBoundsProblem,
  visitsPerMinute,
} from './visitors.settings.ts'
import { storableJson, validEngine } from './test-fixtures.ts'

const TIERS = [
  { fromMinor: 0, rateMinorPer1000: 58 },
  { fromMinor: 12_900, rateMinorPer1000: 43 },
  { fromMinor: 39_900, rateMinorPer1000: 40 },
]

describe('visitsPerMinute (speed → arrival rate, linear)', () => {
  it.each([
    [0, undefined, 1],
    [100, undefined, 600],
    [50, undefined, 300.5],
    [10, { minPerMinute: 10, maxPerMinute: 110 }, 20],
    [-5, undefined, 1],
    [150, undefined, 600],
  ])('speed %s range %o → %s/min', (speed, range, want) => {
    expect(visitsPerMinute(speed, range)).toBeCloseTo(want, 9)
  })

  it('is monotone in the speed', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a]
          expect(visitsPerMinute(lo)).toBeLessThanOrEqual(visitsPerMinute(hi))
        },
      ),
    )
  })
})

describe('parseTimeOnPage', () => {
  it.each([
    ['3 minutes', 180],
    ['45 seconds', 45],
    ['1m 30s', 90],
    ['1m30s', 90],
    ['1.5 min', 90],
    ['3 Minutes', 180],
    ['0s', 0],
    ['30 min', 1800],
    ['0.5h', 1800],
    ['500ms', 0.5],
    ['2 mins, 5 secs', 125],
  ])('%j → %s s', (text, seconds) => {
    expect(parseTimeOnPage(text)).toEqual({ ok: true, seconds })
  })

  it.each([
    ['', 'write a duration'],
    ['10', 'write a duration'],
    ['-5s', 'write a duration'],
    ['3 minutes foo', 'write a duration'],
    ['running: 1hour', 'write a duration'],
    ['3 fortnights', 'unknown unit'],
    ['2 days', 'unknown unit'],
    ['31 minutes', 'at most 30 minutes'],
    ['1 hour', 'at most 30 minutes'],
    ['1'.repeat(101), 'too long'],
  ])('%j is refused (%s)', (text, why) => {
    const r = parseTimeOnPage(text)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.message).toContain(why)
  })

  it('never throws and stays within 0..1800 s', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        const r = parseTimeOnPage(s)
        if (r.ok) expect(r.seconds).toBeGreaterThanOrEqual(0)
        if (r.ok) expect(r.seconds).toBeLessThanOrEqual(1800)
      }),
    )
  })
})

describe('ISO_COUNTRIES and time zones', () => {
  it('holds the 249 assigned codes, each a region the runtime names', () => {
    expect(ISO_COUNTRIES.size).toBe(249)
    const names = new Intl.DisplayNames(['en'], { type: 'region' })
    for (const cc of ISO_COUNTRIES) expect(names.of(cc)).not.toBe(cc)
  })

  it.each([
    ['UTC', true],
    ['Europe/Berlin', true],
    ['America/Argentina/Buenos_Aires', true],
    ['Etc/GMT+5', true],
    ['Mars/Olympus', false],
    ['+01:00', false],
    ['', false],
  ])('%j is an IANA zone: %s', (tz, ok) => {
    expect(isIanaTimeZone(tz)).toBe(ok)
  })
})

describe('parseEngineSettings', () => {
  it('applies defaults and normalizes URL entries', () => {
    const r = parseEngineSettings({ urls: ['https://a.example/', { url: 'http://b.example/x', weight: 3 }] })
    expect(r).toEqual({
      ok: true,
      settings: {
        urls: [
          { url: 'https://a.example/', weight: 1 },
          { url: 'http://b.example/x', weight: 3 },
        ],
        trafficSpeed: 50,
        deviceSplit: 50,
        geoTargets: [],
        timeOnPageSeconds: 30,
        referrer: null,
        mode: 'http',
      },
    })
  })

  it('keeps unknown fields out of the engine view but accepts them', () => {
    const r = parseEngineSettings({ urls: [{ url: 'https://a.example/', note: 'x' }], ui: { tab: 2 } })
    expect(r.ok).toBe(true)
  })

  it.each([
    [{}, 'settings.urls'],
    [{ urls: [] }, 'settings.urls'],
    [{ urls: ['ftp://a.example/'] }, 'settings.urls.0.url'],
    [{ urls: ['javascript:alert(1)'] }, 'settings.urls.0.url'],
    [{ urls: [{ url: 'https://a.example/', weight: 0 }] }, 'settings.urls.0.weight'],
    [{ urls: ['https://a.example/'], trafficSpeed: 101 }, 'settings.trafficSpeed'],
    [{ urls: ['https://a.example/'], trafficSpeed: '50' }, 'settings.trafficSpeed'],
    [{ urls: ['https://a.example/'], deviceSplit: -1 }, 'settings.deviceSplit'],
    [{ urls: ['https://a.example/'], geoTargets: [{ cc: 'de', w: 1 }] }, 'settings.geoTargets.0.cc'],
    [
      {
        urls: ['https://a.example/'],
        geoTargets: [
          { cc: 'DE', w: 1 },
          { cc: 'XX', w: 1 },
        ],
      },
      'settings.geoTargets.1.cc',
    ],
    [{ urls: ['https://a.example/'], geoTargets: [{ cc: 'DE', w: 0 }] }, 'settings.geoTargets.0.w'],
    [{ urls: ['https://a.example/'], geoTargets: [{ cc: 'DE', w: -2 }] }, 'settings.geoTargets.0.w'],
    [
      {
        urls: ['https://a.example/'],
        geoTargets: [
          { cc: 'DE', w: 1 },
          { cc: 'DE', w: 2 },
        ],
      },
      'settings.geoTargets.1.cc',
    ],
    [{ urls: ['https://a.example/'], timeOnPage: 'forever' }, 'settings.timeOnPage'],
    [{ urls: ['https://a.example/'], timeOnPage: 180 }, 'settings.timeOnPage'],
    [{ urls: ['https://a.example/'], referrer: 'https://google.com/' }, 'settings.referrer'],
    [{ urls: ['https://a.example/'], mode: 'bot' }, 'settings.mode'],
  ])('%j → error at %s', (raw, path) => {
    const r = parseEngineSettings(raw)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.details.map((d) => d.path)).toContain(path)
  })

  it('accepts countries in browser mode (its visits leave through the egress too)', () => {
    const r = parseEngineSettings({
      urls: ['https://a.example/'],
      mode: 'browser',
      geoTargets: [{ cc: 'DE', w: 1 }],
    })
    expect(r.ok && r.settings.geoTargets).toEqual([{ cc: 'DE', w: 1 }])
  })

  it("accepts the project's own URL as referrer", () => {
    const r = parseEngineSettings({
      urls: ['https://a.example/', 'https://a.example/b'],
      referrer: 'https://a.example/',
    })
    expect(r.ok && r.settings.referrer).toBe('https://a.example/')
  })
})

describe('bounds', () => {
  it.each([
    [1, 0],
    [{}, 1],
    [{ a: [1] }, 2],
    [[[[[]]]], 4],
  ])('jsonDepth(%j) = %s', (v, d) => {
    expect(jsonDepth(v)).toBe(d)
  })

  it('refuses deeper than 10 levels (400) and more than 64 KiB (413)', () => {
    let deep: unknown = 1
    for (let i = 0; i < 10; i++) deep = { d: deep }
    expect(settingsBoundsProblem(deep)).toBeUndefined()
    expect(settingsBoundsProblem({ d: deep })?.status).toBe(400)
    expect(settingsBoundsProblem({ s: 'x'.repeat(SETTINGS_MAX_BYTES - 10) })).toBeUndefined()
    expect(settingsBoundsProblem({ s: 'x'.repeat(SETTINGS_MAX_BYTES) })?.status).toBe(413)
    // Bytes, not characters: 3-byte characters count thrice.
    expect(settingsBoundsProblem({ s: '€'.repeat(SETTINGS_MAX_BYTES / 3) })?.status).toBe(413)
  })
})

describe('estimateDaily', () => {
  it.each([
    // speed, daily limit → visits/day, rate, cost (cents)
    [0, 0, 1440, 58, 84], // 1/min × 1440 = 1440 visits at 0.58 → 83.52 → 84
    // 600/min: 864k visits; at 0.40 that is €345.60 < €399 (not that tier); at 0.43 €371.52 ≥ €129
    [100, 0, 864_000, 43, 37_152],
    [100, 1000, 1000, 58, 58],
  ])('speed %s limit %s → %s visits/day at %s', (speed, limit, visits, rate, cost) => {
    const e = estimateDaily({ trafficSpeed: speed, dailyLimit: limit }, TIERS)
    expect(e.visitsPerDay).toBe(visits)
    expect(e.creditsPerDay).toBe(visits)
    expect({ rate: e.rateMinorPer1000, cost: e.costMinorPerDay }).toEqual({ rate, cost })
  })
})

describe('hybrid settings (property)', () => {
  it('unknown fields never change validity or the engine view, and survive JSON', () => {
    fc.assert(
      fc.property(storableJson, validEngine, (extra, engine) => {
        const merged = { ...(extra as object), ...engine }
        const alone = parseEngineSettings(engine)
        const r = parseEngineSettings(merged)
        expect(r).toEqual(alone)
        expect(r.ok).toBe(true)
        expect(settingsBoundsProblem(merged)).toBeUndefined()
        expect(JSON.parse(JSON.stringify(merged))).toEqual(merged)
      }),
    )
  })
})
