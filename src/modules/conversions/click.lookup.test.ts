import { describe, expect, it } from 'vitest'
import type { ClickEvent, TrafficbackEvent } from '../analytics/index.ts'
import { createRecentClicks } from './click.lookup.ts'

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
    ...over,
  }
}

describe('createRecentClicks', () => {
  it('remembers the attributes a conversion copies (not the visitor data)', () => {
    const rc = createRecentClicks({ max: 10 })
    rc.remember(click('A'))
    const got = rc.find('A')!
    expect(got).toMatchObject({
      click_id: 'A',
      campaign_id: 'c',
      country: 'DE',
      cost_micros: 1500,
      sub10: 'z',
    })
    expect(got).not.toHaveProperty('user_agent')
    expect(got).not.toHaveProperty('ip')
    expect(rc.find('B')).toBeUndefined()
  })
  it('evicts the oldest click when full', () => {
    const rc = createRecentClicks({ max: 3 })
    for (const id of ['A', 'B', 'C', 'D']) rc.remember(click(id))
    expect(rc.size()).toBe(3)
    expect(rc.find('A')).toBeUndefined()
    expect(rc.find('D')).toBeDefined()
    // Re-remembering updates the attributes in place; eviction follows first arrival
    // (click IDs are unique, so arrival order is recency).
    rc.remember(click('B', { country: 'FR' }))
    expect(rc.find('B')!.country).toBe('FR')
    expect(rc.size()).toBe(3)
    rc.remember(click('E'))
    expect(rc.find('B')).toBeUndefined()
    expect(rc.find('C')).toBeDefined()
    expect(rc.find('E')).toBeDefined()
  })
  it('rememberAll takes clicks and skips trafficback events', () => {
    const rc = createRecentClicks()
    const tb = { type: 'trafficback', click_id: 'T' } as TrafficbackEvent
    rc.rememberAll([click('A'), tb, click('B')])
    expect(rc.size()).toBe(2)
    expect(rc.find('T')).toBeUndefined()
  })
  it('is cheap enough for the hot path', () => {
    const rc = createRecentClicks({ max: 50_000 })
    const events = Array.from({ length: 100_000 }, (_, i) => click(`C${i}`))
    const t0 = performance.now()
    for (const e of events) rc.remember(e)
    const perClickUs = ((performance.now() - t0) * 1000) / events.length
    expect(rc.size()).toBe(50_000)
    // Typically well under 1 µs; the bound is loose for slow CI machines.
    expect(perClickUs).toBeLessThan(20)
  })
})
