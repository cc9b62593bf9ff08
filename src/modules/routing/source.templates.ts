/**
 * Traffic source templates: a catalogue of presets for common sources, the validation of a
 * source's parameters, and the pure builder of a campaign link carrying the source's tokens.
 *
 * The idea: a source substitutes its own macros ("tokens", e.g. TrafficStars `{click_id}`,
 * PropellerAds `${SUBID}`) into the URL the buyer pastes into it. The campaign link names OUR
 * parameters and puts the source's tokens in as values —
 * `https://<public url>/c/<alias>?sub1={site_id}&external_id={click_id}` — so the redirect
 * (`hotpath/redirect.handler.ts`) reads `sub1`…`sub10`, `cost` (currency units) and the
 * source's `external_id_param` exactly as it does for any click; nothing on the hot path
 * knows templates exist.
 *
 * Everything here is pure data and pure functions (no I/O), importing only zod: the web app
 * shares it (.dependency-cruiser.cjs WEB_SHARED); the routes in `source-templates.routes.ts`
 * and the source routes in `routing.routes.ts` use it.
 */
import { z } from 'zod'

/** Every target a source parameter may land in: a sub ID, the source's click ID or the click's cost. */
export const SOURCE_PARAM_TARGETS = [
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'sub5',
  'sub6',
  'sub7',
  'sub8',
  'sub9',
  'sub10',
  'external_id',
  'cost',
] as const
/** Where a source parameter lands (the stored `traffic_sources.params` shape of routing.tables.ts is the same). */
export type SourceParamTarget = (typeof SOURCE_PARAM_TARGETS)[number]

/** Key of the "no preset" template. */
export const CUSTOM_TEMPLATE = 'custom'

/**
 * One source parameter (strict). `name` is a short identifier (`zone_id`), `token` the
 * source's macro exactly as the source writes it (`{zone_id}`, `${SUBID}`, `{{ad.id}}`,
 * `__CID__`): 1–200 characters without whitespace, `&`, `#`, `=` or `?` (they would break the
 * link's query string). `label` is what the UI shows.
 */
export const sourceParamSchema = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
  token: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .regex(/^[^\s&#=?]+$/, 'no spaces, &, #, = or ?'),
  target: z.enum(SOURCE_PARAM_TARGETS),
  label: z.string().trim().max(100).optional(),
})

/** One parameter a traffic source passes, e.g. `{ name: 'zone', token: '{zone_id}', target: 'sub1' }`. */
export type SourceParam = z.output<typeof sourceParamSchema>

/**
 * A source's parameters: at most 20, no two on one target and no two with one name; the
 * issue's path names the offending row (`params.2.target`).
 */
export const sourceParamsSchema = z
  .array(sourceParamSchema)
  .max(20)
  .superRefine((params, ctx) => {
    const targets = new Map<string, number>()
    const names = new Map<string, number>()
    params.forEach((p, i) => {
      const t = targets.get(p.target)
      if (t !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [i, 'target'],
          message: `${p.target} is already the target of params.${t}`,
        })
      else targets.set(p.target, i)
      const n = names.get(p.name)
      if (n !== undefined)
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `${p.name} is already params.${n}` })
      else names.set(p.name, i)
    })
  })

/** How a source charges: per click, per 1000 impressions/visits, or not tracked. */
export type CostModel = 'cpc' | 'cpm' | 'none'

/**
 * A template: what to fill into a new traffic source.
 * - `externalIdParam`: our link's parameter the source's click ID arrives in. `external_id`
 *   when a parameter of the template carries the click ID token; the source's own parameter
 *   name (`gclid`, `fbclid`, `ttclid`) when the source appends its click ID to every landing
 *   URL by itself and has no token for it.
 * - `postbackUrl`: the source's conversion postback with the macros postbacks-out renders
 *   (`{external_id}`, `{payout}`, `{currency}` …; see src/modules/postbacks-out/README.md);
 *   placeholders in CAPITALS (`GOAL_ID`) are the buyer's account values to replace. null when
 *   the source takes conversions only through its own API or pixel.
 */
