/**
 * Reading a mailbox's INBOX over IMAP (imapflow), the shell: a long-running watcher per
 * mailbox, a one-shot poll, and the "test connection" check.
 *
 * Delivery to the caller is **at least once** and ordered by UID: `onMessage` is called for
 * every message with a UID above the stored position, and the position (`uidValidity`,
 * `lastUid`, stored in `outreach_mailboxes.imap_uid_validity/imap_last_uid`) advances only
 * after `onMessage` resolved. A crash between the two re-delivers that message on the next
 * catch-up; the caller dedupes by Message-ID (`outreach_replies` is unique per mailbox and
 * message ID).
 *
 * UIDs are only meaningful together with the mailbox's UIDVALIDITY (RFC 3501 §2.3.1.1,
 * RFC 9051 §2.3.1.1): when the server reports a different UIDVALIDITY than the stored one
 * (mailbox recreated, server migrated), the old `lastUid` says nothing about the new UIDs,
 * so the watcher restarts from UID 0 and reads the whole INBOX again — safe because of the
 * caller's dedupe, and the only way not to miss a reply.
 *
 * New mail is noticed three ways: IMAP IDLE (RFC 2177) `EXISTS` notifications (imapflow's
 * `exists` event); a NOOP watchdog every `noopIntervalMs` that also runs a UID SEARCH
 * catch-up, because IDLE sessions are known to go silent without an error after hours
 * (postalsys/imapflow#14 "Imapflow stops listening for new imap events after while",
 * #98 "idling failure not detected"; RFC 2177 also asks clients to re-issue IDLE at least
 * every 29 minutes); and a catch-up after every reconnect (close or error, with
 * exponential backoff).
 */
import { ImapFlow } from 'imapflow'
import { type Clock, nowMs, systemClock } from '../../platform/clock.ts'
import type { Logger } from '../../platform/logger.ts'

/** How to reach a mailbox's IMAP server. */
export interface ImapCredentials {
  host: string
  port: number
  /** Implicit TLS (993); false = plain (STARTTLS when offered, imapflow's default). */
  secure: boolean
  user: string
  pass: string
  /** Timeouts in ms: connect (default 15,000), greeting (15,000), socket inactivity (imapflow's 5 min). */
  timeoutsMs?: { connection?: number; greeting?: number; socket?: number } | undefined
}

/** Where reading stopped: the mailbox's UIDVALIDITY (null = never read) and the last UID handed over. */
export interface ImapPosition {
  uidValidity: number | null
  lastUid: number
}

/** One message read from the mailbox. */
export interface FetchedMessage {
  uid: number
  /** The full RFC 5322 source. */
  raw: Buffer
  uidValidity: number
}

/** Options of {@link createImapWatcher}. */
export interface ImapWatcherOptions extends ImapCredentials {
  /** Default `INBOX`. */
  mailbox?: string
  /** The stored position to continue from. */
  position: ImapPosition
  /** Called once per message in UID order (at least once, see the module comment); a rejection stops the catch-up there, to be retried. */
  onMessage: (m: FetchedMessage) => Promise<void>
  /** Called after each advance of the position (persist it). */
  onPosition?: (p: { uidValidity: number; lastUid: number }) => Promise<void>
  /** NOOP + catch-up interval, ms (default 60,000). */
  noopIntervalMs?: number
  /** First reconnect delay, ms (default 1,000); doubles per failed attempt up to `maxReconnectMs`. */
  reconnectMs?: number
  /** Reconnect delay cap, ms (default 300,000). */
  maxReconnectMs?: number
  /** Whether to IDLE between checks (default true; false = the watchdog's polling only). */
  idle?: boolean
  /** With no stored position (`uidValidity` null), start after the newest message instead of reading the whole INBOX (default false). */
  skipExisting?: boolean
  logger?: Pick<Logger, 'info' | 'warn' | 'debug'>
  clock?: Clock
}

