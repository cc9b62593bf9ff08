import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  autoReplyEvidence,
  candidateMessageIds,
  classifyIncoming,
  dsnRecipients,
  type IncomingMail,
  parseHeaderBlock,
  referencedMessageIds,
} from './outreach.classify.core.ts'
import { parseIncoming } from './outreach.incoming.ts'

const fixture = (name: string) => parseIncoming(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)))
const OURS = new Set([
  '<5f0c1e2d3a4b5c6d7e8f901234567890@agency.example>',
  '<aa0c1e2d3a4b5c6d7e8f901234567891@agency.example>',
  '<bb0c1e2d3a4b5c6d7e8f901234567892@agency.example>',
  '<cc0c1e2d3a4b5c6d7e8f901234567893@agency.example>',
  '<dd0c1e2d3a4b5c6d7e8f901234567894@agency.example>',
  '<ee0c1e2d3a4b5c6d7e8f901234567895@agency.example>',
  '<ff0c1e2d3a4b5c6d7e8f901234567896@agency.example>',
])

describe('classifyIncoming on real-looking messages (fixtures/*.eml)', () => {
  it.each([
    [
      'reply-gmail.eml',
      'reply',
      ['In-Reply-To', 'References'],
      ['<5f0c1e2d3a4b5c6d7e8f901234567890@agency.example>'],
    ],
    [
      'auto-reply-outlook.eml',
      'auto_reply',
      ['Auto-Submitted', 'X-Auto-Response-Suppress', 'Subject', 'In-Reply-To', 'References'],
      ['<aa0c1e2d3a4b5c6d7e8f901234567891@agency.example>'],
    ],
    [
      'auto-reply-german.eml',
      'auto_reply',
      ['Subject', 'In-Reply-To'],
      ['<bb0c1e2d3a4b5c6d7e8f901234567892@agency.example>'],
    ],
    [
      'auto-reply-vacation.eml',
      'auto_reply',
      ['X-Autorespond', 'Precedence', 'In-Reply-To', 'References'],
      ['<cc0c1e2d3a4b5c6d7e8f901234567893@agency.example>'],
    ],
    ['newsletter.eml', 'unrelated', [], []],
  ])('%s → %s', async (file, kind, headers, matched) => {
    const c = classifyIncoming(await fixture(file), OURS)
    expect(c.kind).toBe(kind)
    expect(c.evidence.map((e) => e.header)).toEqual(headers)
    expect(c.matchedMessageIds).toEqual(matched)
    expect(c.bouncedRecipient).toBeUndefined()
  })

  it('Postfix DSN → bounce of gone@creator.example, 5.1.1, original Message-ID from text/rfc822-headers', async () => {
    const c = classifyIncoming(await fixture('bounce-postfix.eml'), OURS)
    expect(c).toMatchObject({
      kind: 'bounce',
      bouncedRecipient: 'gone@creator.example',
      status: '5.1.1',
      suppress: true,
      matchedMessageIds: ['<dd0c1e2d3a4b5c6d7e8f901234567894@agency.example>'],
    })
    expect(c.evidence.map((e) => [e.header, e.rule])).toEqual([
      ['Content-Type', 'rfc3464_report'],
      ['Action', 'rfc3464_action_failed'],
      ['Status', 'rfc3464_status'],
      ['Original-Recipient', 'rfc3464_recipient'],
      ['Final-Recipient', 'rfc3464_recipient'],
      ['Diagnostic-Code', 'rfc3464_recipient'],
    ])
    expect(c.evidence.find((e) => e.header === 'Diagnostic-Code')!.value).toContain(
      'User unknown in virtual mailbox table',
    )
  })

  it('Gmail DSN → bounce (Final-Recipient lower-cased), original Message-ID from message/rfc822', async () => {
    const msg = await fixture('bounce-gmail.eml')
    expect(msg.parts.map((p) => p.mimeType)).toEqual(['message/delivery-status', 'message/rfc822'])
    const c = classifyIncoming(msg, OURS)
    expect(c).toMatchObject({
      kind: 'bounce',
      bouncedRecipient: 'old.handle@gmail.example',
      status: '5.1.1',
      suppress: true,
      matchedMessageIds: ['<ee0c1e2d3a4b5c6d7e8f901234567895@agency.example>'],
    })
  })

  it('delayed DSN (Action: delayed, 4.4.1) → unrelated, with the evidence', async () => {
    const c = classifyIncoming(await fixture('dsn-delayed.eml'), OURS)
    expect(c.kind).toBe('unrelated')
    expect(c.evidence).toContainEqual({ header: 'Action', value: 'delayed', rule: 'rfc3464_not_failed' })
    expect(c.matchedMessageIds).toEqual(['<ff0c1e2d3a4b5c6d7e8f901234567896@agency.example>'])
  })

  it('a reply that references none of our IDs is unrelated', async () => {
    expect(classifyIncoming(await fixture('reply-gmail.eml'), new Set()).kind).toBe('unrelated')
  })
})

