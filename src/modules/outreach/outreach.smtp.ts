/**
 * SMTP sending for outreach mailboxes, the shell (rules: `outreach.smtp.core.ts`).
 *
 * One sender per mailbox keeps one SMTP connection open and sends through it one message
 * at a time (mailboxes send with a minimum gap of a minute, so one connection is all the
 * pool a mailbox needs). It is built on nodemailer's `SMTPConnection` rather than on a
 * `createTransport()` transporter because at-most-once delivery needs one fact the
 * transporter hides: whether the message payload had started to flow when a connection
 * died (see the core's rule 2). The payload is handed over as a stream that is only read
 * once the server has answered `354` to DATA (`SMTPConnection.send` pipes it from the DATA
 * reply's callback), so "the stream was read" = "the payload started".
 */
import { Readable } from 'node:stream'
import { createTransport, type SendMailOptions } from 'nodemailer'
import MailComposer from 'nodemailer/lib/mail-composer'
import SMTPConnection from 'nodemailer/lib/smtp-connection'
import type { Logger } from '../../platform/logger.ts'
import { classifySmtpFailure, type SmtpErrorLike, type SmtpOutcome } from './outreach.smtp.core.ts'

/** How to reach a mailbox's SMTP server. */
export interface SmtpCredentials {
  host: string
  port: number
  /** Implicit TLS (port 465); false = plain, upgraded with STARTTLS when the server offers it. */
  secure: boolean
  /** Login; no AUTH when empty. */
  user?: string | undefined
  pass?: string | undefined
  /** Timeouts in ms: TCP/TLS connect (default 15,000), greeting (15,000), socket inactivity (60,000). */
  timeoutsMs?: { connection?: number; greeting?: number; socket?: number } | undefined
  /** Name sent with EHLO (default: nodemailer's, the machine's host name). */
  clientName?: string | undefined
  /** With `secure: false`, fail unless the server offers STARTTLS (default false: plain when not offered). */
  requireTls?: boolean | undefined
}

/** Sends the messages of one mailbox. */
export interface SmtpSender {
  /**
   * Sends one message (nodemailer options, e.g. from `composeEmail`); never rejects:
   * failures are returned classified (`classifySmtpFailure`). Calls are serialized.
   */
  send(options: SendMailOptions): Promise<SmtpOutcome>
  /** Closes the connection (QUIT when idle). Later sends reconnect. */
  close(): void
}

/** Options of {@link createSmtpSender}. */
export interface SmtpSenderOptions {
  /** Close the kept connection after this long without a send, ms (default 60,000). */
  idleMs?: number
  /** Open a new connection after this many messages on one (default 100, like nodemailer's pool). */
  maxMessages?: number
  logger?: Pick<Logger, 'warn' | 'debug'>
}

function connectionOptions(creds: SmtpCredentials): ConstructorParameters<typeof SMTPConnection>[0] {
  const t = creds.timeoutsMs ?? {}
  return {
    host: creds.host,
    port: creds.port,
    secure: creds.secure,
    connectionTimeout: t.connection ?? 15_000,
    greetingTimeout: t.greeting ?? 15_000,
    socketTimeout: t.socket ?? 60_000,
    logger: false,
    ...(creds.clientName ? { name: creds.clientName } : {}),
    ...(creds.requireTls ? { requireTLS: true } : {}),
  }
}

/** The live connection of a sender. */
interface Live {
  conn: SMTPConnection
  sent: number
  dead: boolean
}

/**
 * A sender for one mailbox (see the module comment). The connection is opened on the first
 * send, reused while it lives, replaced after `maxMessages` or any failure, and closed
 * after `idleMs` without sends.
 */
