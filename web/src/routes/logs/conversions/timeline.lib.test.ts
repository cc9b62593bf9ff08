import { describe, expect, it } from 'vitest'
import type { ConversionDetail, ConversionEvent, PostbackLog } from '@/hooks/api/postbacks'
import { changeTitle, conversionTimeline } from './timeline.lib'

const CLICK = '01J0000000000000000000CLIK'

const event = (
  seq: number,
  ts: string,
  status: ConversionEvent['status'],
  prev: ConversionEvent['previous_status'],
  payout: number,
): ConversionEvent => ({
  seq,
  ts,
  status,
  previous_status: prev,
  conversions_delta: seq === 1 ? 1 : 0,
  revenue_delta_micros: 0,
  payout_micros: payout,
  currency: 'USD',
  synced_at: null,
})

const conversion = (events: ConversionEvent[]): ConversionDetail => ({
  id: 'conv-1',
  network_id: 'net-1',
  click_id: CLICK,
  transaction_id: 'T-1',
  status: 'sale',
  seen_statuses: ['lead', 'sale'],
  payout_micros: 10_000_000,
  revenue_micros: 10_000_000,
  currency: 'USD',
  version: events.length,
  campaign_id: 'camp',
  stream_id: 'stream',
  destination_id: 'dest',
  source_id: 'src',
  country: 'US',
  device: 'desktop',
  os: 'Windows',
  browser: 'Chrome',
  external_id: '',
  cost_micros: 0,
  subs: {},
  click_ts: '2025-05-01T10:00:00.000Z',
  created_at: '2025-05-01T10:05:00.000Z',
  updated_at: '2025-05-01T11:00:00.000Z',
  events,
})

const log = (
  id: string,
  at: string,
  outcome: PostbackLog['outcome'],
  extra: Partial<PostbackLog> = {},
): PostbackLog => ({
  id,
  received_at: at,
  network_id: 'net-1',
  method: 'GET',
  query: '',
  body: '',
  ip: '127.0.0.1',
  outcome,
  http_status: 200,
  reason: '',
  click_id: CLICK,
  transaction_id: 'T-1',
  status: '',
  payout_micros: null,
  conversion_id: 'conv-1',
  ...extra,
})

describe('conversionTimeline', () => {
  const events = [
    event(2, '2025-05-01T11:00:00.000Z', 'sale', 'lead', 10_000_000),
    event(1, '2025-05-01T10:05:00.000Z', 'lead', '', 2_000_000),
  ]

  it('puts the click, the changes and the other postbacks in time order', () => {
    const logs = [
      log('dup', '2025-05-01T11:30:00.000Z', 'duplicate'),
      log('sale', '2025-05-01T11:00:00.000Z', 'accepted'),
      log('lead', '2025-05-01T10:05:00.000Z', 'accepted'),
      log('refused', '2025-05-01T12:00:00.000Z', 'bad_status', { conversion_id: null }),
    ]
    const t = conversionTimeline(conversion(events), logs)
    expect(t.map((e) => (e.kind === 'postback' ? `postback:${e.postback.id}` : e.kind))).toEqual([
      'click',
      'change',
      'change',
      'postback:dup',
      'postback:refused',
    ])
    const [, created, sale] = t
    expect(created).toMatchObject({ kind: 'change', previousPayoutMicros: null, postback: { id: 'lead' } })
    expect(sale).toMatchObject({ kind: 'change', previousPayoutMicros: 2_000_000, postback: { id: 'sale' } })
  })

  it("leaves out other conversions' postbacks of the same click", () => {
    const logs = [
      log('other', '2025-05-01T10:30:00.000Z', 'accepted', {
        conversion_id: 'conv-2',
        transaction_id: 'T-2',
      }),
      log('other-refused', '2025-05-01T10:40:00.000Z', 'bad_status', {
        conversion_id: null,
        transaction_id: 'T-2',
      }),
    ]
    const t = conversionTimeline(conversion(events), logs)
    expect(t.filter((e) => e.kind === 'postback')).toEqual([])
  })

  it('shows a change without its postback when the log no longer has it', () => {
    const t = conversionTimeline(conversion(events), [])
    expect(t).toHaveLength(3)
    expect(t[1]).not.toHaveProperty('postback')
  })
})

describe('changeTitle', () => {
  it('names the creation and the status change', () => {
    expect(changeTitle(event(1, '', 'lead', '', 0))).toBe('Created as lead')
    expect(changeTitle(event(2, '', 'sale', 'lead', 0))).toBe('lead → sale')
  })
})
