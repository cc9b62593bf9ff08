/**
 * The outgoing outreach email, the pure part: its Message-ID (generated and stored before
 * the SMTP transaction, so replies and bounces can be matched to the email even when the
 * send's outcome is unknown) and the nodemailer message options (plain text only, with the
 * RFC 8058 one-click unsubscribe headers and a footer carrying the sender's postal address
 * and a visible unsubscribe link, as CAN-SPAM §7704(a)(3),(5) asks of commercial email).
 * The shell (`outreach.smtp.ts`) renders and sends it.
 */
import { randomBytes as cryptoRandomBytes } from 'node:crypto'
import type { SendMailOptions } from 'nodemailer'

/** A host name usable on the right of a Message-ID (RFC 5322 §3.6.4 `id-right` as `dot-atom-text`). */
const DOMAIN_RE =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/
/** The shape {@link newMessageId} produces, and the only one {@link composeEmail} accepts. */
export const MESSAGE_ID_RE = /^<[A-Za-z0-9._-]+@[a-z0-9.-]+>$/

/**
 * A new globally unique Message-ID `<32 hex digits@domain>` (RFC 5322 §3.6.4: the right
 * side should be a domain name the generator controls; 128 random bits make the left side
 * unique without a counter). `domain` is lower-cased.
 * @param randomBytes source of randomness (injectable for tests), default `crypto.randomBytes`.
 * @throws TypeError when `domain` is not a host name.
 */
export function newMessageId(domain: string, randomBytes: (n: number) => Buffer = cryptoRandomBytes): string {
  const d = domain.toLowerCase()
  if (!DOMAIN_RE.test(d)) throw new TypeError(`not a host name: ${JSON.stringify(domain)}`)
  return `<${randomBytes(16).toString('hex')}@${d}>`
}

/** The domain of an address (`a@b.example` → `b.example`), lower-cased; '' when there is no `@`. */
export function addressDomain(email: string): string {
  const at = email.lastIndexOf('@')
  return at < 0 ? '' : email.slice(at + 1).toLowerCase()
}

/** Input of {@link composeEmail}. */
export interface ComposeInput {
  from: { email: string; name?: string }
  /** One recipient address. */
  to: string
  subject: string
  /** The rendered body (merge fields already substituted), plain text. */
  text: string
  /** `<…@domain>` from {@link newMessageId}, as stored in `outreach_emails.message_id`. */
  messageId: string
  /** The one-click URL (`…/api/v1/outreach/unsubscribe/<token>`); https (http only for loopback hosts). */
  unsubscribeUrl: string
  /** The sender's physical postal address (campaign `footer_address`), may span lines. */
  footerAddress: string
  /** Feedback-ID parts (Gmail's feedback loop groups complaints by them); optional. */
  runId?: string
  campaignId?: string
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/** Collapses CR/LF (header injection) and runs of whitespace in a one-line header value. */
function oneLine(s: string): string {
  return s.replace(/[\r\n\t]+/g, ' ').trim()
}

/**
 * The footer appended to every body: a signature separator (`-- `, RFC 3676 §4.3), the
 * postal address, and a plain `Unsubscribe: <url>` line for clients that do not show the
 * List-Unsubscribe header.
 */
export function footerText(footerAddress: string, unsubscribeUrl: string): string {
  const address = footerAddress.replace(/\r\n?/g, '\n').trim()
  return `-- \n${address}\nUnsubscribe: ${unsubscribeUrl}`
}

/**
 * The nodemailer message options of one outreach email:
 * - `messageId` is passed as nodemailer's `messageId` option, which becomes the
 *   `Message-ID` header verbatim (nodemailer generates one only when the option is absent);
 * - `List-Unsubscribe: <url>` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`
 *   (RFC 8058 §3.1; Gmail and Yahoo require both from bulk senders since 2024). They are
 *   passed `prepared` so nodemailer neither folds nor encodes them;
 * - `Feedback-ID: <runId>:<campaignId>:outreach:traffoflex` when IDs are given;
 * - the text body ends with {@link footerText}; no HTML part (plain text gets past filters
 *   better for one-to-one outreach, and there is nothing to track).
 * CR/LF in `subject` and `from.name` are collapsed to spaces.
 * @throws TypeError for a malformed `messageId`, an unsubscribe URL that is not https (http
 *   is allowed for loopback hosts, for tests), or a `to`/`from` address without `@`.
 */
export function composeEmail(input: ComposeInput): SendMailOptions {
  if (!MESSAGE_ID_RE.test(input.messageId))
    throw new TypeError(`bad Message-ID ${JSON.stringify(input.messageId)}`)
  const url = URL.parse(input.unsubscribeUrl)
  if (
    !url ||
    !(url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)))
  ) {
    throw new TypeError(`unsubscribe URL must be https: ${JSON.stringify(input.unsubscribeUrl)}`)
  }
  for (const a of [input.to, input.from.email]) {
    if (!/^[^\s@<>,;]+@[^\s@<>,;]+$/.test(a))
      throw new TypeError(`not an email address: ${JSON.stringify(a)}`)
  }
  const body = input.text.replace(/\r\n?/g, '\n').replace(/\s+$/, '')
  const headers: Record<string, { prepared: true; value: string }> = {
    'List-Unsubscribe': { prepared: true, value: `<${url.href}>` },
    'List-Unsubscribe-Post': { prepared: true, value: 'List-Unsubscribe=One-Click' },
  }
  const feedback = [input.runId, input.campaignId].filter((x): x is string => !!x).map(oneLine)
  if (feedback.length)
    headers['Feedback-ID'] = { prepared: true, value: `${feedback.join(':')}:outreach:traffoflex` }
  return {
    from: { name: oneLine(input.from.name ?? ''), address: input.from.email },
    to: input.to,
    subject: oneLine(input.subject),
    text: `${body}\n\n${footerText(input.footerAddress, url.href)}\n`,
    messageId: input.messageId,
    headers,
  }
}