export function createSmtpSender(creds: SmtpCredentials, opts: SmtpSenderOptions = {}): SmtpSender {
  const idleMs = opts.idleMs ?? 60_000
  const maxMessages = opts.maxMessages ?? 100
  let live: Live | undefined
  let idleTimer: NodeJS.Timeout | undefined
  let chain: Promise<unknown> = Promise.resolve()

  const drop = (quit: boolean) => {
    if (!live) return
    const l = live
    live = undefined
    l.dead = true
    if (quit) l.conn.quit()
    else l.conn.close()
  }

  const open = async (): Promise<Live> => {
    const conn = new SMTPConnection(connectionOptions(creds))
    const l: Live = { conn, sent: 0, dead: false }
    // Errors also reach the pending callback; the listener keeps an 'error' event on an idle
    // connection (server gone) from crashing the process.
    conn.on('error', (err: Error) => {
      l.dead = true
      opts.logger?.debug({ err, host: creds.host }, 'outreach smtp connection error')
    })
    conn.on('end', () => {
      l.dead = true
    })
    // A failure while connecting (refused, TLS, timeout) is emitted as 'error' and does not
    // always reach connect()'s callback (nodemailer's transports listen the same way).
    let setupFailed: (err: Error) => void = () => {}
    const failed = new Promise<never>((_, reject) => {
      setupFailed = reject
    })
    conn.once('error', (err: Error) => setupFailed(err))
    try {
      await Promise.race([
        failed,
        new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve()))),
      ])
      if (creds.user) {
        await Promise.race([
          failed,
          new Promise<void>((resolve, reject) =>
            conn.login({ user: creds.user!, pass: creds.pass ?? '' }, (err) =>
              err ? reject(err) : resolve(),
            ),
          ),
        ])
      }
    } catch (err) {
      conn.close()
      throw err
    } finally {
      failed.catch(() => {})
      setupFailed = () => {}
    }
    return l
  }

  const sendOne = async (options: SendMailOptions): Promise<SmtpOutcome> => {
    clearTimeout(idleTimer)
    let raw: Buffer
    let envelope: { from: string | false; to: string[] }
    let messageId: string
    try {
      const node = new MailComposer(options).compile()
      envelope = node.getEnvelope()
      messageId = node.messageId()
      raw = await node.build()
    } catch (err) {
      return {
        ok: false,
        kind: 'permanent',
        scope: 'message',
        suppress: false,
        response: (err as Error).message,
      }
    }
    let payloadStarted = false
    try {
      if (live && (live.dead || live.sent >= maxMessages)) drop(!live.dead)
      live ??= await open()
      const l = live
      l.sent++
      const payload = new Readable({
        read() {
          payloadStarted = true
          this.push(raw)
          this.push(null)
        },
      })
      const info = await new Promise<{ response: string }>((resolve, reject) =>
        l.conn.send({ from: envelope.from || '', to: envelope.to, size: raw.length }, payload, (err, res) =>
          err ? reject(err) : resolve(res as { response: string }),
        ),
      )
      return { ok: true, response: info.response, messageId }
    } catch (err) {
      // The session may be mid-transaction or broken: start the next send on a fresh one.
      drop(false)
      const outcome = classifySmtpFailure(err as SmtpErrorLike, { payloadStarted })
      opts.logger?.warn(
        { host: creds.host, kind: outcome.kind, code: outcome.code, command: outcome.command },
        'outreach smtp send failed',
      )
      return outcome
    } finally {
      if (live) idleTimer = setTimeout(() => drop(true), idleMs).unref()
    }
  }

  return {
    send(options) {
      const p = chain.then(() => sendOne(options))
      chain = p.catch(() => {})
      return p
    },
    close() {
      clearTimeout(idleTimer)
      drop(true)
    },
  }
}

/** Result of a "test connection" check. */
export interface ConnectionTest {
  ok: boolean
  /** Human-readable outcome (the server's or the network's error text on failure). */
  message: string
}

/**
 * Checks that a mailbox's SMTP server is reachable and accepts the login (nodemailer
 * `verify()`: connect, EHLO, STARTTLS when offered, AUTH, QUIT; nothing is sent). Never
 * rejects. Timeouts default to 10 s each.
 */
export async function testSmtp(creds: SmtpCredentials): Promise<ConnectionTest> {
  const t = creds.timeoutsMs ?? {}
  const transport = createTransport({
    host: creds.host,
    port: creds.port,
    secure: creds.secure,
    ...(creds.user ? { auth: { user: creds.user, pass: creds.pass ?? '' } } : {}),
    connectionTimeout: t.connection ?? 10_000,
    greetingTimeout: t.greeting ?? 10_000,
    socketTimeout: t.socket ?? 10_000,
    logger: false,
    ...(creds.requireTls ? { requireTLS: true } : {}),
  })
  try {
    await transport.verify()
    return {
      ok: true,
      message: `connected to ${creds.host}:${creds.port}${creds.user ? ' and logged in' : ''}`,
    }
  } catch (err) {
    return { ok: false, message: (err as Error).message }
  } finally {
    transport.close()
  }
}