/** What a watcher reports about itself (for the mailbox's status). */
export interface ImapWatcherStatus {
  connected: boolean
  position: ImapPosition
  /** Last successful check (catch-up), ms since epoch. */
  lastCheckAt: number | null
  lastError: string | null
}

/** A running watcher. */
export interface ImapWatcher {
  /** Connects and catches up; resolves after the first attempt (a failure schedules a retry instead of rejecting). */
  start(): Promise<void>
  /** Stops: no more callbacks once it resolves. */
  stop(): Promise<void>
  /** Reads everything above the position now; resolves with the number of messages handed over. Rejects when not connected or `onMessage` rejects. */
  catchUp(): Promise<number>
  status(): ImapWatcherStatus
}

/** Messages fetched per FETCH command during a catch-up. */
const FETCH_BATCH = 20
/** Longest wait for a NOOP answer before the connection is considered dead, ms. */
const NOOP_TIMEOUT_MS = 30_000

function newClient(creds: ImapCredentials): ImapFlow {
  const t = creds.timeoutsMs ?? {}
  return new ImapFlow({
    host: creds.host,
    port: creds.port,
    secure: creds.secure,
    auth: { user: creds.user, pass: creds.pass },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: t.connection ?? 15_000,
    greetingTimeout: t.greeting ?? 15_000,
    ...(t.socket ? { socketTimeout: t.socket } : {}),
  })
}

interface OpenState {
  uidValidity: number
  lastUid: number
  /** Whether the stored position was reset (UIDVALIDITY changed or first read). */
  reset: boolean
}

/**
 * Opens `mailbox` read-only (EXAMINE: reading never sets `\Seen`, the owner's mail client
 * still shows replies as unread) and reconciles the position with its UIDVALIDITY.
 */
async function openMailbox(
  client: ImapFlow,
  mailbox: string,
  position: ImapPosition,
  skipExisting: boolean,
): Promise<OpenState> {
  const mb = await client.mailboxOpen(mailbox, { readOnly: true })
  const uidValidity = Number(mb.uidValidity)
  if (position.uidValidity === null) {
    const lastUid = skipExisting ? Math.max(0, mb.uidNext - 1) : position.lastUid
    return { uidValidity, lastUid, reset: true }
  }
  if (position.uidValidity !== uidValidity) return { uidValidity, lastUid: 0, reset: true }
  return { uidValidity, lastUid: position.lastUid, reset: false }
}

/**
 * Hands over every message with a UID above `state.lastUid`, in UID order, advancing
 * `state.lastUid` (and calling `onPosition`) after each `onMessage` resolved.
 */
