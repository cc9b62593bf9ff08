/**
 * First-run sample data: a clearly labelled campaign (alias `sample`) whose streams split
 * visitors by country and device to destinations served by this app itself
 * (`/sample/landing`), so the demo works offline.
 */
import type { Db } from '../../../platform/db/client.ts'
import { bumpConfigVersion } from '../../../platform/db/config-version.ts'
import { conditionsSchema } from '../routing.schema.ts'
import { campaigns, destinations, streamDestinations, streams, trafficSources } from '../routing.tables.ts'

export const SAMPLE_ALIAS = 'sample'

const landing = (publicUrl: string, offer: string) =>
  `${publicUrl}/sample/landing?offer=${offer}&click_id={click_id}&country={country}&device={device}&os={os}&sub1={sub1}&utm_source={utm_source}`

/**
 * Seeds the sample campaign into `workspaceId` in one transaction.
 * Streams: forced "Bots" → offer D; "English-speaking desktop" (US, GB, CA, AU on desktop) → offer A;
 * "Mobile & tablet" → offers B/C weighted 70/30; default "Everyone else" → offer D.
 * @returns the campaign alias.
 */
export async function seedSample(db: Db, workspaceId: string, publicUrl: string): Promise<string> {
  await db.transaction(async (tx) => {
    const [source] = await tx
      .insert(trafficSources)
      .values({
        workspaceId,
        name: '[Sample] Demo traffic source',
        costModel: 'cpc',
        defaultCostMicros: 20_000,
        currency: 'USD',
      })
      .returning()
    const dest = async (offer: string, payoutCents: number) => {
      const [row] = await tx
        .insert(destinations)
        .values({
          workspaceId,
          name: `[Sample] Offer ${offer}`,
          url: landing(publicUrl, offer),
          payoutCents,
          currency: 'USD',
        })
        .returning()
      return row!.id
    }
    const a = await dest('A', 250)
    const b = await dest('B', 120)
    const c = await dest('C', 90)
    const d = await dest('D', 40)
    const [campaign] = await tx
      .insert(campaigns)
      .values({
        workspaceId,
        name: '[Sample] Country and device split',
        alias: SAMPLE_ALIAS,
        sourceId: source!.id,
        timezone: 'UTC',
        currency: 'USD',
        trafficback: { type: 'none' },
        antiRepeat: { enabled: false, window_seconds: 86400 },
      })
      .returning()
    const stream = async (
      name: string,
      kind: 'forced' | 'regular' | 'default',
      priority: number,
      conditions: unknown,
      strategy: 'weighted' | 'waterfall',
      links: { id: string; weight: number }[],
    ) => {
      const [s] = await tx
        .insert(streams)
        .values({
          workspaceId,
          campaignId: campaign!.id,
          name,
          kind,
          priority,
          conditions: conditionsSchema.parse(conditions),
          strategy,
        })
        .returning()
      await tx
        .insert(streamDestinations)
        .values(
          links.map((l, i) => ({ streamId: s!.id, destinationId: l.id, position: i, weight: l.weight })),
        )
    }
    await stream(
      '[Sample] Bots',
      'forced',
      1,
      { groups: [{ rules: [{ type: 'bot', op: 'is' }] }] },
      'waterfall',
      [{ id: d, weight: 100 }],
    )
    await stream(
      '[Sample] English-speaking desktop',
      'regular',
      10,
      {
        join: 'and',
        groups: [
          {
            join: 'and',
            rules: [
              { type: 'country', op: 'is', values: ['US', 'GB', 'CA', 'AU'] },
              { type: 'device', op: 'is', values: ['desktop'] },
            ],
          },
        ],
      },
      'weighted',
      [{ id: a, weight: 100 }],
    )
    await stream(
      '[Sample] Mobile & tablet',
      'regular',
      20,
      { groups: [{ rules: [{ type: 'device', op: 'is', values: ['mobile', 'tablet'] }] }] },
      'weighted',
      [
        { id: b, weight: 70 },
        { id: c, weight: 30 },
      ],
    )
    await stream('[Sample] Everyone else', 'default', 100, {}, 'waterfall', [{ id: d, weight: 100 }])
    await bumpConfigVersion(tx)
  })
  return SAMPLE_ALIAS
}
