import { describe, expect, it } from 'vitest'
import { compileSnapshot, findCampaign } from './snapshot.ts'
import { campaignRow, destinationRow, rows, sourceRow, streamRow, uid, WS } from './test-fixtures.ts'

describe('compileSnapshot', () => {
  it('orders streams forced → regular → default, each by priority, then name', () => {
    const snapshot = compileSnapshot(
      rows({
        streams: [
          streamRow(1, { kind: 'default', priority: 0 }),
          streamRow(2, { kind: 'regular', priority: 5 }),
          streamRow(3, { kind: 'regular', priority: 1 }),
          streamRow(4, { kind: 'forced', priority: 50 }),
          streamRow(5, { kind: 'forced', priority: 10 }),
          streamRow(6, { kind: 'regular', priority: 5, name: 'A first by name' }),
          streamRow(7, { kind: 'regular', priority: 1, active: false }),
        ],
      }),
    )
    expect(findCampaign(snapshot, 'camp')!.streams.map((s) => s.name)).toEqual([
      'S5',
      'S4',
      'S3',
      'A first by name',
      'S2',
      'S1',
    ])
  })

  it('keeps active and paused campaigns, drops archived ones', () => {
    const snapshot = compileSnapshot(
      rows({
        campaigns: [
          campaignRow(),
          campaignRow({ id: uid(2), alias: 'paused', status: 'paused' }),
          campaignRow({ id: uid(3), alias: 'gone', status: 'archived' }),
        ],
      }),
    )
    expect([...snapshot.campaignsByAlias.keys()]).toEqual(['camp', 'paused'])
    expect(snapshot.campaignsById.has(uid(3))).toBe(false)
    expect(findCampaign(snapshot, 'gone')).toBeUndefined()
  })

  it('isolates workspaces and reports what it could not use', () => {
    const other = '00000000-0000-4000-8000-00000000bbbb'
    const snapshot = compileSnapshot(
      rows({
        campaigns: [campaignRow({ sourceId: uid(9), timezone: 'Nowhere/Else' })],
        destinations: [
          destinationRow(1, { workspaceId: other }),
          destinationRow(2, { url: 'javascript:alert(1)' }),
          destinationRow(3),
        ],
        streams: [
          streamRow(1, { destinations: [1, 2, 3] }),
          streamRow(2, { workspaceId: other }),
          streamRow(3, {
            conditions: {
              join: 'and',
              groups: [{ join: 'and', rules: [{ type: 'ip', op: 'is', values: ['bogus'] }] }],
            },
          }),
        ],
        sources: [sourceRow({ workspaceId: other })],
      }),
    )
    const c = findCampaign(snapshot, 'camp')!
    expect(c.timezone).toBe('UTC')
    expect(c.source).toBeNull()
    expect(c.streams.map((s) => s.name)).toEqual(['S1', 'S3'])
    expect(c.streams[0]!.links.map((l) => l.destination?.name)).toEqual([undefined, undefined, 'D3'])
    expect(snapshot.warnings.join('\n')).toMatch(/unknown timezone/)
    expect(snapshot.warnings.join('\n')).toMatch(/another workspace/)
    expect(snapshot.warnings.join('\n')).toMatch(/not an absolute http\(s\) URL/)
    expect(snapshot.warnings.join('\n')).toMatch(/invalid IP or CIDR "bogus"/)
  })

  it('sanitises weights and exploration and defaults the uniqueness window', () => {
    const snapshot = compileSnapshot(
      rows({
        campaigns: [campaignRow({ antiRepeat: { enabled: true, window_seconds: Number.NaN } })],
        streams: [
          streamRow(1, {
            exploration: 7,
            destinations: [{ destinationId: uid(1001), weight: -3, active: true }],
          }),
        ],
      }),
    )
    const c = findCampaign(snapshot, 'camp')!
    expect(c.uniqueWindowMs).toBe(86_400_000)
    expect(c.streams[0]!.exploration).toBe(1)
    expect(c.streams[0]!.links[0]!.weight).toBe(0)
    expect(c.workspaceId).toBe(WS)
  })
})