async function catchUpOnce(
  client: ImapFlow,
  state: { uidValidity: number; lastUid: number },
  onMessage: (m: FetchedMessage) => Promise<void>,
  onPosition: ((p: { uidValidity: number; lastUid: number }) => Promise<void>) | undefined,
  shouldContinue: () => boolean = () => true,
): Promise<number> {
  // `n:*` always includes the highest UID even when it is below n (RFC 3501 §6.4.8), hence the filter.
  const found = (await client.search({ uid: `${state.lastUid + 1}:*` }, { uid: true })) || []
  const uids = found.filter((u) => u > state.lastUid).sort((a, b) => a - b)
  let n = 0
  for (let i = 0; i < uids.length; i += FETCH_BATCH) {
    const batch = uids.slice(i, i + FETCH_BATCH)
    const msgs = await client.fetchAll(batch.join(','), { uid: true, source: true }, { uid: true })
    msgs.sort((a, b) => a.uid - b.uid)
    for (const m of msgs) {
      if (!shouldContinue()) return n
      if (m.uid <= state.lastUid || !m.source) continue
      await onMessage({ uid: m.uid, raw: m.source, uidValidity: state.uidValidity })
      state.lastUid = m.uid
      n++
      await onPosition?.({ uidValidity: state.uidValidity, lastUid: state.lastUid })
    }
  }
  return n
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

/**
 * A watcher of one mailbox (see the module comment): connect, open the mailbox read-only,
 * catch up by UID, then IDLE; catch up again on `exists`, on every watchdog tick (NOOP, every
 * `noopIntervalMs`) and after every reconnect.
 */
export function createImapWatcher(opts: ImapWatcherOptions): ImapWatcher {
  const mailbox = opts.mailbox ?? 'INBOX'
  const noopIntervalMs = opts.noopIntervalMs ?? 60_000
  const reconnectMs = opts.reconnectMs ?? 1_000
  const maxReconnectMs = opts.maxReconnectMs ?? 300_000
  const useIdle = opts.idle ?? true
  const clock = opts.clock ?? systemClock
  const log = opts.logger
  const position: ImapPosition = { ...opts.position }
  let running = false
  let client: ImapFlow | undefined
  let state: { uidValidity: number; lastUid: number } | undefined
  let attempt = 0
  let reconnectTimer: NodeJS.Timeout | undefined
  let watchdog: NodeJS.Timeout | undefined
  let pending: Promise<number> | undefined
  let rerun = false
  let lastCheckAt: number | null = null
  let lastError: string | null = null
  let connecting: Promise<void> | undefined

  const setPosition = async (p: { uidValidity: number; lastUid: number }) => {
    position.uidValidity = p.uidValidity
    position.lastUid = p.lastUid
    await opts.onPosition?.(p)
  }

  /** Back to IDLE when the connection is free (imapflow breaks IDLE itself before the next command). */
  const rest = () => {
    const c = client
    if (!running || !useIdle || !c?.usable || pending) return
    c.idle().catch((err: Error) => log?.debug({ err }, 'outreach imap idle ended with an error'))
  }

  const runCatchUp = (): Promise<number> => {
    if (pending) {
      rerun = true
      return pending
    }
    const c = client
    const s = state
    if (!c?.usable || !s) return Promise.reject(new Error('IMAP watcher is not connected'))
    pending = (async () => {
      let n = 0
      do {
        rerun = false
        n += await catchUpOnce(c, s, opts.onMessage, setPosition, () => running && client === c)
      } while (rerun && running && client === c)
      lastCheckAt = nowMs(clock)
      return n
    })().finally(() => {
      pending = undefined
      rest()
    })
    return pending
  }

  const background = (why: string) => {
    runCatchUp().catch((err: Error) => {
      lastError = err.message
      log?.warn({ err, host: opts.host, why }, 'outreach imap catch-up failed')
    })
  }

  const scheduleReconnect = () => {
    if (!running || reconnectTimer) return
    const delay = Math.min(maxReconnectMs, reconnectMs * 2 ** attempt)
    attempt++
    log?.info({ host: opts.host, delayMs: delay }, 'outreach imap reconnect scheduled')
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined
      void connect()
    }, delay)
  }

  const dropClient = (c: ImapFlow) => {
    if (client !== c) return
    client = undefined
    state = undefined
    c.close()
  }

  const session = async () => {
    const c = newClient(opts)
    c.on('error', (err: Error) => {
      lastError = err.message
      log?.warn({ err, host: opts.host }, 'outreach imap connection error')
    })
    c.on('close', () => {
      if (client === c) {
        client = undefined
        state = undefined
      }
      // a late close of a replaced connection must not start a second one
      if (!client) scheduleReconnect()
    })
    c.on('exists', () => {
      if (client === c) background('exists')
    })
    try {
      await c.connect()
      const opened = await openMailbox(c, mailbox, position, opts.skipExisting ?? false)
      if (!running) {
        await c.logout().catch(() => c.close())
        return
      }
      client = c
      state = { uidValidity: opened.uidValidity, lastUid: opened.lastUid }
      if (opened.reset) {
        if (position.uidValidity !== null) {
          log?.warn(
            { host: opts.host, from: position.uidValidity, to: opened.uidValidity },
            'outreach imap UIDVALIDITY changed: reading the mailbox again from UID 1',
          )
        }
        await setPosition({ uidValidity: opened.uidValidity, lastUid: opened.lastUid })
      }
      await runCatchUp()
      attempt = 0
      lastError = null
    } catch (err) {
      lastError = (err as Error).message
      log?.warn({ err, host: opts.host }, 'outreach imap session failed')
      if (client === c) dropClient(c)
      else c.close()
      scheduleReconnect()
    }
  }

  const connect = (): Promise<void> => {
    if (!running) return Promise.resolve()
    connecting ??= session().finally(() => {
      connecting = undefined
    })
    return connecting
  }

  const tick = async () => {
    const c = client
    if (!running || !c?.usable || pending) return
    try {
      await withTimeout(c.noop(), NOOP_TIMEOUT_MS, 'NOOP')
      if (client === c) await runCatchUp()
    } catch (err) {
      lastError = (err as Error).message
      log?.warn({ err, host: opts.host }, 'outreach imap watchdog: reconnecting')
      dropClient(c)
    }
  }

  return {
    async start() {
      if (running) return
      running = true
      watchdog = setInterval(() => void tick(), noopIntervalMs)
      await connect()
    },
    async stop() {
      running = false
      clearInterval(watchdog)
      clearTimeout(reconnectTimer)
      reconnectTimer = undefined
      await connecting?.catch(() => {})
      await pending?.catch(() => {})
      const c = client
      client = undefined
      state = undefined
      if (c) await withTimeout(c.logout(), 5_000, 'LOGOUT').catch(() => c.close())
    },
    catchUp: runCatchUp,
    status: () => ({ connected: !!client?.usable, position: { ...position }, lastCheckAt, lastError }),
  }
}

