/**
 * zod schemas of the conversions module: per-network postback settings (stored on
 * `affiliate_networks`), the admin API's query strings and response shapes.
 *
 * Units: money in integer micros (millionths of a currency unit) in every `*_micros` field;
 * timestamps ISO 8601 (UTC) in responses.
 */
import { z } from 'zod'
import { CONVERSION_STATUSES, POSTBACK_OUTCOMES, SUB_KEYS, type SubKey } from './conversions.core.ts'

/** Template presets (see README): which query/body parameters carry what. */
export const POSTBACK_TEMPLATES = [
  'subid_tid_payout_status',
  'cid_txid_payout',
  'cnv_id_payout_cnv_status',
  'custom',
] as const
/** A template preset name. */
export type PostbackTemplate = (typeof POSTBACK_TEMPLATES)[number]

const paramName = z
  .string()
  .regex(/^[A-Za-z0-9_.\-[\]]{1,64}$/, '1–64 chars of A–Z a–z 0–9 _ . - [ ]')
  .describe('query or body parameter name')

/** One of `lead | sale | rejected | rebill`. */
export const conversionStatus = z.enum(CONVERSION_STATUSES)

/**
 * Parameter names of a network's postback. For a preset, each given name overrides the
 * preset's; for `custom`, `click_id` is required. `subs` maps our sub keys to the network's
 * parameter names (e.g. `{ "sub2": "aff_sub2" }`).
 */
export const postbackParamsSchema = z.strictObject({
  click_id: paramName.optional(),
  transaction_id: paramName.optional(),
  payout: paramName.optional(),
  status: paramName.optional(),
  currency: paramName.optional(),
  subs: z
    .strictObject(
      Object.fromEntries(SUB_KEYS.map((k) => [k, paramName.optional()])) as Record<
        SubKey,
        z.ZodOptional<typeof paramName>
      >,
    )
    .optional(),
})
/** Parsed {@link postbackParamsSchema}. */
export type PostbackParams = z.infer<typeof postbackParamsSchema>

/**
 * The network's own status values → our statuses, e.g. `{ "approved": "sale", "1": "sale" }`.
 * Keys are matched case-insensitively after trimming; they extend (and override) the
 * built-in names listed in `DEFAULT_STATUS_MAP`.
 */
export const statusMapSchema = z
  .record(z.string().trim().min(1).max(64), conversionStatus)
  .refine((m) => Object.keys(m).length <= 100, 'at most 100 entries')
/** Parsed {@link statusMapSchema}. */
export type StatusMap = z.infer<typeof statusMapSchema>

/** Body of `PUT /networks/:id/postback-settings` (all fields optional: absent = unchanged). */
export const postbackSettingsInput = z.strictObject({
  template: z.enum(POSTBACK_TEMPLATES).optional(),
  params: postbackParamsSchema.optional(),
  status_map: statusMapSchema.optional(),
  /** Status used when the postback carries none. */
  default_status: conversionStatus.optional(),
})
/** Parsed {@link postbackSettingsInput}. */
export type PostbackSettingsInput = z.infer<typeof postbackSettingsInput>

const isoDateTime = z.iso.datetime({ offset: true }).describe('ISO 8601 date-time, e.g. 2024-06-01T00:00:00Z')
const limit = z.coerce.number().int().min(1).max(500).default(50).describe('page size, 1–500')
const offset = z.coerce.number().int().min(0).max(1_000_000).default(0).describe('rows to skip')

/** Query of `GET /postback-logs`. `from` inclusive, `to` exclusive, on `received_at`. */
export const postbackLogQuery = z
  .object({
    outcome: z.enum(POSTBACK_OUTCOMES).optional(),
    network_id: z.uuid().optional(),
    click_id: z.string().min(1).max(200).optional(),
    transaction_id: z.string().min(1).max(200).optional(),
    from: isoDateTime.optional(),
    to: isoDateTime.optional(),
    limit,
    offset,
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), {
    message: 'must not be before from',
    path: ['to'],
  })
/** Parsed {@link postbackLogQuery} (limit/offset defaulted). */
export type PostbackLogQuery = z.infer<typeof postbackLogQuery>

