/**
 * The source template catalogue and the campaign link builder: one table per template (the
 * link built, each token → its link parameter and target, the click ID's route to
 * external_id), the postback URLs against postbacks-out's renderer, parameter validation, and
 * a property: every link the builder makes, with the tokens substituted as the source would,
 * parses back (as the redirect parses its query) into exactly the mapped values.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { OUTBOUND_MACROS, renderOutboundUrl } from '../postbacks-out/outbound.core.ts'
import { parseQuery } from './hotpath/redirect.handler.ts'
import { trafficSourceInput } from './routing.schema.ts'
import {
  buildCampaignLink,
  CUSTOM_TEMPLATE,
  catalogueTemplate,
  costParam,
  linkParamName,
  postbackMacros,
  SOURCE_PARAM_TARGETS,
  SOURCE_TEMPLATES,
  type SourceParam,
  sourceParamsSchema,
  templateSourceFields,
} from './source.templates.ts'

const ORIGIN = 'https://trk.example.com'

/** Per template: the link built for alias "summer", and the click-ID route. */
const EXPECTED: Record<
  string,
  { url: string; clickId: { token: string; queryParam: string | null }; cost?: string; postback: boolean }
> = {
  trafficstars: {
    url: `${ORIGIN}/c/summer?external_id={click_id}&sub1={site_id}&sub2={adspot_id}&sub3={campaign_id}&sub4={creative_id}&sub5={format}&sub6={category}&sub7={price}`,
    clickId: { token: '{click_id}', queryParam: 'external_id' },
    postback: true,
  },
  exoclick: {
    url: `${ORIGIN}/c/summer?external_id={conversions_tracking}&sub1={zone_id}&sub2={site_id}&sub3={src_hostname}&sub4={campaign_id}&sub5={variation_id}&sub6={category_id}`,
    clickId: { token: '{conversions_tracking}', queryParam: 'external_id' },
    postback: true,
  },
  propellerads: {
    url: `${ORIGIN}/c/summer?external_id=$\{SUBID}&sub1={zoneid}&sub2={campaignid}&sub3={bannerid}&cost={cost}`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: PropellerAds' own macro
    clickId: { token: '${SUBID}', queryParam: 'external_id' },
    cost: '{cost}',
    postback: true,
  },
  google_ads: {
    url: `${ORIGIN}/c/summer?sub1={campaignid}&sub2={adgroupid}&sub3={creative}&sub4={keyword}&sub5={matchtype}&sub6={network}&sub7={device}&sub8={placement}`,
    clickId: { token: 'gclid', queryParam: null },
    postback: false,
  },
  meta: {
    url: `${ORIGIN}/c/summer?sub1={{campaign.id}}&sub2={{adset.id}}&sub3={{ad.id}}&sub4={{placement}}&sub5={{site_source_name}}`,
    clickId: { token: 'fbclid', queryParam: null },
    postback: false,
  },
  tiktok: {
    url: `${ORIGIN}/c/summer?sub1=__CAMPAIGN_ID__&sub2=__AID__&sub3=__CID__&sub4=__PLACEMENT__`,
    clickId: { token: 'ttclid', queryParam: null },
    postback: false,
  },
  taboola: {
    url: `${ORIGIN}/c/summer?external_id={click_id}&sub1={site_id}&sub2={site}&sub3={campaign_id}&sub4={campaign_item_id}&sub5={platform}`,
    clickId: { token: '{click_id}', queryParam: 'external_id' },
    postback: true,
  },
  outbrain: {
    url: `${ORIGIN}/c/summer?external_id={{ob_click_id}}&sub1={{section_id}}&sub2={{publisher_id}}&sub3={{campaign_id}}&sub4={{ad_id}}&sub5={{section_name}}&sub6={{publisher_name}}`,
    clickId: { token: '{{ob_click_id}}', queryParam: 'external_id' },
    postback: true,
  },
  custom: { url: `${ORIGIN}/c/summer`, clickId: { token: '', queryParam: null }, postback: false },
}