export interface SourceTemplate {
  key: string
  name: string
  costModel: CostModel
  externalIdParam: string
  params: SourceParam[]
  postbackUrl: string | null
  docs: string
  docsUrl: string | null
}

const p = (name: string, token: string, target: SourceParamTarget, label: string): SourceParam => ({
  name,
  token,
  target,
  label,
})

/**
 * The catalogue, in the order the UI lists it (`custom` last). Token names are the sources'
 * own, from the page cited above each entry.
 */
export const SOURCE_TEMPLATES: readonly SourceTemplate[] = [
  // https://support.trafficstars.com/advertising/tracking/what-are-the-available-dynamic-parameters
  // https://support.trafficstars.com/advertising/tracking/traffic-stars-s2s-tracking-api
  {
    key: 'trafficstars',
    name: 'TrafficStars',
    costModel: 'cpm',
    externalIdParam: 'external_id',
    params: [
      p('click_id', '{click_id}', 'external_id', 'TrafficStars click ID'),
      p('site_id', '{site_id}', 'sub1', 'Site ID'),
      p('adspot_id', '{adspot_id}', 'sub2', 'Ad spot (zone) ID'),
      p('campaign_id', '{campaign_id}', 'sub3', 'Campaign ID'),
      p('creative_id', '{creative_id}', 'sub4', 'Creative ID'),
      p('format', '{format}', 'sub5', 'Creative format'),
      p('category', '{category}', 'sub6', 'Category'),
      p('price', '{price}', 'sub7', 'Bid'),
    ],
    postbackUrl: 'https://tsyndicate.com/api/v1/cpa/action/{external_id}',
    docs: 'S2S: TrafficStars passes {click_id}; the postback returns it in the path. To report the payout or several leads per click, append ?value={payout}&lead_code=…&key=YOUR_S2S_KEY (Tracking & API page). {cost} is sent only for DCPM, so cost comes from the default CPM or a cost update.',
    docsUrl:
      'https://support.trafficstars.com/advertising/tracking/what-are-the-available-dynamic-parameters',
  },
  // Postback path and parameters: ExoClick's own https://docs.exoclick.com/docs/conversion-tracking-api/
  // (tag.php?goal=<32-hex goal ID>&tag=<the {conversions_tracking} value>, + cpa & skey for CPA
  // bidding). That page shows only an example host; s.magsrv.com is the host in working public
  // integrations (three independent repositories), not confirmed by ExoClick's docs.
  // {conversions_tracking} as the click ID: https://docs.binom.org/conv-to-source.php.
  // Tokens {campaign_id} {variation_id} {src_hostname} {site_id} {zone_id} {category_id}: the
  // CPA Tracker preset https://github.com/Zlabst/cpatracker/blob/master/track-common/v1.7/track-show/source_config.php
  // and a second open-source tracker's ts_templates seed agree; not seen on an ExoClick page.
  {
    key: 'exoclick',
    name: 'ExoClick',
    costModel: 'cpm',
    externalIdParam: 'external_id',
    params: [
      p('conversions_tracking', '{conversions_tracking}', 'external_id', 'ExoClick conversion tracking ID'),
      p('zone_id', '{zone_id}', 'sub1', 'Zone ID'),
      p('site_id', '{site_id}', 'sub2', 'Site ID'),
      p('src_hostname', '{src_hostname}', 'sub3', 'Site host name'),
      p('campaign_id', '{campaign_id}', 'sub4', 'Campaign ID'),
      p('variation_id', '{variation_id}', 'sub5', 'Variation (creative) ID'),
      p('category_id', '{category_id}', 'sub6', 'Category ID'),
    ],
    postbackUrl: 'https://s.magsrv.com/tag.php?goal=GOAL_ID&tag={external_id}',
    docs: "Create a conversion goal (Campaigns › Conversion Tracking) and put its ID in place of GOAL_ID. tag is the {conversions_tracking} value the click brought. For CPA bidding ExoClick also wants cpa= and skey= (your secret key). Not confirmed from ExoClick's docs: the host s.magsrv.com (their page shows an example host; compare with the URL your account shows) and the names of the zone/site/variation tokens (taken from other trackers' presets).",
    docsUrl: 'https://docs.exoclick.com/docs/conversion-tracking-api/',
  },
  // No PropellerAds page with these was found; independent trackers agree instead:
  // https://trackerry.freshdesk.com/support/solutions/articles/35000109524-setting-up-tracking-with-a-traffic-source
  // (postback ad.propellerads.com/conversion.php?aid=…&pid=&tid=…&visitor_id=${SUBID}; ${SUBID}
  // is the click ID, {zoneid} the zone) and an open-source tracker's ts_templates seed (same
  // postback, ${SUBID}, {zoneid}, {campaignid}). The dashboard's own URL ends &payout=${PAYOUT}
  // (MaxJmac's PropellerAds guide on maxjmac.com). {cost}: buyers' campaign URLs (https://pastebin.com/UpSNjvXU).
  // {bannerid}: only in buyers' PropellerAds URLs in public code, no tracker preset.
  {
    key: 'propellerads',
    name: 'PropellerAds',
    costModel: 'cpm',
    externalIdParam: 'external_id',
    params: [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: PropellerAds' own macro, verbatim
      p('subid', '${SUBID}', 'external_id', 'PropellerAds click ID'),
      p('zoneid', '{zoneid}', 'sub1', 'Zone ID'),
      p('campaignid', '{campaignid}', 'sub2', 'Campaign ID'),
      p('bannerid', '{bannerid}', 'sub3', 'Banner (creative) ID'),
      p('cost', '{cost}', 'cost', 'Cost of the visit'),
    ],
    postbackUrl:
      'https://ad.propellerads.com/conversion.php?aid=YOUR_AID&pid=&tid=YOUR_TID&visitor_id={external_id}&payout={payout}',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: PropellerAds' own macro, verbatim
    docs: "PropellerAds replaces ${SUBID} with its click ID; the postback returns it as visitor_id. Copy aid and tid from the postback URL in your PropellerAds account (Tracking › Conversion tracking). {cost} is the price of the visit. These macros and the postback come from other trackers' guides, not from PropellerAds' own docs; {bannerid} is the least certain.",
    docsUrl:
      'https://trackerry.freshdesk.com/support/solutions/articles/35000109524-setting-up-tracking-with-a-traffic-source',
  },
  // https://support.google.com/google-ads/answer/6305348 (ValueTrack parameters),
  // https://developers.google.com/google-ads/api/docs/reporting/valuetrack-mapping (gclid by auto-tagging)
  {
    key: 'google_ads',
    name: 'Google Ads',
    costModel: 'cpc',
    externalIdParam: 'gclid',
    params: [
      p('campaignid', '{campaignid}', 'sub1', 'Campaign ID'),
      p('adgroupid', '{adgroupid}', 'sub2', 'Ad group ID'),
      p('creative', '{creative}', 'sub3', 'Ad ID'),
      p('keyword', '{keyword}', 'sub4', 'Keyword'),
      p('matchtype', '{matchtype}', 'sub5', 'Match type'),
      p('network', '{network}', 'sub6', 'Network'),
      p('device', '{device}', 'sub7', 'Device'),
      p('placement', '{placement}', 'sub8', 'Placement'),
    ],
    postbackUrl: null,
    docs: "Put the link in the ad's final URL suffix or tracking template. With auto-tagging on, Google appends gclid to every click by itself; it is captured as external_id. Google has no server postback: import conversions (offline conversion import / the Google Ads API) with the gclid. ValueTrack has no cost parameter: enter cost through cost updates.",
    docsUrl: 'https://support.google.com/google-ads/answer/6305348',
  },
  // {{campaign.id}} {{adset.id}} {{ad.id}}: Meta's own
  // https://developers.facebook.com/docs/instagram/ads-api/guides/url-tags-for-tracking.
  // {{placement}} and {{site_source_name}} are not on that page; independent sources agree:
  // https://github.com/CommandersAct/Adloop-Documentation/blob/master/a.-Meta---URL-templates-for-Facebook-Ads-Campaigns.md
  // ({{placement}}), https://doc.eulerian.com/p/O8AeUNCcprPL2E/Understanding-how-end-to-end-dynamic-trafficking-works
  // and https://kb.triplewhale.com/en/articles/6448705-acceptable-utm-alternatives ({{site_source_name}}),
  // https://gist.github.com/underdown/f53d945adbcae604ac78696f8ff91bd9 (both).
  {
    key: 'meta',
    name: 'Meta (Facebook)',
    costModel: 'cpm',
    externalIdParam: 'fbclid',
    params: [
      p('campaign_id', '{{campaign.id}}', 'sub1', 'Campaign ID'),
      p('adset_id', '{{adset.id}}', 'sub2', 'Ad set ID'),
      p('ad_id', '{{ad.id}}', 'sub3', 'Ad ID'),
      p('placement', '{{placement}}', 'sub4', 'Placement'),
      p('site_source_name', '{{site_source_name}}', 'sub5', 'Site source (fb, ig, an, msg)'),
    ],
    postbackUrl: null,
    docs: "Put the query part in the ad's URL parameters. Meta appends fbclid to the landing URL by itself; it is captured as external_id. Meta has no server postback URL: send conversions through the Conversions API. Cost comes from the default cost or cost updates. {{placement}} and {{site_source_name}} are confirmed by other tools' guides, not by Meta's page.",
    docsUrl: 'https://developers.facebook.com/docs/instagram/ads-api/guides/url-tags-for-tracking',
  },
  // ttclid auto-attachment: https://ads.tiktok.com/help/article/tiktok-click-id. Macros
  // __CAMPAIGN_ID__, __AID__ (ad group ID), __CID__ (ad ID), __PLACEMENT__: TikTok's own
  // https://ads.tiktok.com/help/article?aid=6669666107177041925 (its example app-tracking links:
  // af_c_id=__CAMPAIGN_ID__, af_adset_id=__AID__, af_ad_id=__CID__, af_channel=__PLACEMENT__);
  // web guides use the same macros in landing-URL parameters
  // (https://ruler-documentation.readme.io/docs/tiktok-ads, https://help.getklar.com/en/articles/7161421-url-parameters-for-tiktok-ads).
  {
    key: 'tiktok',
    name: 'TikTok',
    costModel: 'cpm',
    externalIdParam: 'ttclid',
    params: [
      p('campaign_id', '__CAMPAIGN_ID__', 'sub1', 'Campaign ID'),
      p('adgroup_id', '__AID__', 'sub2', 'Ad group ID'),
      p('ad_id', '__CID__', 'sub3', 'Ad ID'),
      p('placement', '__PLACEMENT__', 'sub4', 'Placement'),
    ],
    postbackUrl: null,
    docs: "Put the query part in the ad's URL parameters. TikTok appends ttclid to every landing URL by itself; it is captured as external_id. TikTok has no server postback URL: send conversions with the ttclid through the Events API.",
    docsUrl: 'https://ads.tiktok.com/help/article/tiktok-click-id',
  },
  // Tokens: https://kintura.com/docs/presets/pairings/taboola/cityads; postback (click-id, name,
  // revenue, currency): https://developers.taboola.com/pixel/docs/the-postback-url
  {
    key: 'taboola',
    name: 'Taboola',
    costModel: 'cpc',
    externalIdParam: 'external_id',
    params: [
      p('click_id', '{click_id}', 'external_id', 'Taboola click ID'),
      p('site_id', '{site_id}', 'sub1', 'Site (publisher) ID'),
      p('site', '{site}', 'sub2', 'Site name'),
      p('campaign_id', '{campaign_id}', 'sub3', 'Campaign ID'),
      p('campaign_item_id', '{campaign_item_id}', 'sub4', 'Item (ad) ID'),
      p('platform', '{platform}', 'sub5', 'Platform'),
    ],
    postbackUrl:
      'https://trc.taboola.com/actions-handler/log/3/s2s-action?click-id={external_id}&name=EVENT_NAME&revenue={payout}&currency={currency}',
    docs: 'Create an event-based conversion in Taboola Realize (Tracking › New conversion) and put its event name in place of EVENT_NAME, exactly as entered there.',
    docsUrl: 'https://developers.taboola.com/pixel/docs/the-postback-url',
  },
  // Postback: tr.outbrain.com/unifiedPixel?ob_click_id=…&name=…&orderValue=…&currency=… is what
  // https://github.com/stape-io/outbrain-tag/blob/main/template.js sends, and other public
  // integrations agree; Outbrain's own https://www.outbrain.com/help/advertisers/server2server-integrations/
  // was seen only through a summary citing it for the ob_click_id and name keys.
  // {{ob_click_id}} {{campaign_id}} {{ad_id}} {{section_id}} {{section_name}} {{publisher_name}}:
  // an Amplify API suffixTrackingCode in public code; section_id, section_name and
  // publisher_name also via a summary of https://www.outbrain.com/help/advertisers/utm-tracking/.
  // {{publisher_id}} was not found in any source.
  {
    key: 'outbrain',
    name: 'Outbrain',
    costModel: 'cpc',
    externalIdParam: 'external_id',
    params: [
      p('ob_click_id', '{{ob_click_id}}', 'external_id', 'Outbrain click ID'),
      p('section_id', '{{section_id}}', 'sub1', 'Section ID'),
      p('publisher_id', '{{publisher_id}}', 'sub2', 'Publisher ID'),
      p('campaign_id', '{{campaign_id}}', 'sub3', 'Campaign ID'),
      p('ad_id', '{{ad_id}}', 'sub4', 'Ad ID'),
      p('section_name', '{{section_name}}', 'sub5', 'Section name'),
      p('publisher_name', '{{publisher_name}}', 'sub6', 'Publisher name'),
    ],
    postbackUrl:
      'https://tr.outbrain.com/unifiedPixel?ob_click_id={external_id}&name=CONVERSION_NAME&orderValue={payout}&currency={currency}',
    docs: 'Create an event-based conversion in Outbrain (Conversions › Add conversion) and put its event name in place of CONVERSION_NAME, exactly as entered (case-sensitive). {{publisher_id}} is not confirmed by any source: if it arrives literally, remove that row.',
    docsUrl: 'https://www.outbrain.com/help/advertisers/server2server-integrations/',
  },
  {
    key: CUSTOM_TEMPLATE,
    name: 'Custom',
    costModel: 'none',
    externalIdParam: 'external_id',
    params: [],
    postbackUrl: null,
    docs: "Any other source: add a row per token the source substitutes (its click ID → external_id, placement or zone → a sub ID, cost → cost) and its postback URL with {external_id} where the source's click ID goes.",
    docsUrl: null,
  },
]

