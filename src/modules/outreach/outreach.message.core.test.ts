import MailComposer from 'nodemailer/lib/mail-composer'
import PostalMime from 'postal-mime'
import { describe, expect, it } from 'vitest'
import {
  addressDomain,
  composeEmail,
  footerText,
  MESSAGE_ID_RE,
  newMessageId,
} from './outreach.message.core.ts'

const BASE = {
  from: { email: 'sam@agency.example', name: 'Sam Sender' },
  to: 'creator@mail.example',
  subject: 'Collab idea',
  text: 'Hi Ana,\n\nLove your videos.\n',
  messageId: '<0123456789abcdef0123456789abcdef@agency.example>',
  unsubscribeUrl: 'https://app.example/api/v1/outreach/unsubscribe/abc.def',
  footerAddress: 'Agency Ltd\n1 Main St, Springfield',
}

describe('newMessageId', () => {
  it.each([
    ['agency.example', Buffer.alloc(16, 0xab), `<${'ab'.repeat(16)}@agency.example>`],
    ['Mail.Agency.EXAMPLE', Buffer.alloc(16, 1), `<${'01'.repeat(16)}@mail.agency.example>`],
  ])('%s → %s', (domain, bytes, want) => {
    expect(newMessageId(domain, () => bytes)).toBe(want)
  })

  it('is random by default and matches MESSAGE_ID_RE', () => {
    const a = newMessageId('x.example')
    expect(a).toMatch(MESSAGE_ID_RE)
    expect(newMessageId('x.example')).not.toBe(a)
  })

  it.each(['', 'a b.example', 'x@y', '-x.example', 'x..example'])('refuses domain %j', (d) => {
    expect(() => newMessageId(d)).toThrow(TypeError)
  })
})

describe('addressDomain', () => {
  it.each([
    ['a@B.Example', 'b.example'],
    ['"a@b"@c.example', 'c.example'],
    ['nobody', ''],
  ])('%s → %s', (a, want) => expect(addressDomain(a)).toBe(want))
})

describe('composeEmail', () => {
  it('sets Message-ID, the RFC 8058 headers and the footer', () => {
    const o = composeEmail({ ...BASE, runId: 'run-1', campaignId: 'camp-1' })
    expect(o).toEqual({
      from: { name: 'Sam Sender', address: 'sam@agency.example' },
      to: 'creator@mail.example',
      subject: 'Collab idea',
      text:
        'Hi Ana,\n\nLove your videos.\n\n-- \nAgency Ltd\n1 Main St, Springfield\n' +
        'Unsubscribe: https://app.example/api/v1/outreach/unsubscribe/abc.def\n',
      messageId: BASE.messageId,
      headers: {
        'List-Unsubscribe': {
          prepared: true,
          value: '<https://app.example/api/v1/outreach/unsubscribe/abc.def>',
        },
        'List-Unsubscribe-Post': { prepared: true, value: 'List-Unsubscribe=One-Click' },
        'Feedback-ID': { prepared: true, value: 'run-1:camp-1:outreach:traffoflex' },
      },
    })
    expect(o.html).toBeUndefined()
  })

  it('renders with nodemailer to a plain-text message with the exact headers', async () => {
    const long = `https://app.example/api/v1/outreach/unsubscribe/${'A'.repeat(90)}.${'b'.repeat(22)}`
    const raw = await new MailComposer(composeEmail({ ...BASE, unsubscribeUrl: long })).compile().build()
    const head = `\r\n${raw.toString('latin1').split('\r\n\r\n')[0]!}\r\n`
    expect(head).toContain(`\r\nMessage-ID: ${BASE.messageId}\r\n`)
    expect(head).toContain(`\r\nList-Unsubscribe: <${long}>\r\n`)
    expect(head).toContain('\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n')
    expect(head).toMatch(/\r\nContent-Type: text\/plain; charset=utf-8\r\n/)
    const parsed = await PostalMime.parse(raw)
    expect(parsed.messageId).toBe(BASE.messageId)
    expect(parsed.html).toBeUndefined()
    expect(parsed.text).toContain(`Unsubscribe: ${long}`)
  })

  it('collapses CR/LF in the subject and the sender name', () => {
    const o = composeEmail({
      ...BASE,
      subject: 'Hi\r\nBcc: evil@x.example',
      from: { email: 'a@b.example', name: 'A\nB' },
    })
    expect(o.subject).toBe('Hi Bcc: evil@x.example')
    expect(o.from).toEqual({ name: 'A B', address: 'a@b.example' })
  })

  it('allows http only on loopback', () => {
    expect(() => composeEmail({ ...BASE, unsubscribeUrl: 'http://127.0.0.1:3000/u/x' })).not.toThrow()
    expect(() => composeEmail({ ...BASE, unsubscribeUrl: 'http://app.example/u/x' })).toThrow(TypeError)
  })

  it.each([
    [{ messageId: 'no-brackets@x.example' }],
    [{ messageId: '<a b@x.example>' }],
    [{ to: 'not an address' }],
    [{ to: 'a@b.example, c@d.example' }],
    [{ unsubscribeUrl: 'mailto:u@x.example' }],
  ])('refuses %j', (patch) => {
    expect(() => composeEmail({ ...BASE, ...patch })).toThrow(TypeError)
  })
})

describe('footerText', () => {
  it('normalizes line ends and trims', () => {
    expect(footerText('  A\r\nB \r\n', 'https://u.example/x')).toBe(
      '-- \nA\nB\nUnsubscribe: https://u.example/x',
    )
  })
})