const mail = (patch: Partial<IncomingMail>): IncomingMail => ({
  headers: [{ key: 'in-reply-to', value: '<a@x.example>' }],
  subject: 'Re: Collab',
  from: 'c@y.example',
  text: '',
  parts: [],
  ...patch,
})
const OUR = new Set(['<a@x.example>'])

describe('classifyIncoming rules', () => {
  it.each<[string, Partial<IncomingMail>, string]>([
    ['plain reply', {}, 'reply'],
    [
      'Auto-Submitted: no is human',
      {
        headers: [
          { key: 'in-reply-to', value: '<a@x.example>' },
          { key: 'auto-submitted', value: 'no' },
        ],
      },
      'reply',
    ],
    [
      'Auto-Submitted: auto-replied',
      {
        headers: [
          { key: 'in-reply-to', value: '<a@x.example>' },
          { key: 'auto-submitted', value: 'auto-replied; vacation' },
        ],
      },
      'auto_reply',
    ],
    [
      'X-Autoreply: yes',
      {
        headers: [
          { key: 'references', value: '<z@z> <a@x.example>' },
          { key: 'x-autoreply', value: 'yes' },
        ],
      },
      'auto_reply',
    ],
    [
      'Precedence: junk',
      {
        headers: [
          { key: 'in-reply-to', value: '<a@x.example>' },
          { key: 'precedence', value: 'junk' },
        ],
      },
      'auto_reply',
    ],
    [
      'Precedence: first-class is human',
      {
        headers: [
          { key: 'in-reply-to', value: '<a@x.example>' },
          { key: 'precedence', value: 'first-class' },
        ],
      },
      'reply',
    ],
    ['Out of Office: subject', { subject: 'Out of Office: Collab' }, 'auto_reply'],
    ['Auto: subject (Notes)', { subject: 'Auto: Collab' }, 'auto_reply'],
    ['Réponse automatique', { subject: 'Réponse automatique : Collab' }, 'auto_reply'],
    ['Respuesta automática', { subject: 'Respuesta automática: Collab' }, 'auto_reply'],
    ['AW: Abwesenheitsnotiz', { subject: 'AW: Abwesenheitsnotiz: Collab' }, 'auto_reply'],
    [
      '"out of office" inside a human subject is not',
      { subject: 'Re: Gear for the out of office crowd' },
      'reply',
    ],
    [
      'no reference → unrelated even if automatic',
      { headers: [{ key: 'x-autoreply', value: 'yes' }] },
      'unrelated',
    ],
    [
      'legacy bounce without DSN',
      { headers: [], from: 'mailer-daemon@mx.y.example', subject: 'failure notice' },
      'bounce',
    ],
    [
      'mailer-daemon with a normal subject is not a bounce',
      { from: 'postmaster@y.example', subject: 'Re: Collab' },
      'reply',
    ],
  ])('%s → %s', (_n, patch, kind) => {
    expect(classifyIncoming(mail(patch), OUR).kind).toBe(kind)
  })

  it('ignores the campaign subject when testing for out-of-office words', () => {
    const m = mail({ subject: 'Re: Out of office gear?' })
    expect(classifyIncoming(m, OUR).kind).toBe('auto_reply')
    expect(classifyIncoming(m, OUR, { sentSubject: 'Out of office gear?' }).kind).toBe('reply')
    expect(
      autoReplyEvidence(mail({ subject: 'Automatic reply: Out of office gear?' }), 'Out of office gear?'),
    ).toHaveLength(1)
  })

  it('a DSN failed with 4.4.7 (gave up) is a bounce without suppression', () => {
    const c = classifyIncoming(
      mail({
        headers: [
          { key: 'content-type', value: 'multipart/report; report-type="delivery-status"; boundary=x' },
        ],
        from: 'mailer-daemon@mx.example',
        subject: 'Undelivered',
        parts: [
          {
            mimeType: 'message/delivery-status',
            content:
              'Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; <x@y.example>\nAction: failed\nStatus: 4.4.7 (expired)\n',
          },
        ],
      }),
      OUR,
    )
    expect(c).toMatchObject({
      kind: 'bounce',
      bouncedRecipient: 'x@y.example',
      status: '4.4.7',
      suppress: false,
    })
  })
})

