import { describe, expect, it } from 'vitest'
import type { DestinationRow } from '../routing.types.ts'
import { type AntiRepeat, dropReason } from './availability.ts'
import { compileSnapshot, type CompiledLink } from './snapshot.ts'
import { destinationRow, env, fakeState, NOW, rows, streamRow } from './test-fixtures.ts'

const OFF: AntiRepeat = { enabled: false, windowMs: 3600_000 }
const ON: AntiRepeat = { enabled: true, windowMs: 3600_000 }

/** The compiled link of a one-destination stream with the given destination overrides. */
function link(over: Partial<DestinationRow> = {}, active = true): CompiledLink {
  const d = destinationRow(1, over)
  const snapshot = compileSnapshot(
    rows({
      destinations: [d],
      streams: [streamRow(1, { destinations: [{ destinationId: d.id, weight: 1, active }] })],
    }),
  )
  return snapshot.campaignsByAlias.get('camp')!.streams[0]!.links[0]!
}

describe('dropReason', () => {
  const state = fakeState()
  const id = destinationRow(1).id

  it('keeps an active destination', () => {
    expect(dropReason(link(), env({}, { state }), OFF)).toBeUndefined()
  })

  it('missing destination', () => {
    const snapshot = compileSnapshot(rows({ streams: [streamRow(1, { destinations: [77] })] }))
    const missing = snapshot.campaignsByAlias.get('camp')!.streams[0]!.links[0]!
    expect(dropReason(missing, env(), OFF)).toBe('missing')
  })

  it('inactive link', () => {
    expect(dropReason(link({}, false), env(), OFF)).toBe('inactive_link')
  })

  it.each(['paused', 'archived'] as const)('status %s', (status) => {
    expect(dropReason(link({ status }), env(), OFF)).toBe('status')
  })

  it('outside schedule, in the campaign timezone', () => {
    const l = link({ schedule: { days: [3], from: '09:00', to: '17:00' } })
    expect(dropReason(l, env({}, { now: new Date('2025-03-05T12:00:00Z') }), OFF)).toBeUndefined()
    expect(dropReason(l, env({}, { now: new Date('2025-03-05T18:00:00Z') }), OFF)).toBe('schedule')
    // 18:00Z is 13:00 in New York.
    expect(
      dropReason(l, env({}, { now: new Date('2025-03-05T18:00:00Z'), tz: 'America/New_York' }), OFF),
    ).toBe(undefined)
  })

  it('daily cap: below the cap kept, exactly at the cap dropped', () => {
    const s = fakeState()
    const l = link({ dailyClickCap: 10 })
    s.daily.set(id, 9)
    expect(dropReason(l, env({}, { state: s }), OFF)).toBeUndefined()
    s.daily.set(id, 10)
    expect(dropReason(l, env({}, { state: s }), OFF)).toBe('daily_cap')
  })

  it('total cap: exactly at the cap dropped', () => {
    const s = fakeState()
    const l = link({ totalClickCap: 500 })
    s.total.set(id, 499)
    expect(dropReason(l, env({}, { state: s }), OFF)).toBeUndefined()
    s.total.set(id, 500)
    expect(dropReason(l, env({}, { state: s }), OFF)).toBe('total_cap')
  })

  it('unhealthy dropped; unknown and healthy kept', () => {
    expect(dropReason(link({ health: 'unhealthy' }), env(), OFF)).toBe('unhealthy')
    expect(dropReason(link({ health: 'unknown' }), env(), OFF)).toBeUndefined()
    expect(dropReason(link({ health: 'healthy' }), env(), OFF)).toBeUndefined()
  })

  it('anti-repeat only when enabled and within the window', () => {
    const s = fakeState()
    s.seenDestination.set(`visitor-1|${id}`, NOW.getTime() - 60_000)
    expect(dropReason(link(), env({}, { state: s }), ON)).toBe('anti_repeat')
    expect(dropReason(link(), env({}, { state: s }), OFF)).toBeUndefined()
    expect(dropReason(link(), env({ userKey: 'other' }, { state: s }), ON)).toBeUndefined()
    s.seenDestination.set(`visitor-1|${id}`, NOW.getTime() - 3600_000)
    expect(dropReason(link(), env({}, { state: s }), ON)).toBeUndefined()
  })

  it('treats garbage counters from state as zero', () => {
    const s = fakeState()
    s.daily.set(id, Number.NaN)
    expect(dropReason(link({ dailyClickCap: 1 }), env({}, { state: s }), OFF)).toBeUndefined()
  })
})