/** Query of `GET /conversions`. `from` inclusive, `to` exclusive, on `created_at`. */
export const conversionListQuery = z
  .object({
    status: conversionStatus.optional(),
    network_id: z.uuid().optional(),
    campaign_id: z.uuid().optional(),
    destination_id: z.uuid().optional(),
    click_id: z.string().min(1).max(200).optional(),
    transaction_id: z.string().min(1).max(200).optional(),
    from: isoDateTime.optional(),
    to: isoDateTime.optional(),
    limit,
    offset,
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), {
    message: 'must not be before from',
    path: ['to'],
  })
/** Parsed {@link conversionListQuery} (limit/offset defaulted). */
export type ConversionListQuery = z.infer<typeof conversionListQuery>

/** `:id` path parameter (UUID). */

const ts = z.string().describe('ISO 8601 timestamp')

/** Response item of `GET /postback-logs`. */
export const postbackLogOut = z.object({
  id: z.uuid(),
  received_at: ts,
  network_id: z.uuid().nullable(),
  method: z.string(),
  query: z.string().describe('raw query string, secret redacted, truncated to 2 KiB'),
  body: z.string().describe('raw body, secret redacted, truncated to 4 KiB'),
  ip: z.string(),
  outcome: z.enum(POSTBACK_OUTCOMES),
  http_status: z.number(),
  reason: z.string(),
  click_id: z.string(),
  transaction_id: z.string(),
  status: z.string().describe('mapped status, "" when not parsed'),
  payout_micros: z.number().nullable(),
  conversion_id: z.uuid().nullable(),
})

/** Response item of `GET /conversions` (money in micros of `currency`). */
export const conversionOut = z.object({
  id: z.uuid(),
  network_id: z.uuid().nullable(),
  click_id: z.string(),
  transaction_id: z.string(),
  status: conversionStatus,
  seen_statuses: z.array(conversionStatus),
  payout_micros: z.number().describe('payout of the last accepted non-rejected status'),
  revenue_micros: z.number().describe('revenue counted now: payout, or 0 when rejected'),
  currency: z.string(),
  version: z.number(),
  campaign_id: z.string(),
  stream_id: z.string(),
  destination_id: z.string(),
  source_id: z.string(),
  country: z.string(),
  device: z.string(),
  os: z.string(),
  browser: z.string(),
  external_id: z.string(),
  cost_micros: z.number().describe("the click's cost"),
  click_ts: ts,
  subs: z.record(z.string(), z.string()).describe('sub1..sub10 (click values, else postback values)'),
  created_at: ts,
  updated_at: ts,
})

/** One accepted change of a conversion (`GET /conversions/:id` → `events`). */
export const conversionEventOut = z.object({
  seq: z.number(),
  ts,
  status: conversionStatus,
  previous_status: z.string(),
  conversions_delta: z.number(),
  revenue_delta_micros: z.number(),
  payout_micros: z.number(),
  currency: z.string(),
  synced_at: ts.nullable().describe('when the event reached ClickHouse'),
})

/** Response of `GET|PUT /networks/:id/postback-settings`. */
export const postbackSettingsOut = z.object({
  network_id: z.uuid(),
  template: z.enum(POSTBACK_TEMPLATES),
  params: postbackParamsSchema,
  status_map: z.record(z.string(), conversionStatus),
  default_status: conversionStatus,
  has_postback_secret: z.boolean(),
  ip_allowlist: z.array(z.string()),
  /** Effective parameter names (preset + overrides). */
  effective_params: z.record(z.string(), z.string()),
  /** Ready-to-paste postback URL for the network's panel, with its macros as `{…}`. */
  postback_url: z.string(),
})

/** Response of `GET /networks/:id/postback-secret` (workspace owners and admins only). */
export const postbackSecretOut = z.object({
  network_id: z.uuid(),
  /** The network's postback secret; null when it has none. */
  secret: z.string().nullable(),
  /** The postback URL with the real secret in place of `{secret}`, the network's macros as `{…}`. */
  postback_url: z.string(),
})
