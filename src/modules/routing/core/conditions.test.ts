import { describe, expect, it } from 'vitest'
import type { Condition, Conditions } from '../routing.schema.ts'
import type { RequestContext } from '../routing.types.ts'
import { compileCondition, compileConditions, explainMismatch, matchConditions } from './conditions.ts'
import { env, fakeState, NOW, uid } from './test-fixtures.ts'

type Case = [label: string, rule: Condition, request: Partial<RequestContext>, expected: boolean]

const cases: Case[] = [
  ['country is hit', { type: 'country', op: 'is', values: ['US', 'CA'] }, { country: 'US' }, true],
  ['country is miss', { type: 'country', op: 'is', values: ['US', 'CA'] }, { country: 'DE' }, false],
  ['country is lower-case config', { type: 'country', op: 'is', values: ['us'] }, { country: 'US' }, true],
  ['country is_not hit', { type: 'country', op: 'is_not', values: ['US'] }, { country: 'US' }, false],
  ['country is_not miss', { type: 'country', op: 'is_not', values: ['US'] }, { country: 'DE' }, true],
  ['country unknown', { type: 'country', op: 'is', values: ['US'] }, { country: '' }, false],
  ['language is', { type: 'language', op: 'is', values: ['en', 'de'] }, { language: 'de' }, true],
  [
    'language config with region',
    { type: 'language', op: 'is', values: ['pt-BR'] },
    { language: 'pt' },
    true,
  ],
  ['language is_not', { type: 'language', op: 'is_not', values: ['en'] }, { language: 'en' }, false],
  ['device is', { type: 'device', op: 'is', values: ['mobile', 'tablet'] }, { device: 'tablet' }, true],
  ['device is miss', { type: 'device', op: 'is', values: ['mobile'] }, { device: 'desktop' }, false],
  ['device is_not', { type: 'device', op: 'is_not', values: ['desktop'] }, { device: 'mobile' }, true],
  ['os case-insensitive', { type: 'os', op: 'is', values: ['ios'] }, { os: 'iOS' }, true],
  ['os miss', { type: 'os', op: 'is', values: ['Android'] }, { os: 'iOS' }, false],
  ['os is_not', { type: 'os', op: 'is_not', values: ['Android'] }, { os: 'iOS' }, true],
  [
    'browser case-insensitive',
    { type: 'browser', op: 'is', values: ['CHROME'] },
    { browser: 'Chrome' },
    true,
  ],
  ['browser is_not', { type: 'browser', op: 'is_not', values: ['Chrome'] }, { browser: 'chrome' }, false],
  ['ip exact v4', { type: 'ip', op: 'is', values: ['203.0.113.7'] }, { ip: '203.0.113.7' }, true],
  ['ip v4 cidr', { type: 'ip', op: 'is', values: ['10.0.0.0/8'] }, { ip: '10.20.30.40' }, true],
  ['ip v4 cidr miss', { type: 'ip', op: 'is', values: ['10.0.0.0/8'] }, { ip: '11.0.0.1' }, false],
  ['ip v4 mapped request', { type: 'ip', op: 'is', values: ['10.0.0.0/8'] }, { ip: '::ffff:10.1.2.3' }, true],
  ['ip v4 mapped rule', { type: 'ip', op: 'is', values: ['::ffff:10.0.0.0/104'] }, { ip: '10.9.9.9' }, true],
  ['ip v6 cidr', { type: 'ip', op: 'is', values: ['2001:db8::/32'] }, { ip: '2001:db8:abcd::1' }, true],
  ['ip v6 cidr miss', { type: 'ip', op: 'is', values: ['2001:db8::/32'] }, { ip: '2001:db9::1' }, false],
  ['ip v6 /127', { type: 'ip', op: 'is', values: ['2001:db8::/127'] }, { ip: '2001:db8::1' }, true],
  ['ip v6 exact', { type: 'ip', op: 'is', values: ['::1'] }, { ip: '0:0:0:0:0:0:0:1' }, true],
  ['ip v6 vs v4 rule', { type: 'ip', op: 'is', values: ['0.0.0.0/0'] }, { ip: '2001:db8::1' }, false],
  ['ip any v6', { type: 'ip', op: 'is', values: ['::/0'] }, { ip: '2001:db8::1' }, true],
  ['ip is_not', { type: 'ip', op: 'is_not', values: ['10.0.0.0/8'] }, { ip: '10.0.0.1' }, false],
  ['ip garbage request', { type: 'ip', op: 'is', values: ['0.0.0.0/0'] }, { ip: 'not-an-ip' }, false],
  ['ip garbage request is_not', { type: 'ip', op: 'is_not', values: ['10.0.0.0/8'] }, { ip: '' }, true],
  ['ua wildcard', { type: 'user_agent', op: 'is', values: ['*iphone*'] }, {}, true],
  ['ua wildcard miss', { type: 'user_agent', op: 'is', values: ['*android*'] }, {}, false],
  ['ua anchored prefix', { type: 'user_agent', op: 'is', values: ['mozilla/5.0*'] }, {}, true],
  ['ua no wildcard = whole string', { type: 'user_agent', op: 'is', values: ['iPhone'] }, {}, false],
  ['ua regex chars literal', { type: 'user_agent', op: 'is', values: ['a.c'] }, { userAgent: 'abc' }, false],
  [
    'ua regex chars literal hit',
    { type: 'user_agent', op: 'is', values: ['a.(c)+'] },
    { userAgent: 'A.(C)+' },
    true,
  ],
  ['ua is_not', { type: 'user_agent', op: 'is_not', values: ['*bot*'] }, { userAgent: 'GoodBot/1' }, false],
  ['referrer empty matches ""', { type: 'referrer', op: 'is', values: [''] }, { referrer: '' }, true],
  ['referrer "" vs non-empty', { type: 'referrer', op: 'is', values: [''] }, {}, false],
  ['referrer wildcard', { type: 'referrer', op: 'is', values: ['https://news.example/*'] }, {}, true],
  ['referrer several stars', { type: 'referrer', op: 'is', values: ['*://*.example/*'] }, {}, true],
  ['referrer several stars miss', { type: 'referrer', op: 'is', values: ['*://*.other/*'] }, {}, false],
  [
    'param hit',
    { type: 'param', op: 'is', name: 'zone', values: ['12*'] },
    { query: { zone: '1234' } },
    true,
  ],
  ['param missing = ""', { type: 'param', op: 'is', name: 'zone', values: [''] }, { query: {} }, true],
  ['param missing vs *', { type: 'param', op: 'is', name: 'zone', values: ['*'] }, { query: {} }, true],
  ['param missing vs ?+', { type: 'param', op: 'is', name: 'zone', values: ['1'] }, { query: {} }, false],
  [
    'param case-insensitive',
    { type: 'param', op: 'is', name: 'z', values: ['ABC'] },
    { query: { z: 'abc' } },
    true,
  ],
  ['param __proto__', { type: 'param', op: 'is', name: '__proto__', values: [''] }, { query: {} }, true],
  ['param constructor', { type: 'param', op: 'is', name: 'constructor', values: ['*function*'] }, {}, false],
  ['param is_not', { type: 'param', op: 'is_not', name: 'z', values: ['1'] }, { query: { z: '1' } }, false],
  ['source', { type: 'source', op: 'is', values: ['tiktok'] }, { query: { source: 'TikTok' } }, true],
  ['source miss', { type: 'source', op: 'is', values: ['tiktok'] }, { query: { source: 'fb' } }, false],
  ['source is_not', { type: 'source', op: 'is_not', values: ['fb*'] }, { query: { source: 'fbads' } }, false],
  ['bot is', { type: 'bot', op: 'is' }, { isBot: true }, true],
  ['bot is (human)', { type: 'bot', op: 'is' }, { isBot: false }, false],
  ['bot is_not (human)', { type: 'bot', op: 'is_not' }, { isBot: false }, true],
]

