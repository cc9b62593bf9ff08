import { describe, expect, it } from 'vitest'
import type { ClickLogRow } from '../../analytics/index.ts'
import { compileSnapshot } from '../core/snapshot.ts'
import { campaignRow, fakeState, only, rows, sourceRow, streamRow, uid, WS } from '../core/test-fixtures.ts'
import { clickContext, replayClick, replayState, unstoredParams } from './replay.ts'

const T = Date.parse('2025-03-05T12:00:00Z')

/** A stored click of campaign uid(1): a German desktop visitor, sub1 = zone-1, recorded on S1 → D1. */
function stored(over: Partial<ClickLogRow> = {}): ClickLogRow {
  return {
    click_id: '01JNKQ4W000000000000000000',
    tsMs: T,
    campaign_id: uid(1),
    stream_id: uid(101),
    destination_id: uid(1001),
    source_id: uid(9),
    is_unique: 1,
    is_bot: 0,
    ip: '5.9.0.1',
    country: 'DE',
    language: 'de',
    device: 'desktop',
    os: 'Windows',
    browser: 'Chrome',
    user_agent: 'Mozilla/5.0',
    referrer: '',
    user_key: 'uk',
    cost_micros: 0,
    currency: 'USD',
    external_id: 'ext-9',
    sub1: 'zone-1',
    sub2: '',
    sub3: '',
    sub4: '',
    sub5: '',
    sub6: '',
    sub7: '',
    sub8: '',
    sub9: '',
    sub10: '',
    utm_source: 'fb',
    utm_medium: '',
    utm_campaign: '',
    utm_term: '',
    utm_content: '',
    source: '',
    ...over,
  }
}

const us = only({ type: 'country', op: 'is', values: ['US'] })
const zone1 = only({ type: 'param', op: 'is', name: 'sub1', values: ['zone-1'] })
const snap = (streams: ReturnType<typeof streamRow>[]) =>
  compileSnapshot(
    rows({
      campaigns: [campaignRow({ sourceId: uid(9) })],
      sources: [sourceRow()],
      streams,
    }),
  )

describe('clickContext', () => {
  it('rebuilds the query from the stored parameters, the external ID under the source parameter too', () => {
    const c = clickContext(stored(), 'clickid')
    expect(c.query).toEqual({ sub1: 'zone-1', utm_source: 'fb', external_id: 'ext-9', clickid: 'ext-9' })
    expect(c).toMatchObject({ country: 'DE', device: 'desktop', isBot: false, userKey: 'uk' })
    expect(clickContext(stored({ device: 'toaster', is_bot: 1 })).device).toBe('other')
    expect(clickContext(stored({ is_bot: 1 })).isBot).toBe(true)
  })
})

describe('replayState', () => {
  it('hides visitor memories from the click time on', () => {
    const s = fakeState()
    s.seenCampaign.set(`uk|${uid(1)}`, T)
    s.seenDestination.set(`uk|${uid(1001)}`, T - 1)
    const r = replayState(s, T)
    expect(r.lastSeenCampaign('uk', uid(1))).toBeUndefined()
    expect(r.lastSeenDestination('uk', uid(1001))).toBe(T - 1)
  })
})

describe('unstoredParams', () => {
  it('lists param conditions on parameters a click does not keep', () => {
    const streams = [
      { conditions: only({ type: 'param', op: 'is', name: 'zone', values: ['1'] }) },
      { conditions: only({ type: 'param', op: 'is', name: 'sub2', values: ['1'] }) },
      { conditions: only({ type: 'param', op: 'is', name: 'clickid', values: ['1'] }) },
      { conditions: { join: 'and', groups: [] } },
    ]
    expect(unstoredParams(streams, 'clickid')).toEqual(['zone'])
  })
})

describe('replayClick', () => {
  const cases: {
    name: string
    streams: ReturnType<typeof streamRow>[]
    click?: Partial<ClickLogRow>
    same: boolean
    differs?: RegExp
    failed?: string
  }[] = [
    {
      name: 'same stream and offer; the US stream failed on country',
      streams: [
        streamRow(2, { priority: 1, conditions: us, destinations: [2] }),
        streamRow(1, { conditions: zone1 }),
      ],
      same: true,
      failed: 'country',
    },
    {
      name: 'another stream now comes first',
      streams: [streamRow(2, { priority: 1, destinations: [2] }), streamRow(1)],
      same: false,
      differs: /stream S2 instead of S1/,
    },
    {
      name: 'the recorded stream is gone',
      streams: [streamRow(3, { destinations: [3] })],
      same: false,
      differs: /no longer active/,
    },
    {
      name: 'nothing matches: trafficback',
      streams: [streamRow(1, { conditions: us })],
      same: false,
      differs: /trafficback \(no stream matched\)/,
    },
    {
      name: 'waterfall: the offer changed',
      streams: [streamRow(1, { destinations: [2, 1] })],
      same: false,
      differs: /first available offer/,
    },
    {
      name: 'weighted: a random pick, said as such',
      streams: [streamRow(1, { strategy: 'weighted', destinations: [2] })],
      same: false,
      differs: /at random by weight/,
    },
    {
      name: 'a lander click compares the stream only',
      streams: [streamRow(1, { destinations: [2] })],
      click: { destination_id: '' },
      same: true,
    },
  ]
  it.each(cases)('$name', ({ streams, click, same, differs, failed }) => {
    const out = replayClick(snap(streams), WS, stored(click), fakeState())
    if (out.kind !== 'replayed') throw new Error(out.reason)
    expect(out.verdict.same).toBe(same)
    if (differs) expect(out.verdict.differs).toMatch(differs)
    else expect(out.verdict.differs).toBeNull()
    if (failed) expect(out.decision.trace.streams[0]?.failed).toContain(failed)
  })

  it('is unavailable for another workspace or a missing campaign', () => {
    const s = snap([streamRow(1)])
    expect(replayClick(s, uid(77), stored(), fakeState()).kind).toBe('unavailable')
    expect(replayClick(s, WS, stored({ campaign_id: uid(2) }), fakeState()).kind).toBe('unavailable')
  })

  it('notes conditions on parameters the click does not store', () => {
    const out = replayClick(snap([streamRow(1)]), WS, stored(), fakeState(), [
      { conditions: only({ type: 'param', op: 'is', name: 'zoneid', values: ['1'] }) },
    ])
    expect(out.kind === 'replayed' && out.notes[0]).toMatch(/zoneid/)
  })
})
