/**
 * The zod type of every URL a user configures that the platform fetches or redirects to
 * (health-check URLs, trafficback URLs, outbound postback templates, TrafficStars base URLs;
 * `PUBLIC_URL` and `CLICKHOUSE_URL` in src/config.ts). Import-free but for zod: the admin UI
 * imports it too (a shared file, see `.dependency-cruiser.cjs`).
 *
 * Only `http:` and `https:`: a `javascript:` trafficback would be a 302 into script, and a
 * `file:` or `gopher:` health check or postback is never what an operator means. The value
 * must also *start* with `http://` or `https://` as written (no leading blank, no `http:x`
 * shorthand): the stored string is what the redirect sends as `Location` and what
 * {@link isHttpUrl} checks at the last line, so the text itself must already be the URL.
 *
 * Whether the host may be private is not a schema question (it needs DNS and the operator's
 * `*_ALLOW_PRIVATE` setting): see `refusePrivateTargets` in `ssrf.ts`.
 */
import { z } from 'zod'

/** Longest configured URL accepted, in characters (templates with many macros stay far below). */
export const MAX_URL_LENGTH = 4000

const HTTP_PREFIX = /^https?:\/\//i

/**
 * Whether `url` is written as an absolute http(s) URL (`http://` or `https://`, any case).
 * The redirect's last line for values saved before the schema was strict. Pure; never throws.
 */
export function isHttpUrl(url: string): boolean {
  return HTTP_PREFIX.test(url)
}

/** An absolute `http(s)://` URL of at most {@link MAX_URL_LENGTH} characters, kept as written. */
export const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' })
  .max(MAX_URL_LENGTH)
  .regex(HTTP_PREFIX, 'must start with http:// or https://')
