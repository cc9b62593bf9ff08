/**
 * The outreach SMTP sender against a real SMTP server (`smtp-server` on loopback): the sent
 * message carries our Message-ID exactly, the RFC 8058 headers and the footer; 4xx →
 * temporary, 550 5.1.1 → permanent + suppress, a connection dropped after the payload →
 * unknown; the connection is reused and replaced after failures; test-connection checks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { composeEmail, newMessageId } from '../src/modules/outreach/outreach.message.core.ts'
import { createSmtpSender, testSmtp } from '../src/modules/outreach/outreach.smtp.ts'
import { startOutreachSmtp } from './helpers/outreach-smtp.ts'

type Server = Awaited<ReturnType<typeof startOutreachSmtp>>
let smtp: Server

beforeAll(async () => {
  smtp = await startOutreachSmtp({ auth: { user: 'sam', pass: 'pw' }, slowMs: 1_500 })
})
afterAll(async () => {
  await smtp.close()
})

const creds = () => ({ host: smtp.host, port: smtp.port, secure: false, user: 'sam', pass: 'pw' })

function email(to: string) {
  const messageId = newMessageId('agency.example')
  return composeEmail({
    from: { email: 'sam@agency.example', name: 'Sam' },
    to,
    subject: 'Collab?',
    text: 'Hi there,\nwant to work together?',
    messageId,
    unsubscribeUrl: 'https://app.example/api/v1/outreach/unsubscribe/tok.en',
    footerAddress: 'Agency Ltd, 1 Main St, Springfield',
    runId: 'r1',
    campaignId: 'c1',
  })
}

describe('createSmtpSender', () => {
  it('sends with our Message-ID, the RFC 8058 headers and the footer; reuses the connection', async () => {
    const sender = createSmtpSender(creds())
    const connectionsBefore = smtp.stats.connections
    try {
      const opts = email('ana@creator.example')
      const out = await sender.send(opts)
      expect(out).toMatchObject({ ok: true, messageId: opts.messageId })
      if (out.ok) expect(out.response).toMatch(/^250 /)
      const m = smtp.messages.at(-1)!
      expect(m.envelope).toEqual({ from: 'sam@agency.example', to: ['ana@creator.example'] })
      expect(m.messageId).toBe(opts.messageId)
      expect(m.header('list-unsubscribe')).toBe('<https://app.example/api/v1/outreach/unsubscribe/tok.en>')
      expect(m.header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click')
      expect(m.header('feedback-id')).toBe('r1:c1:outreach:traffoflex')
      expect(m.header('content-type')).toMatch(/^text\/plain/)
      expect(m.text).toContain('want to work together?')
      expect(m.text).toContain('Agency Ltd, 1 Main St, Springfield')
      expect(m.text).toContain('Unsubscribe: https://app.example/api/v1/outreach/unsubscribe/tok.en')
      expect(m.raw.toString('latin1')).toContain(`\r\nMessage-ID: ${opts.messageId}\r\n`)

      const again = await sender.send(email('bo@creator.example'))
      expect(again.ok).toBe(true)
      expect(smtp.messages.at(-1)!.envelope.to).toEqual(['bo@creator.example'])
      expect(smtp.stats.connections - connectionsBefore).toBe(1)
    } finally {
      sender.close()
    }
  })

  it('4xx at RCPT and at the end of data → temporary, nothing recorded as accepted', async () => {
    const sender = createSmtpSender(creds())
    try {
      smtp.answerNext('4xx-rcpt')
      const a = await sender.send(email('t1@creator.example'))
      expect(a).toMatchObject({
        ok: false,
        kind: 'temporary',
        code: 451,
        enhanced: '4.3.0',
        command: 'RCPT TO',
      })
      smtp.answerNext('4xx-data')
      const before = smtp.messages.length
      const b = await sender.send(email('t2@creator.example'))
      expect(b).toMatchObject({ ok: false, kind: 'temporary', code: 451, command: 'DATA', scope: 'message' })
      expect(smtp.messages.length).toBe(before)
      // the next send goes through on a fresh connection
      expect((await sender.send(email('t3@creator.example'))).ok).toBe(true)
    } finally {
      sender.close()
    }
  })

  it('550 5.1.1 at RCPT → permanent, suppress', async () => {
    const sender = createSmtpSender(creds())
    try {
      smtp.answerRecipient('gone@creator.example', '5xx')
      const out = await sender.send(email('gone@creator.example'))
      expect(out).toMatchObject({
        ok: false,
        kind: 'permanent',
        suppress: true,
        code: 550,
        enhanced: '5.1.1',
        command: 'RCPT TO',
        scope: 'recipient',
      })
    } finally {
      sender.close()
    }
  })

  it('connection dropped after the payload → unknown (the server did read the message)', async () => {
    const sender = createSmtpSender(creds())
    try {
      smtp.answerNext('drop-after-data')
      const opts = email('maybe@creator.example')
      const out = await sender.send(opts)
      expect(out).toMatchObject({ ok: false, kind: 'unknown', scope: 'message', suppress: false })
      const m = smtp.messages.at(-1)!
      expect(m.messageId).toBe(opts.messageId)
      expect(m.accepted).toBe(false)
    } finally {
      sender.close()
    }
  })

  it('no answer to the end of data within the socket timeout → unknown', async () => {
    const sender = createSmtpSender({ ...creds(), timeoutsMs: { socket: 500 } })
    try {
      smtp.answerNext('slow')
      const out = await sender.send(email('slow@creator.example'))
      expect(out).toMatchObject({ ok: false, kind: 'unknown' })
    } finally {
      sender.close()
    }
  })

  it('unreachable server and bad password → temporary (connection) / permanent (mailbox)', async () => {
    const down = createSmtpSender({ host: '127.0.0.1', port: 1, secure: false })
    expect(await down.send(email('x@creator.example'))).toMatchObject({
      ok: false,
      kind: 'temporary',
      scope: 'connection',
    })
    down.close()
    const badPw = createSmtpSender({ ...creds(), pass: 'nope' })
    expect(await badPw.send(email('x@creator.example'))).toMatchObject({
      ok: false,
      kind: 'permanent',
      scope: 'mailbox',
      code: 535,
    })
    badPw.close()
  })
})

describe('testSmtp', () => {
  it('reports ok with good credentials and the server error otherwise', async () => {
    expect(await testSmtp(creds())).toMatchObject({ ok: true })
    const bad = await testSmtp({ ...creds(), pass: 'nope' })
    expect(bad.ok).toBe(false)
    expect(bad.message).toMatch(/535/)
    expect((await testSmtp({ host: '127.0.0.1', port: 1, secure: false })).ok).toBe(false)
  })
})
