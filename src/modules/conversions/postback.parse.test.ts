import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  effectiveParams,
  mapStatus,
  type PostbackSettings,
  parsePayoutMicros,
  parsePostback,
  postbackFields,
} from './postback.parse.ts'

const CLICK = '01J0000000AAAAAAAAAAAAAAAA'
const settings = (over: Partial<PostbackSettings> = {}): PostbackSettings => ({
  template: 'subid_tid_payout_status',
  params: {},
  statusMap: {},
  defaultStatus: 'sale',
  ...over,
})
const fields = (q: string) => {
  const r = postbackFields(q, undefined, undefined)
  if (!r.ok) throw new Error(r.reason)
  return r.fields
}

describe('parsePayoutMicros', () => {
  const ok: [string | number, number][] = [
    ['0', 0],
    ['10', 10_000_000],
    ['10.5', 10_500_000],
    ['0.1', 100_000],
    ['0.000001', 1],
    ['0.0000005', 1],
    ['0.0000004', 0],
    ['1000000', 1_000_000_000_000],
    [' 12.34 ', 12_340_000],
    [2.5, 2_500_000],
    [0, 0],
  ]
  for (const [raw, micros] of ok) {
    it(`${JSON.stringify(raw)} → ${micros}`, () =>
      expect(parsePayoutMicros(raw)).toEqual({ ok: true, micros }))
  }
  const bad: (string | number)[] = [
    'NaN',
    'abc',
    '-1',
    '-0.5',
    '1e3',
    '1,50',
    '1,000.00',
    '',
    '1000000.01',
    '99999999',
    'Infinity',
    Number.NaN,
    -1,
    Number.POSITIVE_INFINITY,
    1e6 + 1,
  ]
  for (const raw of bad) {
    it(`refuses ${JSON.stringify(String(raw))}`, () => {
      const r = parsePayoutMicros(raw)
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.reason).toMatch(/payout/)
    })
  }
  it('strings parse exactly (no float error) for every micro amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), (micros) => {
        const s = `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`
        expect(parsePayoutMicros(s)).toEqual({ ok: true, micros })
      }),
    )
  })
})

describe('mapStatus', () => {
  it('built-in names, case-insensitive', () => {
    expect(mapStatus('Approved')).toBe('sale')
    expect(mapStatus(' pending ')).toBe('lead')
    expect(mapStatus('DECLINED')).toBe('rejected')
    expect(mapStatus('rebill')).toBe('rebill')
    expect(mapStatus('1')).toBeUndefined()
    expect(mapStatus('__proto__')).toBeUndefined()
    expect(mapStatus('constructor')).toBeUndefined()
    expect(mapStatus('')).toBeUndefined()
  })
  it("the network's map extends and overrides the built-ins", () => {
    const map = { '1': 'sale', '2': 'rejected', Approved: 'lead' } as const
    expect(mapStatus('1', map)).toBe('sale')
    expect(mapStatus('2', map)).toBe('rejected')
    expect(mapStatus('approved', map)).toBe('lead')
    expect(mapStatus('declined', map)).toBe('rejected')
  })
})

describe('presets', () => {
  it('subid_tid_payout_status', () => {
    const r = parsePostback(
      fields(`subid=${CLICK}&tid=T-1&payout=12.5&status=approved&currency=eur`),
      settings(),
    )
    expect(r).toEqual({
      ok: true,
      postback: {
        clickId: CLICK,
        transactionId: 'T-1',
        status: 'sale',
        rawStatus: 'approved',
        payoutMicros: 12_500_000,
        currency: 'EUR',
        subs: {},
      },
    })
  })
  it('cid_txid_payout: status defaults to the network default (sale)', () => {
    const r = parsePostback(
      fields(`cid=${CLICK}&txid=X9&payout=3`),
      settings({ template: 'cid_txid_payout' }),
    )
    expect(r.ok && r.postback).toMatchObject({
      clickId: CLICK,
      transactionId: 'X9',
      status: 'sale',
      payoutMicros: 3e6,
    })
  })
  it('cid_txid_payout with a default status of lead', () => {
    const r = parsePostback(
      fields(`cid=${CLICK}&payout=3`),
      settings({ template: 'cid_txid_payout', defaultStatus: 'lead' }),
    )
    expect(r.ok && r.postback.status).toBe('lead')
  })
  it('cnv_id_payout_cnv_status', () => {
    const r = parsePostback(
      fields(`cnv_id=${CLICK}&payout=1.25&cnv_status=declined`),
      settings({ template: 'cnv_id_payout_cnv_status' }),
    )
    expect(r.ok && r.postback).toMatchObject({
      clickId: CLICK,
      transactionId: '',
      status: 'rejected',
      payoutMicros: 1_250_000,
    })
  })
  it('custom: names, status map and subs come from the network', () => {
    const s = settings({
      template: 'custom',
      params: {
        click_id: 'aff_click',
        transaction_id: 'order',
        payout: 'amount',
        status: 'state',
        currency: 'cur',
        subs: { sub2: 'aff_sub2', sub9: 'geo' },
      },
      statusMap: { '1': 'sale', '0': 'lead', '-1': 'rejected' },
    })
    const r = parsePostback(
      fields(`aff_click=${CLICK}&order=O-7&amount=40&state=1&cur=usd&aff_sub2=banner&geo=DE&sub3=ignored`),
      s,
    )
    expect(r).toEqual({
      ok: true,
      postback: {
        clickId: CLICK,
        transactionId: 'O-7',
        status: 'sale',
        rawStatus: '1',
        payoutMicros: 40_000_000,
        currency: 'USD',
        subs: { sub2: 'banner', sub9: 'DE' },
      },
    })
    expect(parsePostback(fields(`aff_click=${CLICK}&state=-1`), s)).toMatchObject({
      ok: true,
      postback: { status: 'rejected', payoutMicros: undefined },
    })
  })
  it('a preset takes parameter overrides', () => {
    const p = effectiveParams({ template: 'subid_tid_payout_status', params: { click_id: 'clickid' } })
    expect(p).toEqual({
      click_id: 'clickid',
      transaction_id: 'tid',
      payout: 'payout',
      status: 'status',
      currency: 'currency',
      subs: {},
    })
    expect(effectiveParams({ template: 'custom', params: {} })).toBeUndefined()
  })
})

