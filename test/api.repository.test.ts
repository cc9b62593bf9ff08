/**
 * Configuration store repository (no HTTP): loadConfigRows for the snapshot, the config
 * version on every write, workspace scoping and atomicity — on PGlite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createCampaign,
  createDestination,
  createNetwork,
  createSource,
  createStream,
  deleteCampaign,
  deleteDestination,
  deleteNetwork,
  deleteSource,
  deleteStream,
  getStream,
  loadConfigRows,
  readConfigVersion,
  updateCampaign,
  updateDestination,
  updateNetwork,
  updateSource,
  updateStream,
} from '../src/modules/routing/routing.api.ts'
import {
  affiliateNetworkInput,
  campaignInput,
  destinationInput,
  streamInput,
  trafficSourceInput,
} from '../src/modules/routing/routing.schema.ts'
import { AppError } from '../src/platform/errors.ts'
import { createWorkspaceWithKey } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

type Handle = Awaited<ReturnType<typeof throwawayDb>>

describe.each(['pglite', 'postgres'] as const)('routing repository on %s', (kind) => {
  let h: Handle
  let wsA: string
  let wsB: string

  beforeAll(async () => {
    h = await throwawayDb(kind)
    wsA = (await createWorkspaceWithKey(h.db)).workspaceId
    wsB = (await createWorkspaceWithKey(h.db)).workspaceId
  })
  afterAll(async () => {
    await h?.drop()
  })

  it('starts at version 0 with no rows', async () => {
    expect(await loadConfigRows(h.db)).toEqual({
      version: 0,
      campaigns: [],
      streams: [],
      destinations: [],
      landers: [],
      sources: [],
    })
  })

  it('loadConfigRows returns every workspace, camelCase, with stream destinations in order', async () => {
    const src = await createSource(
      h.db,
      wsA,
      trafficSourceInput.parse({
        name: 'src',
        cost_model: 'cpm',
        default_cost_micros: 2_000_000,
        postback_url: 'https://pb.test/',
      }),
    )
    const net = await createNetwork(
      h.db,
      wsA,
      affiliateNetworkInput.parse({ name: 'net', postback_secret: 'zq-secret-9' }),
    )
    const d1 = await createDestination(
      h.db,
      wsA,
      destinationInput.parse({
        name: 'd1',
        url: 'https://d1.test/{click_id}',
        network_id: net.id,
        total_click_cap: 500,
      }),
    )
    const d2 = await createDestination(
      h.db,
      wsA,
      destinationInput.parse({ name: 'd2', url: 'https://d2.test/' }),
    )
    const camp = await createCampaign(
      h.db,
      wsA,
      campaignInput.parse({
        name: 'camp',
        alias: 'repo-camp',
        source_id: src.id,
        trafficback: { type: 'url', url: 'https://tb.test/' },
      }),
    )
    const stream = await createStream(
      h.db,
      wsA,
      streamInput.parse({
        campaign_id: camp.id,
        name: 'st',
        kind: 'forced',
        conditions: { groups: [{ rules: [{ type: 'country', values: ['us'] }] }] },
        destinations: [{ destination_id: d2.id, weight: 3 }, { destination_id: d1.id }],
      }),
    )
    const bCamp = await createCampaign(h.db, wsB, campaignInput.parse({ name: 'b', alias: 'repo-b' }))

    const rows = await loadConfigRows(h.db)
    expect(rows.version).toBe(await readConfigVersion(h.db))
    expect(rows.version).toBe(7)
    expect(rows.sources).toEqual([
      {
        id: src.id,
        workspaceId: wsA,
        name: 'src',
        costModel: 'cpm',
        defaultCostMicros: 2_000_000,
        currency: 'USD',
        externalIdParam: 'external_id',
      },
    ])
    expect(rows.campaigns.map((c) => c.id)).toEqual([camp.id, bCamp.id])
    expect(rows.campaigns[0]).toEqual({
      id: camp.id,
      workspaceId: wsA,
      alias: 'repo-camp',
      name: 'camp',
      sourceId: src.id,
      status: 'active',
      timezone: 'UTC',
      costMicros: null,
      currency: 'USD',
      trafficback: { type: 'url', url: 'https://tb.test/' },
      antiRepeat: { enabled: false, window_seconds: 86400 },
    })
    expect(rows.campaigns[1]!.workspaceId).toBe(wsB)
    expect(rows.destinations.find((d) => d.id === d1.id)).toEqual({
      id: d1.id,
      workspaceId: wsA,
      name: 'd1',
      url: 'https://d1.test/{click_id}',
      networkId: net.id,
      payoutCents: 0,
      currency: 'USD',
      status: 'active',
      schedule: null,
      dailyClickCap: null,
      totalClickCap: 500,
      capTimezone: 'UTC',
      healthCheck: null,
      health: 'unknown',
    })
    expect(rows.streams).toHaveLength(1)
    expect(rows.streams[0]).toMatchObject({
      id: stream.id,
      workspaceId: wsA,
      campaignId: camp.id,
      kind: 'forced',
      priority: 100,
      strategy: 'weighted',
      active: true,
      conditions: {
        join: 'and',
        groups: [{ join: 'and', rules: [{ type: 'country', op: 'is', values: ['US'] }] }],
      },
      destinations: [
        { destinationId: d2.id, weight: 3, active: true },
        { destinationId: d1.id, weight: 100, active: true },
      ],
    })
    // Nothing secret or irrelevant leaks into the snapshot.
    expect(JSON.stringify(rows)).not.toContain('zq-secret-9')
    expect(JSON.stringify(rows)).not.toContain('pb.test')
  })

  it('every write bumps the version exactly once; failed writes bump nothing and write nothing', async () => {
    let v = await readConfigVersion(h.db)
    const step = async (fn: () => Promise<unknown>) => {
      await fn()
      expect(await readConfigVersion(h.db)).toBe(++v)
    }
    const fails = async (fn: () => Promise<unknown>, status: number, path: string) => {
      const err = await fn().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(AppError)
      expect((err as AppError).status).toBe(status)
      expect(JSON.stringify((err as AppError).details ?? (err as AppError).message)).toContain(path)
      expect(await readConfigVersion(h.db)).toBe(v)
    }
    const s = await createSource(h.db, wsB, trafficSourceInput.parse({ name: 'x' }))
    v++
    await step(() => updateSource(h.db, wsB, s.id, { name: 'y' }))
    const n = await createNetwork(h.db, wsB, affiliateNetworkInput.parse({ name: 'n' }))
    v++
    await step(() => updateNetwork(h.db, wsB, n.id, { ip_allowlist: ['1.1.1.1'] }))
    const d = await createDestination(
      h.db,
      wsB,
      destinationInput.parse({ name: 'd', url: 'https://d.test/' }),
    )
    v++
    await step(() => updateDestination(h.db, wsB, d.id, { network_id: n.id }))
    const c = await createCampaign(h.db, wsB, campaignInput.parse({ name: 'c', alias: 'repo-v' }))
    v++
    await step(() => updateCampaign(h.db, wsB, c.id, { source_id: s.id }))
    const st = await createStream(h.db, wsB, streamInput.parse({ campaign_id: c.id, name: 's' }))
    v++
    await step(() =>
      updateStream(h.db, wsB, st.id, { destinations: [{ destination_id: d.id, weight: 1, active: true }] }),
    )

    // Wrong workspace = not found; foreign references = 400 naming the field.
    await fails(() => updateSource(h.db, wsA, s.id, { name: 'z' }), 404, 'not found')
    await fails(() => deleteStream(h.db, wsA, st.id), 404, 'not found')
    const aSrc = (await loadConfigRows(h.db)).sources.find((x) => x.workspaceId === wsA)!
    await fails(
      () => updateCampaign(h.db, wsB, c.id, { source_id: aSrc.id, name: 'renamed' }),
      400,
      'source_id',
    )
    await fails(
      () =>
        updateStream(h.db, wsB, st.id, {
          name: 'renamed',
          destinations: [{ destination_id: aSrc.id, weight: 1, active: true }],
        }),
      400,
      'destinations.0.destination_id',
    )
    await fails(
      () => createCampaign(h.db, wsA, campaignInput.parse({ name: 'dup', alias: 'repo-v' })),
      409,
      'alias',
    )
    const after = await getStream(h.db, wsB, st.id)
    expect(after.name).toBe('s')
    expect(after.destinations).toEqual([{ destinationId: d.id, weight: 1, active: true }])

    await step(() => deleteStream(h.db, wsB, st.id))
    await step(() => deleteCampaign(h.db, wsB, c.id))
    await step(() => deleteDestination(h.db, wsB, d.id))
    await step(() => deleteNetwork(h.db, wsB, n.id))
    await step(() => deleteSource(h.db, wsB, s.id))
    expect((await loadConfigRows(h.db)).version).toBe(v)
  })

  it('loadConfigRows is consistent with concurrent writes (version matches rows)', async () => {
    const writes = Array.from({ length: 10 }, (_, i) =>
      createSource(h.db, wsA, trafficSourceInput.parse({ name: `concurrent ${i}` })),
    )
    const loads = Array.from({ length: 5 }, () => loadConfigRows(h.db))
    await Promise.all(writes)
    const snapshots = await Promise.all(loads)
    const final = await loadConfigRows(h.db)
    // Each write adds one source and one version: (sources - version) is invariant.
    const k = final.sources.length - final.version
    for (const s of snapshots) expect(s.sources.length - s.version).toBe(k)
  })
})
