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
  // https://docs.exoclick.com/docs/conversion-tracking-api/ (tag = the {conversions_tracking} token)
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
    docs: 'Create a conversion goal (Campaigns › Conversion Tracking) and put its ID in place of GOAL_ID. tag is the {conversions_tracking} value the click brought. For CPA bidding ExoClick also wants cpa= and skey= (your secret key).',
    docsUrl: 'https://docs.exoclick.com/docs/conversion-tracking-api/',
  },
  // Tokens: ${SUBID}, {zoneid}, {campaignid}, {cost} as in a PropellerAds campaign URL
  // (https://pastebin.com/UpSNjvXU) and https://coldfusion-example.blogspot.com/2026/02/propellerads-s2s-postback-guide-fixing.html
  // (${SUBID} → visitor_id). The postback's host and aid/tid are the account's own: copy them
  // from the PropellerAds dashboard (Tracking › Conversion tracking).
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
    docs: 'PropellerAds replaces ${SUBID} with its click ID; the postback returns it as visitor_id. Copy aid and tid from the postback URL in your PropellerAds account (Tracking › Conversion tracking). {cost} is the price of the visit in USD.',
    docsUrl: 'https://coldfusion-example.blogspot.com/2026/02/propellerads-s2s-postback-guide-fixing.html',
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
  // Dynamic parameters {{campaign.id}} {{adset.id}} {{ad.id}} {{site_source_name}}:
  // https://doc.eulerian.com/p/O8AeUNCcprPL2E/Understanding-how-end-to-end-dynamic-trafficking-works;
  // Meta's own page: https://www.facebook.com/business/help/1016122818401732
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
    docs: "Put the query part in the ad's URL parameters. Meta appends fbclid to the landing URL by itself; it is captured as external_id. Meta has no server postback URL: send conversions through the Conversions API. Cost comes from the default cost or cost updates.",
    docsUrl: 'https://www.facebook.com/business/help/1016122818401732',
  },
  // ttclid auto-attachment: https://ads.tiktok.com/help/article/tiktok-click-id; the __NAME__
  // macro form: https://adwhatcost.com/blog/cautionary-tale-of-why-you-should-always-check-your-tiktok-ads-url-macros-for-typos.html
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
  // Outbrain Amplify's dynamic URL parameters and its unifiedPixel S2S endpoint:
  // https://www.outbrain.com/help/advertisers/dynamic-url-parameters/
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
    docs: 'Create a conversion event in Outbrain (Conversions › Add conversion) and put its name in place of CONVERSION_NAME.',
    docsUrl: 'https://www.outbrain.com/help/advertisers/dynamic-url-parameters/',
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
