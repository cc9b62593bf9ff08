import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  dayBound,
  deletedObjects,
  describeChanges,
  detailPairs,
  EMPTY_VALUE,
  formatChangeValue,
  humaniseField,
  OBJECT_TYPES,
  objectHref,
  objectTypeLabel,
  refDimension,
  securityKindLabel,
  truncate,
  visibleChanges,
} from './change-log'

describe('humaniseField', () => {
  it.each([
    ['name', 'Name'],
    ['status', 'Status'],
    ['weight', 'Weight'],
    ['destinationId', 'Offer'],
    ['landerId', 'Lander ID'],
    ['postbackUrl', 'Postback URL'],
    ['postback_url', 'Postback URL'],
    ['defaultCostMicros', 'Default cost'],
    ['payout_micros', 'Payout'],
    ['antiRepeat', 'Anti repeat'],
    ['sub1', 'Sub1'],
    ['ipAllowlist', 'IP allowlist'],
    ['smtpHost', 'SMTP host'],
    ['trafficbackURL', 'Trafficback URL'],
    ['', ''],
  ])('%s → %s', (field, label) => {
    expect(humaniseField(field)).toBe(label)
  })

  it('never throws and starts with a capital for any identifier', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-zA-Z0-9_]{0,30}$/), (f) => {
        const label = humaniseField(f)
        expect(label.charAt(0)).toBe(label.charAt(0).toUpperCase())
      }),
    )
  })
})

describe('formatChangeValue', () => {
  it.each([
    [null, '', EMPTY_VALUE],
    [undefined, '', EMPTY_VALUE],
    ['', '', EMPTY_VALUE],
    ['Summer', 'name', 'Summer'],
    [40, 'weight', '40'],
    [0, 'weight', '0'],
    [2_500_000, 'payoutMicros', '2.5'],
    [true, 'active', 'true'],
    [false, 'active', 'false'],
    [['DE', 'AT'], 'countries', '["DE","AT"]'],
    [{ enabled: true }, 'antiRepeat', '{"enabled":true}'],
  ])('%j (%s) → %s', (value, field, text) => {
    expect(formatChangeValue(value, field)).toBe(text)
  })
})

describe('truncate', () => {
  it('keeps short text and cuts long text to max with an ellipsis', () => {
    expect(truncate('abc', 3)).toBe('abc')
    expect(truncate('abcd', 3)).toBe('ab…')
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 200 }), (s, max) => {
        const t = truncate(s, max)
        expect(t.length).toBeLessThanOrEqual(Math.max(max, 1))
        if (s.length <= max) expect(t).toBe(s)
      }),
    )
  })
})

describe('describeChanges', () => {
  it('gives old and new texts, marks secrets, and keeps absent sides null', () => {
    const lines = describeChanges({
      name: { before: 'Old', after: 'New' },
      postbackSecret: { before: '[redacted]', after: '[redacted]' },
      weight: { after: 10 },
      notes: { before: 'x'.repeat(100), after: null },
    })
    expect(lines).toEqual([
      {
        field: 'name',
        label: 'Name',
        secret: false,
        before: 'Old',
        after: 'New',
        fullBefore: 'Old',
        fullAfter: 'New',
      },
      expect.objectContaining({ field: 'postbackSecret', label: 'Postback secret', secret: true }),
      expect.objectContaining({ field: 'weight', before: null, after: '10', fullBefore: null }),
      expect.objectContaining({
        field: 'notes',
        before: `${'x'.repeat(79)}…`,
        fullBefore: 'x'.repeat(100),
        after: EMPTY_VALUE,
      }),
    ])
  })

  it('names referenced objects through nameOf, leaving secrets and empties alone', () => {
    const nameOf = (field: string, id: string) => (refDimension(field) ? `name of ${id}` : id)
    const [offer, secret, name] = describeChanges(
      {
        destinationId: { before: 'd1', after: '' },
        postbackSecret: { before: '[redacted]', after: '[redacted]' },
        name: { before: 'A', after: 'B' },
      },
      80,
      nameOf,
    )
    expect([offer?.before, offer?.after]).toEqual(['name of d1', EMPTY_VALUE])
    expect(secret?.secret).toBe(true)
    expect([name?.before, name?.after]).toEqual(['A', 'B'])
    expect(refDimension('source_id')).toBe('source')
    expect(refDimension('landerId')).toBe('lander')
    expect(refDimension('name')).toBeUndefined()
  })

  it('is empty for no changes', () => {
    expect(describeChanges({})).toEqual([])
    expect(describeChanges(null)).toEqual([])
  })
})