describe('classifyIncoming properties', () => {
  const header = fc.record({
    key: fc.constantFrom(
      'in-reply-to',
      'references',
      'auto-submitted',
      'precedence',
      'x-autoreply',
      'subject',
      'x-any',
    ),
    value: fc.string(),
  })
  const msgArb = fc.record({
    headers: fc.array(header, { maxLength: 6 }),
    subject: fc.string(),
    from: fc.constantFrom('c@y.example', 'someone@else.example'),
    text: fc.string(),
    parts: fc.constant([]),
  })
  it('never throws; with none of our IDs referenced a non-bounce is unrelated', () => {
    fc.assert(
      fc.property(msgArb, (m) => {
        expect(classifyIncoming(m, new Set()).kind).toBe('unrelated')
      }),
    )
  })
  it('referencing one of our IDs makes it a reply or an auto reply, with In-Reply-To evidence', () => {
    fc.assert(
      fc.property(msgArb, (m) => {
        const c = classifyIncoming(
          { ...m, headers: [...m.headers, { key: 'in-reply-to', value: '<a@x.example>' }] },
          OUR,
        )
        expect(['reply', 'auto_reply']).toContain(c.kind)
        expect(c.evidence).toContainEqual({
          header: 'In-Reply-To',
          value: '<a@x.example>',
          rule: 'references_our_message',
        })
        expect(c.matchedMessageIds).toContain('<a@x.example>')
      }),
    )
  })
})

describe('helpers', () => {
  it.each([
    [
      [
        { key: 'in-reply-to', value: '<a@x>' },
        { key: 'references', value: '<r@x>\t<a@x> <b@x>' },
      ],
      ['<a@x>', '<r@x>', '<b@x>'],
    ],
    [[{ key: 'references', value: 'no-brackets@x (comment) <c@x>' }], ['<c@x>']],
    [[{ key: 'subject', value: '<s@x>' }], []],
  ])('referencedMessageIds %j', (headers, want) => {
    expect(referencedMessageIds(headers)).toEqual(want)
  })

  it('parseHeaderBlock unfolds continuation lines', () => {
    expect(parseHeaderBlock('A: 1\r\nB-C: two\r\n  lines\nnot a header\n')).toEqual([
      { key: 'a', value: '1' },
      { key: 'b-c', value: 'two lines' },
    ])
  })

  it('dsnRecipients skips the per-message group', () => {
    const g = dsnRecipients(
      'Reporting-MTA: dns; a\n\nFinal-Recipient: rfc822; x@y\nAction: failed\n\nFinal-Recipient: rfc822; z@y\nAction: delivered\n',
    )
    expect(g.map((f) => f.find((x) => x.key === 'action')?.value)).toEqual(['failed', 'delivered'])
  })

  it('candidateMessageIds looks into returned headers', async () => {
    expect(candidateMessageIds(await fixture('bounce-postfix.eml'))).toContain(
      '<dd0c1e2d3a4b5c6d7e8f901234567894@agency.example>',
    )
  })
})