/**
 * One poll: connect, open the mailbox read-only, hand over every message above `position`
 * (same rules as the watcher, including the UIDVALIDITY reset), log out. For replays,
 * benches and a manual "check now".
 * @returns the new position and how many messages were handed over.
 * @throws the connection's or `onMessage`'s error (the position reached so far was already
 *   reported through `onPosition`).
 */
export async function fetchNewOnce(
  creds: ImapCredentials & { mailbox?: string },
  position: ImapPosition,
  onMessage: (m: FetchedMessage) => Promise<void>,
  onPosition?: (p: { uidValidity: number; lastUid: number }) => Promise<void>,
): Promise<{ uidValidity: number; lastUid: number; count: number }> {
  const c = newClient(creds)
  c.on('error', () => {})
  try {
    await c.connect()
    const opened = await openMailbox(c, creds.mailbox ?? 'INBOX', position, false)
    const state = { uidValidity: opened.uidValidity, lastUid: opened.lastUid }
    if (opened.reset) await onPosition?.({ ...state })
    const count = await catchUpOnce(c, state, onMessage, onPosition)
    return { ...state, count }
  } finally {
    await withTimeout(c.logout(), 5_000, 'LOGOUT').catch(() => c.close())
  }
}

/**
 * The "test connection" check of a mailbox's IMAP side: log in and open INBOX read-only.
 * Never rejects. Timeouts default to 10 s.
 */
export async function testImap(creds: ImapCredentials): Promise<{ ok: boolean; message: string }> {
  const c = newClient({
    ...creds,
    timeoutsMs: { connection: 10_000, greeting: 10_000, socket: 20_000, ...creds.timeoutsMs },
  })
  c.on('error', () => {})
  try {
    await c.connect()
    const mb = await c.mailboxOpen('INBOX', { readOnly: true })
    return { ok: true, message: `logged in; INBOX has ${mb.exists} messages` }
  } catch (err) {
    const e = err as Error & { responseText?: string }
    return { ok: false, message: e.responseText ? `${e.message}: ${e.responseText}` : e.message }
  } finally {
    await withTimeout(c.logout(), 5_000, 'LOGOUT').catch(() => c.close())
  }
}
