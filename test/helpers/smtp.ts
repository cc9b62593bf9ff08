/**
 * A real SMTP server on loopback for tests of account email (password resets, invitations):
 * `smtp-server` accepts every message, postal-mime parses it into the inbox.
 */
import PostalMime from 'postal-mime'
import { SMTPServer } from 'smtp-server'
import { expect } from 'vitest'

/** A message the loopback SMTP server accepted. */
export interface Received {
  from: string
  to: string[]
  subject: string
  text: string
}

/** A loopback SMTP server that keeps every message it accepts (no TLS, no auth). */
export async function startSmtp(): Promise<{ url: string; inbox: Received[]; close(): Promise<void> }> {
  const inbox: Received[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        PostalMime.parse(Buffer.concat(chunks)).then(
          (mail) => {
            inbox.push({
              from: mail.from?.address ?? '',
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: mail.subject ?? '',
              text: mail.text ?? '',
            })
            callback()
          },
          (err: Error) => callback(err),
        )
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const { port } = server.server.address() as { port: number }
  return {
    url: `smtp://127.0.0.1:${port}`,
    inbox,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** Polls `fn` (vitest's `expect.poll`, 10 s) until it returns a value, and returns it. */
export async function waitFor<T>(fn: () => T | undefined, what: string): Promise<T> {
  await expect.poll(() => fn() !== undefined, { message: `waiting for ${what}`, timeout: 10_000 }).toBe(true)
  return fn()!
}
