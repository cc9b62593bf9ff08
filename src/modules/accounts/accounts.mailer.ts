/**
 * Outgoing account email (password reset) through SMTP with nodemailer.
 *
 * `SMTP_URL` is a nodemailer connection URL: `smtp://user:pass@host:587` (STARTTLS when the
 * server offers it), `smtps://host:465` (TLS from the start), `smtp://127.0.0.1:2525` (a local
 * relay). Without `SMTP_URL` there is no mailer; the callers log instead (see README).
 */
import { createTransport } from 'nodemailer'

/** One plain-text message. */
export interface MailMessage {
  to: string
  subject: string
  text: string
}

/** Sends account email. */
export interface Mailer {
  /** Sends one message; rejects when the SMTP server refuses it or is unreachable. */
  send(msg: MailMessage): Promise<void>
  /** Closes pooled connections. */
  close(): void
}

/**
 * A mailer over SMTP, or undefined when `smtpUrl` is empty.
 * @param opts.from the From header, e.g. `traffoflex <no-reply@example.com>`.
 */
export function createMailer(opts: { smtpUrl?: string | undefined; from: string }): Mailer | undefined {
  if (!opts.smtpUrl) return undefined
  const transport = createTransport(opts.smtpUrl, { from: opts.from })
  return {
    async send(msg) {
      await transport.sendMail({ to: msg.to, subject: msg.subject, text: msg.text })
    },
    close() {
      transport.close()
    },
  }
}