describe('the catalogue', () => {
  it('has the required sources, unique keys, custom last', () => {
    const keys = SOURCE_TEMPLATES.map((t) => t.key)
    expect(keys).toEqual([
      'trafficstars',
      'exoclick',
      'propellerads',
      'google_ads',
      'meta',
      'tiktok',
      'taboola',
      'outbrain',
      CUSTOM_TEMPLATE,
    ])
    expect(new Set(keys).size).toBe(keys.length)
  })

  it.each(SOURCE_TEMPLATES.map((t) => [t.key, t] as const))('%s: params pass the strict schema', (_k, t) => {
    expect(sourceParamsSchema.parse(t.params)).toEqual(t.params)
    // A source made from it passes the sources API's input schema too.
    const fields = templateSourceFields(t)
    const parsed = trafficSourceInput.parse({ name: t.name, template: t.key, ...fields })
    expect(parsed.params).toEqual(t.params)
    expect(t.docs.length).toBeGreaterThan(20)
  })

  it.each(SOURCE_TEMPLATES.map((t) => [t.key, t] as const))(
    '%s: link, token → target, click ID → external_id',
    (key, t) => {
      const want = EXPECTED[key]!
      const link = buildCampaignLink({
        origin: `${ORIGIN}/`,
        alias: 'summer',
        params: t.params,
        externalIdParam: t.externalIdParam,
      })
      expect(link.baseUrl).toBe(`${ORIGIN}/c/summer`)
      expect(link.url).toBe(want.url)
      // Every parameter travels in the link parameter its target names.
      for (const p of t.params) {
        const row = link.params.find((r) => r.name === p.name)!
        expect(row.queryParam).toBe(linkParamName(p.target, t.externalIdParam))
        expect(link.url).toContain(`${row.queryParam}=${p.token}`)
      }
      // The click ID reaches external_id: through a token on the link, or appended by the source.
      const click = link.params.filter((r) => r.target === 'external_id')
      if (key === CUSTOM_TEMPLATE) expect(click).toEqual([])
      else {
        expect(click).toHaveLength(1)
        expect(click[0]).toMatchObject({ token: want.clickId.token, queryParam: want.clickId.queryParam })
        if (want.clickId.queryParam === null) expect(t.externalIdParam).toBe(want.clickId.token)
        else expect(t.externalIdParam).toBe('external_id')
      }
      expect(costParam(t.params)?.token).toBe(want.cost)
      expect(t.postbackUrl !== null).toBe(want.postback)
    },
  )

  it.each(SOURCE_TEMPLATES.filter((t) => t.postbackUrl).map((t) => [t.key, t.postbackUrl!] as const))(
    "%s: the postback uses only postbacks-out's macros and carries {external_id}",
    (_k, url) => {
      const macros = postbackMacros(url)
      expect(macros).toContain('external_id')
      for (const m of macros) expect(OUTBOUND_MACROS).toContain(m)
      // The renderer accepts it (absolute http(s), literal host) and puts the click ID in.
      const rendered = renderOutboundUrl(url, { external_id: 'SRC-CLICK 1', payout: '12.5', currency: 'EUR' })
      expect(rendered).toMatch(/^https:\/\/[a-z.]+\//)
      expect(rendered).toContain('SRC-CLICK%201')
      expect(rendered).not.toMatch(/\{|\}/)
    },
  )

  // The postback host, path and parameter names each source reads (sources cited in the
  // catalogue's comments): the click ID lands in the source's own key.
  it.each([
    ['exoclick', 's.magsrv.com', '/tag.php', { goal: 'GOAL_ID', tag: '{external_id}' }],
    [
      'propellerads',
      'ad.propellerads.com',
      '/conversion.php',
      { aid: 'YOUR_AID', pid: '', tid: 'YOUR_TID', visitor_id: '{external_id}', payout: '{payout}' },
    ],
    [
      'outbrain',
      'tr.outbrain.com',
      '/unifiedPixel',
      {
        ob_click_id: '{external_id}',
        name: 'CONVERSION_NAME',
        orderValue: '{payout}',
        currency: '{currency}',
      },
    ],
    [
      'taboola',
      'trc.taboola.com',
      '/actions-handler/log/3/s2s-action',
      { 'click-id': '{external_id}', name: 'EVENT_NAME', revenue: '{payout}', currency: '{currency}' },
    ],
  ])('%s: postback %s%s with its own parameter names', (key, host, path, query) => {
    const u = new URL(catalogueTemplate(key)!.postbackUrl!)
    expect(u.protocol).toBe('https:')
    expect(u.host).toBe(host)
    expect(u.pathname).toBe(path)
    expect(Object.fromEntries(u.searchParams)).toEqual(query)
  })

  it.each(SOURCE_TEMPLATES.filter((t) => t.key !== CUSTOM_TEMPLATE).map((t) => [t.key, t] as const))(
    '%s: links a docs page over https',
    (_k, t) => {
      expect(t.docsUrl).toMatch(/^https:\/\/[a-z0-9.-]+\//)
    },
  )
})

describe('buildCampaignLink', () => {
  const params: SourceParam[] = [
    { name: 'zone', token: '{zone}', target: 'sub1' },
    { name: 'cid', token: '[CLICKID]', target: 'external_id', label: 'Click' },
  ]
  it.each([
    ['external_id param', 'external_id', `${ORIGIN}/c/a?sub1={zone}&external_id=[CLICKID]`],
    ['custom click-ID param name', 'clickid', `${ORIGIN}/c/a?sub1={zone}&clickid=[CLICKID]`],
    ['empty param name falls back', '', `${ORIGIN}/c/a?sub1={zone}&external_id=[CLICKID]`],
  ])('%s', (_n, externalIdParam, url) => {
    expect(buildCampaignLink({ origin: ORIGIN, alias: 'a', params, externalIdParam }).url).toBe(url)
  })
  it('no source: the bare link', () => {
    expect(
      buildCampaignLink({ origin: ORIGIN, alias: 'a', params: [], externalIdParam: 'external_id' }),
    ).toEqual({ baseUrl: `${ORIGIN}/c/a`, url: `${ORIGIN}/c/a`, params: [] })
  })
  it('percent-encodes the alias, never the tokens', () => {
    const l = buildCampaignLink({ origin: ORIGIN, alias: 'a b', params, externalIdParam: 'external_id' })
    expect(l.url).toBe(`${ORIGIN}/c/a%20b?sub1={zone}&external_id=[CLICKID]`)
  })

  it('property: a link with tokens substituted parses back into the mapped values', () => {
    const target = fc.constantFrom(...SOURCE_PARAM_TARGETS)
    const value = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() === s)
    fc.assert(
      fc.property(
        fc.uniqueArray(target, { maxLength: 12 }),
        fc.array(value, { minLength: 12, maxLength: 12 }),
        (targets, values) => {
          const ps: SourceParam[] = targets.map((t, i) => ({ name: `p${i}`, token: `{t${i}}`, target: t }))
          const link = buildCampaignLink({
            origin: ORIGIN,
            alias: 'x',
            params: ps,
            externalIdParam: 'external_id',
          })
          // The source substitutes its macros with URL-encoded values.
          let url = link.url
          ps.forEach((p, i) => {
            url = url.replace(p.token, encodeURIComponent(values[i]!))
          })
          const q = parseQuery(new URL(url).search)
          ps.forEach((p, i) => {
            expect(q[p.target]).toBe(values[i])
          })
          expect(Object.keys(q).sort()).toEqual([...targets].sort())
        },
      ),
    )
  })
})

describe('sourceParamsSchema', () => {
  const ok = { name: 'zone', token: '{zone}', target: 'sub1' }
  it.each([
    ['two params on one target', [ok, { ...ok, name: 'z2' }], 'params.1.target'],
    ['two params with one name', [ok, { ...ok, target: 'sub2' }], 'params.1.name'],
    ['unknown target', [{ ...ok, target: 'sub11' }], 'params.0.target'],
    ['empty token', [{ ...ok, token: ' ' }], 'params.0.token'],
    ['token with &', [{ ...ok, token: '{a}&b={c}' }], 'params.0.token'],
    ['token too long', [{ ...ok, token: `{${'x'.repeat(200)}}` }], 'params.0.token'],
    ['empty name', [{ ...ok, name: '' }], 'params.0.name'],
    ['name with a space', [{ ...ok, name: 'zone id' }], 'params.0.name'],
    ['unknown key', [{ ...ok, macro: 'x' }], 'params.0'],
    [
      'more than 20',
      Array.from({ length: 21 }, (_, i) => ({ ...ok, name: `n${i}`, target: 'sub1' })),
      'params',
    ],
  ])('refuses %s (%s)', (_n, params, path) => {
    const r = trafficSourceInput.safeParse({ name: 'S', params })
    expect(r.success).toBe(false)
    const paths = r.error!.issues.map((i) => ['params', ...i.path.slice(1)].join('.'))
    expect(paths).toContain(path)
  })
  it('accepts the tokens of every catalogue template and trims', () => {
    expect(sourceParamsSchema.parse([{ ...ok, token: ' {zone} ', label: ' Zone ' }])).toEqual([
      { ...ok, label: 'Zone' },
    ])
  })
  it('catalogueTemplate finds by key only', () => {
    expect(catalogueTemplate('trafficstars')?.name).toBe('TrafficStars')
    expect(catalogueTemplate('TrafficStars')).toBeUndefined()
  })
})