describe('visibleChanges', () => {
  const lines = describeChanges({
    id: { after: 'c1' },
    name: { after: 'Spring' },
    notes: { after: null },
    tags: { after: [] },
    secret: { after: '[redacted]' },
  })
  it('drops the id and empty values of a create, keeps secrets', () => {
    expect(visibleChanges('create', lines).map((l) => l.field)).toEqual(['name', 'secret'])
  })
  it('keeps every line of an update', () => {
    expect(visibleChanges('update', lines)).toHaveLength(5)
  })
  it('keeps the non-empty old values of a delete', () => {
    const gone = describeChanges({ name: { before: 'Spring' }, notes: { before: '' } })
    expect(visibleChanges('delete', gone).map((l) => l.field)).toEqual(['name'])
  })
})

describe('objects', () => {
  it('labels every type and links the ones with a page', () => {
    for (const t of OBJECT_TYPES) expect(objectTypeLabel(t)).toMatch(/^[A-Z]/)
    expect(objectTypeLabel('outreach_campaign')).toBe('Outreach campaign')
    expect(objectHref('campaign', 'c1')).toBe('/campaigns/c1')
    expect(objectHref('offer', 'o/1')).toBe('/offers/o%2F1')
    expect(objectHref('mailbox', 'm1')).toBe('/outreach/mailboxes/m1')
    expect(objectHref('autopilot_campaign', 'a1')).toBe('/autopilot')
    expect(objectTypeLabel('autopilot_account')).toBe('TrafficStars account')
    expect(objectHref('stream', 's1')).toBeNull()
    expect(objectHref('billing_adjustment', 'b1')).toBeNull()
  })

  it('finds the objects deleted in a page', () => {
    const set = deletedObjects([
      { object_type: 'campaign', object_id: 'a', action: 'delete' },
      { object_type: 'campaign', object_id: 'b', action: 'update' },
    ])
    expect([...set]).toEqual(['campaign:a'])
  })
})

describe('dayBound', () => {
  it('gives the start of the day (from) and of the next day (to, exclusive)', () => {
    const from = dayBound('2026-03-10', 'from')
    const to = dayBound('2026-03-10', 'to')
    expect(from).toBe(new Date(2026, 2, 10).toISOString())
    expect(to).toBe(new Date(2026, 2, 11).toISOString())
    expect(dayBound('', 'from')).toBeUndefined()
    expect(dayBound('10/03/2026', 'to')).toBeUndefined()
  })
})

describe('security events', () => {
  it.each([
    ['sign_in', 'Sign-in'],
    ['sign_in_failed', 'Sign-in failed'],
    ['two_factor_enabled', '2FA enabled'],
    ['api_key_created', 'API key created'],
    ['workspace_2fa_required', 'Workspace 2FA required'],
    ['recovery_codes_regenerated', 'Recovery codes regenerated'],
  ])('%s → %s', (kind, label) => {
    expect(securityKindLabel(kind)).toBe(label)
  })

  it('lists detail facts', () => {
    expect(detailPairs({ keyPrefix: 'tf_ab', scopes: ['read'] })).toEqual([
      ['Key prefix', 'tf_ab'],
      ['Scopes', '["read"]'],
    ])
    expect(detailPairs(null)).toEqual([])
  })
})
