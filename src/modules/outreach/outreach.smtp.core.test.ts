import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { classifySmtpFailure, enhancedStatus, type SmtpErrorLike } from './outreach.smtp.core.ts'

// Errors shaped as nodemailer 10's SMTPConnection produces them (smtp-connection/index.js _formatError).
const reply = (command: string, response: string, code = 'EENVELOPE'): SmtpErrorLike => ({
  code,
  command,
  response,
  responseCode: Number(response.slice(0, 3)),
  message: `failed: ${response}`,
})
const noReply = (
  code: string,
  command = 'CONN',
  message = 'Connection closed unexpectedly',
): SmtpErrorLike => ({
  code,
  command,
  message,
})

describe('classifySmtpFailure', () => {
  it.each<[string, SmtpErrorLike, boolean, object]>([
    // 4yz: transient (RFC 5321 §4.2.1)
    [
      '451 at RCPT',
      reply('RCPT TO', '451 4.3.0 Try again later'),
      false,
      { kind: 'temporary', scope: 'recipient', code: 451, enhanced: '4.3.0', suppress: false },
    ],
    [
      '451 at end of data',
      reply('DATA', '451 4.3.0 Queue full', 'EMESSAGE'),
      true,
      { kind: 'temporary', scope: 'message', code: 451, suppress: false },
    ],
    [
      '421 closing',
      reply('CONN', '421 4.7.0 Too many connections', 'ECONNECTION'),
      false,
      { kind: 'temporary', scope: 'connection', code: 421 },
    ],
    [
      '450 greylisting at RCPT',
      reply('RCPT TO', '450 4.2.0 Greylisted'),
      false,
      { kind: 'temporary', code: 450 },
    ],
    // 5yz: permanent; suppress for recipient address errors
    [
      '550 5.1.1 at RCPT',
      reply('RCPT TO', '550 5.1.1 <x@y>: Recipient address rejected: User unknown'),
      false,
      { kind: 'permanent', scope: 'recipient', code: 550, enhanced: '5.1.1', suppress: true },
    ],
    [
      '550 without enhanced at RCPT',
      reply('RCPT TO', '550 No such user here'),
      false,
      { kind: 'permanent', suppress: true },
    ],
    ['551 at RCPT', reply('RCPT TO', '551 User not local'), false, { kind: 'permanent', suppress: true }],
    [
      '553 at RCPT',
      reply('RCPT TO', '553 mailbox name not allowed'),
      false,
      { kind: 'permanent', suppress: true },
    ],
    [
      '552 at RCPT (quota) is not an address error',
      reply('RCPT TO', '552 Mailbox full'),
      false,
      { kind: 'permanent', suppress: false },
    ],
    [
      '550 5.7.1 policy at RCPT does not suppress',
      reply('RCPT TO', '550 5.7.1 Service unavailable; client host blocked'),
      false,
      { kind: 'permanent', suppress: false, enhanced: '5.7.1' },
    ],
    [
      '554 5.7.1 spam at end of data',
      reply('DATA', '554 5.7.1 Message rejected as spam', 'EMESSAGE'),
      true,
      { kind: 'permanent', scope: 'message', suppress: false },
    ],
    [
      '550 5.1.1 at end of data (per-recipient reject after DATA)',
      reply('DATA', '550 5.1.1 User unknown', 'EMESSAGE'),
      true,
      { kind: 'permanent', suppress: true },
    ],
    [
      '535 AUTH',
      reply('AUTH PLAIN', '535 5.7.8 Authentication credentials invalid', 'EAUTH'),
      false,
      { kind: 'permanent', scope: 'mailbox', suppress: false },
    ],
    [
      '553 at MAIL FROM is about the sender',
      reply('MAIL FROM', '553 5.7.1 Sender address rejected'),
      false,
      { kind: 'permanent', scope: 'mailbox', suppress: false },
    ],
    [
      '503 bad sequence is not permanent',
      reply('RCPT TO', '503 5.5.1 Error: need MAIL command'),
      false,
      { kind: 'temporary' },
    ],
    // no reply: before the payload → temporary, after → unknown
    [
      'connection refused',
      { ...noReply('ECONNECTION', 'CONN', 'connect ECONNREFUSED 127.0.0.1:1'), code: 'ESOCKET' },
      false,
      { kind: 'temporary', scope: 'connection' },
    ],
    [
      'greeting timeout',
      noReply('ETIMEDOUT', 'CONN', 'Greeting never received'),
      false,
      { kind: 'temporary' },
    ],
    ['closed at RCPT', noReply('ECONNECTION'), false, { kind: 'temporary' }],
    ['DNS', noReply('EDNS', 'CONN', 'getaddrinfo ENOTFOUND smtp.nowhere'), false, { kind: 'temporary' }],
    [
      'closed during/after DATA',
      noReply('ECONNECTION'),
      true,
      { kind: 'unknown', scope: 'message', suppress: false },
    ],
    ['socket timeout after DATA', noReply('ETIMEDOUT', 'CONN', 'Timeout'), true, { kind: 'unknown' }],
    ['socket error after DATA', noReply('ESOCKET', 'CONN', 'read ECONNRESET'), true, { kind: 'unknown' }],
    // local refusals
    [
      'invalid recipient (API)',
      noReply('EENVELOPE', 'API', 'Invalid recipient "x"'),
      false,
      { kind: 'permanent', suppress: false },
    ],
    [
      'missing credentials (API)',
      noReply('EAUTH', 'API', 'Missing credentials for "PLAIN"'),
      false,
      { kind: 'permanent' },
    ],
    [
      'message too large (API)',
      noReply('EMESSAGE', 'MAIL FROM', 'Message size larger than allowed 100'),
      false,
      { kind: 'permanent' },
    ],
  ])('%s', (_name, err, payloadStarted, want) => {
    expect(classifySmtpFailure(err, { payloadStarted })).toMatchObject({ ok: false, ...want })
  })

  it('keeps the reply text as response and the command', () => {
    expect(
      classifySmtpFailure(reply('RCPT TO', '550 5.1.1 User unknown'), { payloadStarted: false }),
    ).toEqual({
      ok: false,
      kind: 'permanent',
      scope: 'recipient',
      suppress: true,
      code: 550,
      enhanced: '5.1.1',
      response: '550 5.1.1 User unknown',
      command: 'RCPT TO',
    })
  })
})