/** The catalogue template with this key, or undefined. */
export function catalogueTemplate(key: string): SourceTemplate | undefined {
  return SOURCE_TEMPLATES.find((t) => t.key === key)
}

/** The parameter that carries the cost of the click (`target: 'cost'`), or undefined. */
export function costParam(params: readonly SourceParam[]): SourceParam | undefined {
  return params.find((x) => x.target === 'cost')
}

/** The `{macro}` names a postback URL template uses, in order of appearance (duplicates kept once). */
export function postbackMacros(url: string): string[] {
  return [...new Set([...url.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]!))]
}

/** One row of a built link: a source parameter and where it goes. */
export interface LinkParam extends SourceParam {
  /**
   * The query parameter of the link that carries it (`sub1`, `cost`, the source's
   * `external_id_param`), or null when the source appends it itself (`fbclid`, `gclid`).
   */
  queryParam: string | null
}

/** A campaign link with the source's tokens. */
export interface CampaignLink {
  /** `<origin>/c/<alias>`, no query. */
  baseUrl: string
  /** `baseUrl` + `?` + one `param=token` per parameter, tokens verbatim (never encoded). */
  url: string
  params: LinkParam[]
}

/**
 * The query parameter a target travels in on the campaign link: the sub ID's own name,
 * `cost` (the redirect reads it as currency units), or for `external_id` the source's
 * `external_id_param` (the redirect reads that one first, then `external_id`).
 */
