/**
 * A programmable SMTP server on loopback for the outreach sender's tests (`smtp-server`):
 * it records every accepted message in full (raw bytes, envelope, parsed headers) and can be
 * told how to answer a given recipient or the next N messages:
 * - `'4xx-rcpt'`: `451 4.3.0` to RCPT TO; `'4xx-data'`: `451 4.3.0` to the end of data;
 * - `'5xx'`: `550 5.1.1` (user unknown) to RCPT TO;
 * - `'drop-after-data'`: read the whole payload, then destroy the socket without replying
 *   (the client cannot know whether the message was taken);
 * - `'slow'`: wait `slowMs` (default 3,000) before answering the end of data, then accept.
 * No TLS; AUTH only when `auth` is given (PLAIN/LOGIN over plain text, loopback only).
 */
import PostalMime, { type Header } from 'postal-mime'
import { SMTPServer, type SMTPServerSession } from 'smtp-server'

export type SmtpBehavior = '4xx-rcpt' | '4xx-data' | '5xx' | 'drop-after-data' | 'slow'

/** A message the server accepted (or, for `drop-after-data`, read and then dropped). */
export interface RecordedMessage {
  envelope: { from: string; to: string[] }
  raw: Buffer
  headers: Header[]
  /** The value of a header by case-insensitive name (first occurrence). */
  header(name: string): string | undefined
  messageId: string | undefined
  subject: string
  text: string
  /** Whether the client was told the message was accepted. */
  accepted: boolean
}

interface Rule {
  to?: string
  remaining: number
  behavior: SmtpBehavior
}

function smtpError(code: number, text: string): Error {
  const err = new Error(text) as Error & { responseCode: number }
  err.responseCode = code
  return err
}

/**
 * Starts the server on 127.0.0.1 at a free port.
 * @param opts.auth when set, AUTH is required with these credentials.
 * @param opts.slowMs the delay of `'slow'`, ms.
 */
export async function startOutreachSmtp(
  opts: { auth?: { user: string; pass: string }; slowMs?: number } = {},
) {
  const messages: RecordedMessage[] = []
  const rules: Rule[] = []
  const behaviorOf = new Map<string, SmtpBehavior | undefined>()
  const slowMs = opts.slowMs ?? 3_000
  /** Message payloads received in full (before any answer). */
  let payloads = 0
  const stats = { connections: 0 }

  const pick = (to: string): SmtpBehavior | undefined => {
    const i = rules.findIndex((r) => r.remaining > 0 && (r.to === undefined || r.to === to.toLowerCase()))
    if (i < 0) return undefined
    const r = rules[i]!
    r.remaining--
    return r.behavior
  }

  const server: SMTPServer = new SMTPServer({
    ...(opts.auth
      ? {
          authMethods: ['PLAIN', 'LOGIN'],
          allowInsecureAuth: true,
          onAuth(auth, _session, cb) {
            if (auth.username === opts.auth!.user && auth.password === opts.auth!.pass)
              cb(null, { user: auth.username })
            else cb(smtpError(535, '5.7.8 Authentication credentials invalid'))
          },
        }
      : { authOptional: true, disabledCommands: ['AUTH'] }),
    disabledCommands: opts.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 100,
    onConnect(_session, cb) {
      stats.connections++
      cb()
    },
    onMailFrom(_address, session, cb) {
      behaviorOf.delete(session.id)
      cb()
    },
    onRcptTo(address, session, cb) {
      const b = pick(address.address)
      behaviorOf.set(session.id, b)
      if (b === '4xx-rcpt') return cb(smtpError(451, '4.3.0 Try again later'))
      if (b === '5xx')
        return cb(smtpError(550, `5.1.1 <${address.address}>: Recipient address rejected: User unknown`))
      cb()
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        payloads++
        const b = behaviorOf.get(session.id)
        const raw = Buffer.concat(chunks)
        const record = (accepted: boolean) =>
          PostalMime.parse(raw).then((mail) => {
            messages.push({
              envelope: envelopeOf(session),
              raw,
              headers: mail.headers,
              header: (name) => mail.headers.find((h) => h.key === name.toLowerCase())?.value,
              messageId: mail.messageId,
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              accepted,
            })
          })
        if (b === 'drop-after-data') {
          void record(false).then(() => socketOf(session)?.destroy())
          return
        }
        if (b === '4xx-data') return cb(smtpError(451, '4.3.0 Queue full, try again later'))
        const accept = () => record(true).then(() => cb(), cb)
        if (b === 'slow') setTimeout(accept, slowMs)
        else void accept()
      })
    },
  })

  const envelopeOf = (session: SMTPServerSession) => ({
    from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
    to: session.envelope.rcptTo.map((r) => r.address),
  })
  const socketOf = (session: SMTPServerSession) =>
    [...server.connections].find((c) => c.id === session.id)?._socket

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const { port } = server.server.address() as { port: number }
  return {
    host: '127.0.0.1',
    port,
    messages,
    /** Counters: `connections` = SMTP sessions opened so far. */
    stats,
    /** Message payloads received in full so far, answered or not (a `slow` answer is still pending). */
    payloadsReceived: () => payloads,
    /** Answers messages to `to` (every one, or the next `count`) with `behavior`. */
    answerRecipient(to: string, behavior: SmtpBehavior, count = Number.POSITIVE_INFINITY) {
      rules.push({ to: to.toLowerCase(), remaining: count, behavior })
    },
    /** Answers the next `count` messages (any recipient) with `behavior`. */
    answerNext(behavior: SmtpBehavior, count = 1) {
      rules.push({ remaining: count, behavior })
    },
    /** Forgets all programmed answers. */
    reset() {
      rules.length = 0
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of server.connections) c._socket.destroy()
        server.close(() => resolve())
      }),
  }
}