describe('classifySmtpFailure properties', () => {
  const command = fc.constantFrom('CONN', 'EHLO', 'AUTH PLAIN', 'MAIL FROM', 'RCPT TO', 'DATA', undefined)
  it('a reply decides by its class, whatever the stage', () => {
    fc.assert(
      fc.property(fc.integer({ min: 400, max: 599 }), command, fc.boolean(), (code, cmd, payloadStarted) => {
        const out = classifySmtpFailure(
          { code: 'EENVELOPE', command: cmd, responseCode: code, response: `${code} x` },
          {
            payloadStarted,
          },
        )
        const want = code < 500 || code === 503 ? 'temporary' : 'permanent'
        expect(out.kind).toBe(want)
        if (out.suppress) expect(out.kind).toBe('permanent')
      }),
    )
  })
  it('without a reply: unknown iff the payload had started (connection-level codes)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'ETLS'),
        command,
        fc.boolean(),
        (code, cmd, payloadStarted) => {
          const out = classifySmtpFailure({ code, command: cmd, message: 'gone' }, { payloadStarted })
          expect(out.kind).toBe(payloadStarted ? 'unknown' : 'temporary')
          expect(out.suppress).toBe(false)
        },
      ),
    )
  })
})

describe('enhancedStatus', () => {
  it.each([
    ['550 5.1.1 User unknown', '5.1.1'],
    ['451-4.3.0 Try later', '4.3.0'],
    ['250 2.0.0 Ok', '2.0.0'],
    ['550 User unknown', undefined],
    ['550 5.1.1.1 nonsense', undefined],
    [undefined, undefined],
  ])('%j → %j', (r, want) => expect(enhancedStatus(r)).toBe(want))
})
