/**
 * The outreach IMAP watcher against a real Dovecot (test/helpers/dovecot.ts): catch-up by
 * UID with the position advancing after each message, new mail through IDLE, reconnect and
 * catch-up after the server drops the session, a UIDVALIDITY change, the NOOP watchdog
 * path (IDLE off, small interval) including a failed `onMessage` retried, the one-shot poll
 * and the test-connection check. The messages delivered are the classifier's fixtures.
 */
import { existsSync, readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { classifyIncoming, candidateMessageIds } from '../src/modules/outreach/outreach.classify.core.ts'
import {
  createImapWatcher,
  type FetchedMessage,
  fetchNewOnce,
  type ImapWatcher,
  testImap,
} from '../src/modules/outreach/outreach.imap.ts'
import { parseIncoming } from '../src/modules/outreach/outreach.incoming.ts'
import { DOVECOT_BIN, startDovecot, type TestDovecot } from './helpers/dovecot.ts'

const fixture = (name: string) =>
  readFileSync(new URL(`../src/modules/outreach/fixtures/${name}`, import.meta.url), 'utf8').replace(
    /\r?\n/g,
    '\r\n',
  )

const OURS = new Set([
  '<5f0c1e2d3a4b5c6d7e8f901234567890@agency.example>',
  '<aa0c1e2d3a4b5c6d7e8f901234567891@agency.example>',
  '<dd0c1e2d3a4b5c6d7e8f901234567894@agency.example>',
])

const plain = (n: number) =>
  `From: x${n}@creator.example\r\nTo: sam@agency.example\r\nSubject: note ${n}\r\nMessage-ID: <n${n}@creator.example>\r\n\r\nbody ${n}\r\n`

let dovecot: TestDovecot
const watchers: ImapWatcher[] = []

beforeAll(async () => {
  dovecot = await startDovecot()
})
afterAll(async () => {
  for (const w of watchers) await w.stop()
  await dovecot?.stop()
})

const creds = () => ({
  host: dovecot.host,
  port: dovecot.port,
  secure: false,
  user: dovecot.user,
  pass: dovecot.pass,
})

async function until<T>(fn: () => T | undefined | false, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = fn()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe.skipIf(!existsSync(DOVECOT_BIN))('IMAP watcher on Dovecot', () => {
  let uidValidity = 0

  it('catches up by UID, classifies, sees new mail via IDLE, reconnects after a kick', async () => {
    dovecot.deliver(fixture('reply-gmail.eml'))
    dovecot.deliver(fixture('auto-reply-outlook.eml'))
    dovecot.deliver(fixture('bounce-postfix.eml'))

    const got: FetchedMessage[] = []
    const positions: { uidValidity: number; lastUid: number }[] = []
    const w = createImapWatcher({
      ...creds(),
      position: { uidValidity: null, lastUid: 0 },
      noopIntervalMs: 60_000,
      reconnectMs: 100,
      onMessage: async (m) => {
        // the position must not have advanced past this message yet
        expect(positions.at(-1)?.lastUid ?? 0).toBeLessThan(m.uid)
        got.push(m)
      },
      onPosition: async (p) => {
        positions.push(p)
      },
    })
    watchers.push(w)
    await w.start()
    expect(got.map((m) => m.uid)).toEqual([1, 2, 3])
    uidValidity = got[0]!.uidValidity
    expect(uidValidity).toBeGreaterThan(0)
    expect(positions.at(-1)).toEqual({ uidValidity, lastUid: 3 })

    const kinds = await Promise.all(
      got.map(async (m) => {
        const msg = await parseIncoming(m.raw)
        const ours = new Set(candidateMessageIds(msg).filter((id) => OURS.has(id)))
        return classifyIncoming(msg, ours)
      }),
    )
    // Dovecot numbers files that appear together in directory order, not delivery order
    expect(kinds.map((k) => k.kind).sort()).toEqual(['auto_reply', 'bounce', 'reply'])
    expect(kinds.find((k) => k.kind === 'bounce')).toMatchObject({
      bouncedRecipient: 'gone@creator.example',
      status: '5.1.1',
    })

    // IDLE: the watchdog interval is a minute, so only IDLE can bring this one in time
    dovecot.deliver(plain(4))
    await until(() => got.length === 4, 'message 4 via IDLE', 4_000)
    expect(got[3]!.uid).toBe(4)

    // the server drops the session; mail arriving meanwhile is read after the reconnect
    await dovecot.kick()
    dovecot.deliver(plain(5))
    await until(() => got.length === 5, 'message 5 after reconnect', 8_000)
    expect(got.map((m) => m.uid)).toEqual([1, 2, 3, 4, 5])
    await until(() => w.status().connected, 'reconnected')
    expect(w.status()).toMatchObject({ position: { uidValidity, lastUid: 5 } })

    dovecot.deliver(plain(6))
    await until(() => got.length === 6, 'message 6 via IDLE after reconnect', 4_000)
    await w.stop()
    dovecot.deliver(plain(7))
    await new Promise((r) => setTimeout(r, 700))
    expect(got.length).toBe(6)
  })

  it('a new watcher continues from the stored position; a changed UIDVALIDITY restarts from 0', async () => {
    const from5: number[] = []
    const w = createImapWatcher({
      ...creds(),
      position: { uidValidity, lastUid: 5 },
      onMessage: async (m) => {
        from5.push(m.uid)
      },
    })
    watchers.push(w)
    await w.start()
    expect(from5).toEqual([6, 7])
    await w.stop()

    const all: number[] = []
    const positions: { uidValidity: number; lastUid: number }[] = []
    const reset = createImapWatcher({
      ...creds(),
      position: { uidValidity: uidValidity + 1, lastUid: 7 },
      onMessage: async (m) => {
        all.push(m.uid)
      },
      onPosition: async (p) => {
        positions.push(p)
      },
    })
    watchers.push(reset)
    await reset.start()
    expect(all).toEqual([1, 2, 3, 4, 5, 6, 7])
    expect(positions[0]).toEqual({ uidValidity, lastUid: 0 })
    await reset.stop()
  })

  it('NOOP watchdog (IDLE off) finds new mail and retries a failed onMessage without advancing', async () => {
    const got: number[] = []
    const positions: number[] = []
    let failOnce = true
    const w = createImapWatcher({
      ...creds(),
      position: { uidValidity, lastUid: 7 },
      idle: false,
      noopIntervalMs: 200,
      onMessage: async (m) => {
        if (failOnce) {
          failOnce = false
          throw new Error('database briefly down')
        }
        got.push(m.uid)
      },
      onPosition: async (p) => {
        positions.push(p.lastUid)
      },
    })
    watchers.push(w)
    await w.start()
    expect(got).toEqual([])
    dovecot.deliver(plain(8))
    await until(() => got.length === 1, 'message 8 via the watchdog', 4_000)
    expect(got).toEqual([8])
    expect(positions).toEqual([8])
    expect(w.status().lastCheckAt).not.toBeNull()
    await w.stop()
  })

  it('skipExisting: a mailbox read for the first time starts after its newest message', async () => {
    const got: number[] = []
    const positions: { uidValidity: number; lastUid: number }[] = []
    const w = createImapWatcher({
      ...creds(),
      position: { uidValidity: null, lastUid: 0 },
      skipExisting: true,
      onMessage: async (m) => {
        got.push(m.uid)
      },
      onPosition: async (p) => {
        positions.push(p)
      },
    })
    watchers.push(w)
    await w.start()
    expect(got).toEqual([])
    expect(positions).toEqual([{ uidValidity, lastUid: 8 }])
    dovecot.deliver(plain(9))
    await until(() => got.length === 1, 'message 9', 4_000)
    expect(got).toEqual([9])
    await w.stop()
  })

  it('fetchNewOnce reads above the position; testImap checks the login', async () => {
    const uids: number[] = []
    const r = await fetchNewOnce(creds(), { uidValidity, lastUid: 6 }, async (m) => {
      uids.push(m.uid)
    })
    expect(uids).toEqual([7, 8, 9])
    expect(r).toEqual({ uidValidity, lastUid: 9, count: 3 })

    expect(await testImap(creds())).toMatchObject({ ok: true })
    const bad = await testImap({ ...creds(), pass: 'wrong' })
    expect(bad.ok).toBe(false)
    expect(bad.message).toMatch(/auth/i)
  })
})
