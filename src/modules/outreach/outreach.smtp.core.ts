/**
 * What a failed SMTP send means for the email, the pure part (shell: `outreach.smtp.ts`).
 * Outreach sends are **at most once**: a creator must never get the same email twice, so a
 * send whose outcome cannot be known is recorded as `unknown` and never retried, while a
 * send that certainly did not reach the server is retried within the sending window.
 *
 * The decision uses nodemailer's error (`responseCode`, `response`, `command`, `code`) plus
 * one fact only the shell can observe: whether the message payload had started to flow
 * (the server answered `354` to DATA and the first bytes were read). nodemailer reports a
 * connection lost in the middle of DATA as `{code:'ECONNECTION', command:'CONN'}`, the same
 * as a connection lost before MAIL FROM, so `command` alone cannot tell the two apart.
 *
 * Rules, in order (RFC 5321 section numbers):
 * 1. A reply was received (`responseCode`):
 *    - 4yz → `temporary`: "transient negative completion … the action may be requested
 *      again" (§4.2.1). This includes 421 (service closing, §3.8) at any step, and a 4yz
 *      reply to the end of data, which means the server did not take responsibility for
 *      the message (§4.1.1.4: only a 250 does).
 *    - 503 (bad sequence of commands) → `temporary`: the session was in the wrong state,
 *      not the message refused (nodemailer's `isPermanentResponseCode` agrees).
 *    - other 5yz → `permanent`: "permanent negative completion … the SMTP client SHOULD NOT
 *      repeat the exact request" (§4.2.1). `suppress` is true when the recipient address
 *      itself is bad: an enhanced status `5.1.x` (RFC 3463 §3.2, addressing status:
 *      bad mailbox, bad system, bad syntax, moved…), or, without an enhanced status, a
 *      550/551/553 reply to RCPT TO (§4.2.2: mailbox unavailable / user not local / mailbox
 *      name not allowed). A `5.7.x` policy refusal at RCPT (e.g. our IP is blocklisted) is
 *      permanent but does not suppress: it is about the sender, not the address.
 *    - 2yz/3yz where something else was expected (protocol confusion) → as rule 2.
 * 2. No reply:
 *    - the payload had started → `unknown`: after the final `.` the server may have
 *      accepted and queued the message before the connection died; §4.1.1.4 and RFC 1047
 *      ("Duplicate messages and SMTP") describe exactly this window, in which the client
 *      cannot know whether delivery happened. At-most-once means: do not retry.
 *    - otherwise (CONN, greeting, EHLO, STARTTLS, AUTH, MAIL FROM, RCPT TO, DATA before
 *      354; `ECONNECTION`/`ETIMEDOUT`/`ESOCKET`/`EDNS`/`ETLS`) → `temporary`: no message
 *      data was transmitted, so no transaction can have completed (§3.3: the transaction
 *      completes only at the end of mail data).
 *    - local refusals before any I/O (`EENVELOPE`/`EMESSAGE` from the API, `ECONFIG`,
 *      `EAUTH`/`ENOAUTH` such as missing credentials) → `permanent`: sending again would
 *      fail the same way.
 *
 * `scope` tells the caller whom the failure concerns: `connection` (server unreachable or
 * misbehaving), `mailbox` (AUTH or MAIL FROM refused: fix the mailbox's settings, do not
 * fail the email), `recipient` (RCPT TO), `message` (DATA and after).
 */

/** The fields of a nodemailer error that decide its meaning (see `NodemailerError`). */
export interface SmtpErrorLike {
  code?: string | undefined
  responseCode?: number | undefined
  response?: string | undefined
  command?: string | undefined
  message?: string | undefined
}

/** A failed send's meaning. */
export interface SmtpFailure {
  ok: false
  kind: 'temporary' | 'permanent' | 'unknown'
  /** Whom it concerns (see the module comment). */
  scope: 'connection' | 'mailbox' | 'recipient' | 'message'
  /** Whether the caller should add the recipient to the suppression list. */
  suppress: boolean
  /** SMTP reply code, when the server answered. */
  code?: number
  /** RFC 3463 enhanced status code (`5.1.1`), when the reply had one. */
  enhanced?: string
  /** The server's reply, or the error message when there was none. */
  response: string
  /** The step that failed as nodemailer names it (`RCPT TO`, `DATA`, `CONN`, `AUTH PLAIN`…). */
  command?: string
}

/** A successful send. */
export interface SmtpSuccess {
  ok: true
  /** The server's reply to the end of data (`250 2.0.0 Ok: queued as …`). */
  response: string
  /** The Message-ID the message carried. */
  messageId: string
}

export type SmtpOutcome = SmtpSuccess | SmtpFailure

/** What the shell observed of the transaction besides the error. */
export interface SendObservation {
  /** Whether the server accepted DATA (354) and the message body started to be read. */
  payloadStarted: boolean
}

const ENHANCED_RE = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})(?=\s|$)/
const LOCAL_PERMANENT = new Set([
  'EENVELOPE',
  'EMESSAGE',
  'ECONFIG',
  'EAUTH',
  'ENOAUTH',
  'EREQUIRETLS',
  'EMAXRECIPIENTS',
])

/** The RFC 3463 enhanced status code at the start of a reply text (`550 5.1.1 …` → `5.1.1`), if any. */
export function enhancedStatus(response: string | undefined): string | undefined {
  return response ? ENHANCED_RE.exec(response)?.[1] : undefined
}

function scopeOf(command: string | undefined, payloadStarted: boolean): SmtpFailure['scope'] {
  if (payloadStarted || command === 'DATA') return 'message'
  if (!command) return 'connection'
  if (command.startsWith('AUTH') || command === 'MAIL FROM') return 'mailbox'
  if (command === 'RCPT TO') return 'recipient'
  return 'connection'
}

/**
 * The meaning of a failed send (rules in the module comment). Pure.
 * @param err the error nodemailer's `SMTPConnection` gave (or anything with those fields).
 * @param seen whether the payload had started to flow when it failed.
 */
export function classifySmtpFailure(err: SmtpErrorLike, seen: SendObservation): SmtpFailure {
  const responseCode =
    typeof err.responseCode === 'number' && err.responseCode > 0 ? err.responseCode : undefined
  const response = (err.response ?? err.message ?? '').trim()
  const enhanced = enhancedStatus(err.response)
  const base = {
    ok: false as const,
    response,
    scope: scopeOf(err.command, seen.payloadStarted),
    ...(responseCode ? { code: responseCode } : {}),
    ...(enhanced ? { enhanced } : {}),
    ...(err.command ? { command: err.command } : {}),
  }
  if (responseCode && responseCode >= 400 && responseCode < 600) {
    if (responseCode < 500 || responseCode === 503) return { ...base, kind: 'temporary', suppress: false }
    const suppress = enhanced
      ? enhanced.startsWith('5.1.')
      : err.command === 'RCPT TO' && [550, 551, 553].includes(responseCode)
    return { ...base, kind: 'permanent', suppress }
  }
  if (seen.payloadStarted) return { ...base, kind: 'unknown', suppress: false }
  if (!responseCode && err.code && LOCAL_PERMANENT.has(err.code))
    return { ...base, kind: 'permanent', suppress: false }
  return { ...base, kind: 'temporary', suppress: false }
}
