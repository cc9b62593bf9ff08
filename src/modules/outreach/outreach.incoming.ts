/**
 * Raw RFC 5322 message → {@link IncomingMail} for the classifier (`outreach.classify.core.ts`),
 * with postal-mime. A delivery report's returned message stays a part (postal-mime keeps
 * `message/rfc822` as an attachment when the message has report parts), so its headers can
 * be read for the original Message-ID.
 */
import PostalMime from 'postal-mime'
import type { IncomingMail } from './outreach.classify.core.ts'

/** Part types whose content the classifier reads (RFC 3464 / RFC 3462 / RFC 6533 report parts). */
const TEXT_PART_TYPES = new Set([
  'message/delivery-status',
  'message/global-delivery-status',
  'message/rfc822',
  'message/global',
  'text/rfc822-headers',
  'message/global-headers',
])
/** Longest part content kept, characters (a returned message's headers are at its start). */
const MAX_PART_CHARS = 64 * 1024

/** A parsed message plus the fields the reply row stores. */
export interface ParsedIncoming extends IncomingMail {
  /** The message's own Message-ID, if it has one. */
  messageId: string | undefined
  /** `Date` header as ISO 8601, if it parsed. */
  date: string | undefined
}

/**
 * Parses a raw message. Never throws on malformed input beyond what postal-mime refuses
 * (it rejects only on resource limits: nesting depth, header size).
 */
export async function parseIncoming(raw: Buffer | Uint8Array | string): Promise<ParsedIncoming> {
  const mail = await PostalMime.parse(raw, { attachmentEncoding: 'arraybuffer' })
  const decoder = new TextDecoder('utf-8')
  const from = mail.from && 'address' in mail.from && mail.from.address ? mail.from.address.toLowerCase() : ''
  const date =
    mail.date && !Number.isNaN(Date.parse(mail.date)) ? new Date(mail.date).toISOString() : undefined
  return {
    headers: mail.headers.map((h) => ({ key: h.key, value: h.value })),
    subject: mail.subject ?? '',
    from,
    text: mail.text ?? '',
    parts: mail.attachments.map((a) => ({
      mimeType: a.mimeType,
      content: TEXT_PART_TYPES.has(a.mimeType)
        ? (typeof a.content === 'string' ? a.content : decoder.decode(a.content)).slice(0, MAX_PART_CHARS)
        : '',
    })),
    messageId: mail.messageId,
    date,
  }
}