describe('condition types', () => {
  it.each(cases)('%s', (_label, rule, request, expected) => {
    expect(compileCondition(rule).test(env(request))).toBe(expected)
  })
})

describe('schedule condition', () => {
  const sched = (days: number[], from: string, to: string, op: 'is' | 'is_not' = 'is'): Condition => ({
    type: 'schedule',
    op,
    schedule: { days, from, to },
  })
  const at = (iso: string, tz: string, rule: Condition): boolean =>
    compileCondition(rule).test(env({}, { now: new Date(iso), tz }))

  const table: [string, string, string, Condition, boolean][] = [
    // 2025-03-05 is a Wednesday (ISO 3).
    ['inside, UTC', '2025-03-05T10:00:00Z', 'UTC', sched([3], '09:00', '17:00'), true],
    ['from inclusive', '2025-03-05T09:00:00Z', 'UTC', sched([3], '09:00', '17:00'), true],
    ['to exclusive', '2025-03-05T17:00:00Z', 'UTC', sched([3], '09:00', '17:00'), false],
    ['wrong weekday', '2025-03-05T10:00:00Z', 'UTC', sched([1, 2], '09:00', '17:00'), false],
    ['is_not inverts', '2025-03-05T10:00:00Z', 'UTC', sched([3], '09:00', '17:00', 'is_not'), false],
    ['23:59 means end of day', '2025-03-05T23:59:30Z', 'UTC', sched([3], '00:00', '23:59'), true],
    ['from = to is the whole day', '2025-03-05T03:00:00Z', 'UTC', sched([3], '08:00', '08:00'), true],
    // Wrap: Wed 22:00–02:00 is open Wed 23:00 and Thu 01:00, not Thu 23:00 or Wed 01:00.
    ['wrap, evening', '2025-03-05T23:00:00Z', 'UTC', sched([3], '22:00', '02:00'), true],
    [
      'wrap, after midnight belongs to start day',
      '2025-03-06T01:00:00Z',
      'UTC',
      sched([3], '22:00', '02:00'),
      true,
    ],
    ['wrap, next evening closed', '2025-03-06T23:00:00Z', 'UTC', sched([3], '22:00', '02:00'), false],
    ['wrap, early same day closed', '2025-03-05T01:00:00Z', 'UTC', sched([3], '22:00', '02:00'), false],
    ['wrap, until exclusive', '2025-03-06T02:00:00Z', 'UTC', sched([3], '22:00', '02:00'), false],
    ['wrap Sun → Mon', '2025-03-10T00:30:00Z', 'UTC', sched([7], '23:00', '01:00'), true],
    // New York is UTC-5 in early March (before DST on 9 March 2025).
    ['New York local hours', '2025-03-05T14:30:00Z', 'America/New_York', sched([3], '09:00', '10:00'), true],
    [
      'New York not UTC hours',
      '2025-03-05T09:30:00Z',
      'America/New_York',
      sched([3], '09:00', '10:00'),
      false,
    ],
    // 2025-03-06T02:00Z is still Wednesday 21:00 in New York.
    [
      'New York weekday from local date',
      '2025-03-06T02:00:00Z',
      'America/New_York',
      sched([3], '20:00', '22:00'),
      true,
    ],
    // Tokyo is UTC+9: 2025-03-05T16:00Z is Thursday 01:00 there.
    ['Tokyo next day', '2025-03-05T16:00:00Z', 'Asia/Tokyo', sched([4], '00:00', '02:00'), true],
    ['Tokyo wrap across midnight', '2025-03-05T16:00:00Z', 'Asia/Tokyo', sched([3], '22:00', '02:00'), true],
    // DST: on 2025-03-09 New York skips 02:00–03:00; 07:30Z is 03:30 EDT.
    ['DST spring forward', '2025-03-09T07:30:00Z', 'America/New_York', sched([7], '03:00', '04:00'), true],
    // Fall back (2025-11-02): 01:30 happens twice; both instants are inside 01:00–02:00.
    [
      'DST fall back first 01:30',
      '2025-11-02T05:30:00Z',
      'America/New_York',
      sched([7], '01:00', '02:00'),
      true,
    ],
    [
      'DST fall back second 01:30',
      '2025-11-02T06:30:00Z',
      'America/New_York',
      sched([7], '01:00', '02:00'),
      true,
    ],
  ]
  it.each(table)('%s', (_label, iso, tz, rule, expected) => {
    expect(at(iso, tz, rule)).toBe(expected)
  })

  it('an invalid date or timezone matches nothing', () => {
    const rule = compileCondition(sched([1, 2, 3, 4, 5, 6, 7], '00:00', '23:59'))
    expect(rule.test(env({}, { now: new Date(Number.NaN) }))).toBe(false)
    expect(rule.test(env({}, { tz: 'Mars/Olympus' }))).toBe(false)
  })
})

