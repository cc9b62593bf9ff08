import { describe, expect, it } from 'vitest'
import type { ClickEvent } from '../analytics/index.ts'
import { newClickId } from '../routing/core/click-id.ts'
import { type RecentClicks, recentClicksOf, withLanderOffer } from './click.lookup.ts'

function click(id: string, over: Partial<ClickEvent> = {}): ClickEvent {
  return {
    type: 'click',
    click_id: id,
    ts: 1_717_243_200_000,
    workspace_id: 'ws',
    campaign_id: 'c',
    stream_id: 's',
    destination_id: 'd',
    source_id: 'src',
    is_unique: 1,
    is_bot: 0,
    ip: '203.0.113.1',
    country: 'DE',
    language: 'de',
    device: 'mobile',
    os: 'Android',
    os_version: '',
    browser: 'Chrome',
    user_agent: 'UA',
    referrer: '',
    user_key: 'uk',
    cost_micros: 1500,
    currency: 'USD',
    external_id: 'ext',
    sub1: 'a',
    sub2: '',
    sub3: '',
    sub4: '',
    sub5: '',
    sub6: '',
    sub7: '',
    sub8: '',
    sub9: '',
    sub10: 'z',
    utm_source: '',
    utm_medium: '',
    utm_campaign: '',
    utm_term: '',
    utm_content: '',
    source: '',
    destination_url: 'https://x.test/',
    lander_id: '',
    ...over,
  }
}

describe('recentClicksOf', () => {
  // A real click ID: its first 10 characters carry the click's time.
  const id = newClickId(1_717_243_200_123, new Uint8Array(10).fill(7))
  const calls: [string, number][] = []
  const source = {
    findRecentClick(clickId: string, clickMs: number) {
      calls.push([clickId, clickMs])
      return clickId === id ? click(id, { ts: clickMs }) : undefined
    },
  }

  it('asks the pipeline with the time embedded in the ID and keeps only what a conversion copies', () => {
    calls.length = 0
    const info = recentClicksOf(source).find(id)
    expect(calls).toEqual([[id, 1_717_243_200_123]])
    expect(info).toMatchObject({
      click_id: id,
      ts: 1_717_243_200_123,
      sub1: 'a',
      sub10: 'z',
      cost_micros: 1500,
    })
    expect(info).not.toHaveProperty('user_agent')
    expect(info).not.toHaveProperty('destination_url')
  })

  it('does not search for something that is not a click ID', () => {
    calls.length = 0
    expect(recentClicksOf(source).find('not-a-click-id')).toBeUndefined()
    expect(calls).toEqual([])
  })
})

describe('withLanderOffer', () => {
  const id = newClickId(1_717_243_200_123, new Uint8Array(10).fill(9))
  const source = {
    findRecentClick: (clickId: string, clickMs: number) =>
      clickId === id ? click(id, { ts: clickMs, lander_id: 'lander-1', destination_id: '' }) : undefined,
    findRecentLanderClick: (clickId: string, clickMs: number) =>
      clickId === id
        ? {
            type: 'lander_click' as const,
            click_id: id,
            ts: clickMs + 5000,
            workspace_id: 'ws',
            campaign_id: 'c',
            stream_id: 's',
            lander_id: 'lander-1',
            destination_id: 'offer-7',
            source_id: 'src',
            is_unique: 1 as const,
            country: 'DE',
            device: 'mobile',
            destination_url: 'https://offer.test/',
          }
        : undefined,
  }
  // No ClickHouse is reached when the lander click is held in memory, or not needed.
  const noHandle = {} as never

  it('credits the offer the lander sent the visitor to', async () => {
    const recent = recentClicksOf(source)
    const info = recent.find(id)!
    expect(info).toMatchObject({ lander_id: 'lander-1', destination_id: '' })
    expect(await withLanderOffer(info, recent, noHandle)).toMatchObject({
      lander_id: 'lander-1',
      destination_id: 'offer-7',
      stream_id: 's',
    })
  })

  it('leaves a click without lander alone', async () => {
    const info = recentClicksOf({ findRecentClick: () => click(id) }).find(id)!
    const none: RecentClicks = { find: () => undefined }
    expect(await withLanderOffer(info, none, noHandle)).toBe(info)
  })
})