describe('parse failures', () => {
  const cases: [string, string, PostbackSettings, 'malformed' | 'bad_status', RegExp][] = [
    ['no click ID', 'tid=1&payout=1', settings(), 'malformed', /missing click ID parameter "subid"/],
    ['unknown status', `subid=${CLICK}&status=weird`, settings(), 'bad_status', /unknown status "weird"/],
    ['negative payout', `subid=${CLICK}&payout=-5`, settings(), 'malformed', /negative/],
    ['NaN payout', `subid=${CLICK}&payout=NaN`, settings(), 'malformed', /not a decimal/],
    ['absurd payout', `subid=${CLICK}&payout=2000000`, settings(), 'malformed', /above 1000000/],
    ['bad currency', `subid=${CLICK}&currency=dollars`, settings(), 'malformed', /ISO 4217/],
    ['over-long click ID', `subid=${'A'.repeat(201)}`, settings(), 'malformed', /longer than 200/],
    [
      'over-long transaction ID',
      `subid=${CLICK}&tid=${'T'.repeat(201)}`,
      settings(),
      'malformed',
      /longer than 200/,
    ],
    [
      'custom without click_id',
      `subid=${CLICK}`,
      settings({ template: 'custom' }),
      'malformed',
      /custom template/,
    ],
  ]
  for (const [name, q, s, outcome, reason] of cases) {
    it(name, () => {
      const r = parsePostback(fields(q), s)
      expect(r.ok).toBe(false)
      if (!r.ok) {
        expect(r.outcome).toBe(outcome)
        expect(r.reason).toMatch(reason)
      }
    })
  }
  it('keeps the IDs found so far for the log', () => {
    const r = parsePostback(fields(`subid=${CLICK}&tid=T5&payout=x`), settings())
    expect(r).toMatchObject({ ok: false, clickId: CLICK, transactionId: 'T5' })
  })
})

describe('postbackFields', () => {
  it('merges query and JSON body (body wins), stringifies numbers, ignores nesting', () => {
    const r = postbackFields(
      'network=n1&payout=1&subid=q',
      JSON.stringify({ subid: 'b', payout: 2.5, ok: true, nested: { a: 1 }, list: [1] }),
      'application/json',
    )
    expect(r).toEqual({ ok: true, fields: { network: 'n1', payout: '2.5', subid: 'b', ok: 'true' } })
  })
  it('form bodies, first value of a repeated key', () => {
    const r = postbackFields('a=1&a=2', 'b=3&b=4&a=5', 'application/x-www-form-urlencoded')
    expect(r.ok && { ...r.fields }).toEqual({ a: '5', b: '3' })
  })
  it('JSON without a content type is recognised by its brace', () => {
    const r = postbackFields('', '{"subid":"x"}', undefined)
    expect(r.ok && r.fields.subid).toBe('x')
  })
  it('refuses bad JSON and non-object JSON', () => {
    expect(postbackFields('', '{bad', 'application/json')).toEqual({
      ok: false,
      reason: 'body is not valid JSON',
      fields: {},
    })
    expect(postbackFields('', '[1,2]', 'application/json')).toEqual({
      ok: false,
      reason: 'JSON body must be an object',
      fields: {},
    })
  })
  it.each([
    ['NUL in a query value', 'network=n1&subid=a%00b', undefined, undefined, /"subid" contains a NUL/],
    [
      'NUL in a form body',
      'network=n1',
      'tid=%00',
      'application/x-www-form-urlencoded',
      /"tid" contains a NUL/,
    ],
    [
      'NUL in a JSON value',
      'network=n1',
      '{"subid":"\\u0000"}',
      'application/json',
      /"subid" contains a NUL/,
    ],
    ['lone surrogate in JSON', 'network=n1', '{"subid":"\\ud800"}', 'application/json', /unpaired surrogate/],
    ['raw NUL byte in the body', 'network=n1', 'subid=x\0', undefined, /body contains a NUL/],
  ])('%s is malformed; the other fields are still read', (_n, q, body, ct, reason) => {
    const r = postbackFields(q, body, ct)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toMatch(reason)
    expect(r.fields.network).toBe('n1')
    expect(Object.values(r.fields).join('')).not.toMatch(/\0|[\uD800-\uDFFF]/)
  })
  it('a __proto__ parameter is just a name', () => {
    const r = postbackFields('__proto__=x&constructor=y', '{"__proto__":{"polluted":1}}', 'application/json')
    expect(r.ok).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    if (r.ok) expect(r.fields.constructor).toBe('y')
  })
  it('bounds the number of fields and their length', () => {
    const q = Array.from({ length: 300 }, (_, i) => `k${i}=${'v'.repeat(3000)}`).join('&')
    const r = postbackFields(q, undefined, undefined)
    expect(r.ok && Object.keys(r.fields).length).toBe(100)
    expect(r.ok && r.fields.k0!.length).toBe(2000)
  })
})