export function linkParamName(target: SourceParamTarget, externalIdParam: string): string {
  if (target === 'external_id') return externalIdParam || 'external_id'
  return target
}

/**
 * Builds the campaign link a buyer pastes into the source.
 *
 * @param origin the public base URL (`PUBLIC_URL`, no trailing slash needed).
 * @param alias the campaign's alias (percent-encoded into the path).
 * @param params the source's parameters (already validated by {@link sourceParamsSchema});
 *   empty for a campaign without a source.
 * @param externalIdParam the source's `external_id_param`. When no parameter targets
 *   `external_id` and this is not `external_id`, the source appends its click ID itself
 *   (Google `gclid`, Meta `fbclid`, TikTok `ttclid`): the result lists that as a row with
 *   `queryParam: null` and the link carries nothing for it.
 * @returns `{ baseUrl, url, params }`; tokens go into the URL verbatim, since the source must
 *   find its own macro there to substitute it.
 */
export function buildCampaignLink(input: {
  origin: string
  alias: string
  params: readonly SourceParam[]
  externalIdParam: string
}): CampaignLink {
  const baseUrl = `${input.origin.replace(/\/+$/, '')}/c/${encodeURIComponent(input.alias)}`
  const rows: LinkParam[] = input.params.map((x) => ({
    ...x,
    queryParam: linkParamName(x.target, input.externalIdParam),
  }))
  const query = rows.map((r) => `${r.queryParam}=${r.token}`).join('&')
  const appended = input.externalIdParam && input.externalIdParam !== 'external_id'
  if (appended && !rows.some((r) => r.target === 'external_id'))
    rows.push({
      name: input.externalIdParam,
      token: input.externalIdParam,
      target: 'external_id',
      label: 'Click ID the source appends by itself',
      queryParam: null,
    })
  return { baseUrl, url: query ? `${baseUrl}?${query}` : baseUrl, params: rows }
}

/**
 * The source fields a template fills, as the sources API names them. `template` is the
 * key the source records (a catalogue key or a saved template's id).
 */
export function templateSourceFields(t: SourceTemplate): {
  cost_model: CostModel
  external_id_param: string
  postback_url: string | null
  params: SourceParam[]
} {
  return {
    cost_model: t.costModel,
    external_id_param: t.externalIdParam,
    postback_url: t.postbackUrl,
    params: t.params.map((x) => ({ ...x })),
  }
}

/**
 * A saved template's stored definition (`source_templates.definition`): the template
 * without its key. Parsed strictly when read back, so a hand-edited row cannot smuggle in
 * an invalid parameter list.
 */
export const savedDefinitionSchema = z.strictObject({
  costModel: z.enum(['cpc', 'cpm', 'none']),
  externalIdParam: z.string().max(64),
  params: sourceParamsSchema,
  postbackUrl: z.string().max(4000).nullable(),
  docs: z.string().max(2000).default(''),
  docsUrl: z.string().max(2000).nullable().default(null),
})
export type SavedDefinition = z.output<typeof savedDefinitionSchema>