describe('unique condition', () => {
  const rule = compileCondition({ type: 'unique', op: 'is', window_seconds: 3600 })
  const state = fakeState()
  const key = (k: string) => `${k}|${uid(1)}`
  state.seenCampaign.set(key('recent'), NOW.getTime() - 1000)
  state.seenCampaign.set(key('old'), NOW.getTime() - 3600_000)

  it.each([
    ['never seen', 'new', true],
    ['seen within the window', 'recent', false],
    ['seen exactly a window ago', 'old', true],
  ])('%s', (_label, userKey, expected) => {
    expect(rule.test(env({ userKey }, { state }))).toBe(expected)
  })

  it('is_not matches returning visitors', () => {
    const returning = compileCondition({ type: 'unique', op: 'is_not', window_seconds: 3600 })
    expect(returning.test(env({ userKey: 'recent' }, { state }))).toBe(true)
  })
})

describe('groups', () => {
  const us: Condition = { type: 'country', op: 'is', values: ['US'] }
  const mobile: Condition = { type: 'device', op: 'is', values: ['mobile'] }
  const desktop: Condition = { type: 'device', op: 'is', values: ['desktop'] }
  const de: Condition = { type: 'country', op: 'is', values: ['DE'] }
  const tree = (join: 'and' | 'or', ...groups: ['and' | 'or', Condition[]][]): Conditions => ({
    join,
    groups: groups.map(([j, rules]) => ({ join: j, rules })),
  })

  it.each([
    ['empty = match', tree('and'), true],
    ['AND all true', tree('and', ['and', [us, mobile]]), true],
    ['AND one false', tree('and', ['and', [us, desktop]]), false],
    ['OR one true', tree('and', ['or', [de, mobile]]), true],
    ['OR none true', tree('and', ['or', [de, desktop]]), false],
    ['groups AND', tree('and', ['and', [us]], ['or', [de, desktop]]), false],
    ['groups OR', tree('or', ['and', [de]], ['and', [us, mobile]]), true],
    ['groups OR none', tree('or', ['and', [de]], ['and', [desktop]]), false],
  ] as const)('%s', (_label, conditions, expected) => {
    expect(matchConditions(compileConditions(conditions), env())).toBe(expected)
  })

  it('explains the first failing AND rule', () => {
    const cc = compileConditions(
      tree('and', ['and', [mobile, { type: 'country', op: 'is', values: ['US', 'CA'] }]]),
    )
    expect(explainMismatch(cc, env({ country: 'DE' }))).toBe('country is [US, CA] — got DE')
    expect(explainMismatch(cc, env())).toBeUndefined()
  })

  it('explains OR alternatives and other rule types', () => {
    const cc = compileConditions(tree('and', ['or', [de, desktop]]))
    expect(explainMismatch(cc, env())).toBe('country is [DE] — got US OR device is [desktop] — got mobile')
    const bot = compileConditions(tree('and', ['and', [{ type: 'bot', op: 'is_not' }]]))
    expect(explainMismatch(bot, env({ isBot: true }))).toBe('bot is_not — got bot')
    const sched = compileConditions(
      tree('and', [
        'and',
        [{ type: 'schedule', op: 'is', schedule: { days: [1], from: '09:00', to: '17:00' } }],
      ]),
    )
    expect(explainMismatch(sched, env())).toBe('schedule is Mon 09:00–17:00 — got Wed 12:00 (UTC)')
    const ref = compileConditions(tree('and', ['and', [{ type: 'referrer', op: 'is', values: [''] }]]))
    expect(explainMismatch(ref, env())).toBe('referrer is [""] — got https://news.example/article')
  })

  it('unknown rule types never match and are reported', () => {
    const warnings: string[] = []
    const rule = compileCondition({ type: 'phase_of_moon', op: 'is' } as unknown as Condition, (w) =>
      warnings.push(w),
    )
    expect(rule.test(env())).toBe(false)
    expect(warnings).toEqual(['unknown condition type "phase_of_moon"'])
  })
})
