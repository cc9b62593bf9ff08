/**
 * Browser mode of the visitor engine: a visit is a real page load in Chromium (Debian's
 * `/usr/bin/chromium` through `playwright-core`), desktop or mobile emulation, the page kept
 * open for the time on page with light scrolling, then closed. Same visit interface and
 * outcome as HTTP mode (`visitors.http.ts`), same labels (User-Agent suffix, signed
 * `X-Traffoflex-Visit` header on every request), same charging rule (answered = charged).
 *
 * Shape: one browser process (launched at the first visit), a browser context per visit (its
 * own cookies, cache and storage: a first visit), at most `maxPages` pages at once across all
 * projects (a slot pool: a visit that finds no slot within `maxWaitMs` is not launched and
 * comes back `dropped`), and a memory cap: when the browser's memory passes `maxRssMb`
 * (checked between visits) new visits go to a freshly launched browser and the old one
 * closes once its last page has.
 *
 * Safety (SSRF): Chromium reaches the network only through a small forward proxy in this
 * process (`--proxy-server`, loopback included: playwright adds `<-loopback>` to the bypass
 * list). The proxy resolves each host itself, checks every address with `isPublicAddress`
 * (`src/platform/net/ssrf.ts`) and connects to exactly the checked address — so redirects,
 * JavaScript requests, WebSockets and DNS rebinding cannot reach a private, loopback or
 * link-local address (`page.route` would miss redirect hops and resolve twice). The main URL
 * is also checked before a page is opened, so a private target is refused as `blocked`
 * without launching anything. `allowPrivate` (VISITORS_ALLOW_PRIVATE) turns the check off.
 * A main-frame navigation to a host outside the project's (a script redirect) ends the visit.
 *
 * Geo: one guard proxy per country with an egress (own port); a geo visit's context uses its
 * country's guard, which tunnels every upstream connection through that country's egress
 * proxy (`openEgressTunnel`). Geo is never faked with headers.
 */
import { randomInt } from 'node:crypto'
import { lookup as dnsLookup } from 'node:dns/promises'
import type { LookupAddress } from 'node:dns'
import { readdirSync, readFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import ipaddr from 'ipaddr.js'
import {
  type Browser,
  type BrowserContext,
  type BrowserServer,
  chromium,
  devices,
  type Page,
} from 'playwright-core'
import { isPublicAddress } from '../../platform/net/ssrf.ts'
import { openEgressTunnel } from './visitors.egress.ts'
import { nextPageWaiter } from './visitors.pages.core.ts'
import {
  type Device,
  VISIT_HEADER,
  type VisitErrorKind,
  type VisitOutcome,
  type VisitRequest,
  visitHeader,
  visitUaSuffix,
} from './visitors.http.ts'

/** A visit's outcome in either mode; `dropped` = not launched for want of a page slot (not charged). */
export interface VisitorOutcome extends VisitOutcome {
  dropped?: boolean
}

/** One visit to make in either mode: HTTP mode's request plus the time on page (ms; HTTP mode ignores it). */
export interface VisitorRequest extends VisitRequest {
  timeOnPageMs?: number
}

/** A visitor (HTTP or browser mode): `visit()` never throws, `close()` ends its resources. */
export interface Visitor {
  visit(req: VisitorRequest): Promise<VisitorOutcome>
  close(): Promise<void>
  /** Countries a visit may name (an egress proxy each), sorted; absent = none. */
  egressCountries?: readonly string[]
}

/** The browser visitor: a {@link Visitor} plus its process metrics. */
export interface VisitBrowser extends Visitor {
  /** Pages open now. */
  openPages(): number
  /** Most pages open at once so far. */
  peakPages(): number
  /** Memory and CPU of the current browser's process tree (null before the first launch). */
  usage(): ProcessTreeUsage | null
  /** Browsers launched so far (1 + restarts for memory or crashes). */
  launches(): number
  /** Countries with an egress proxy, sorted. */
  egressCountries: readonly string[]
}

/** Options of {@link createVisitBrowser}. */
export interface VisitBrowserOptions {
  /** VISITORS_ALLOW_PRIVATE: skip the address check (local sites, tests). */
  allowPrivate: boolean
  /** PUBLIC_URL (no trailing slash), named in the UA suffix. */
  publicUrl: string
  /** The clock, epoch ms (timestamps of outcomes). */
  nowMs: () => number
  /** VISITORS_CHROMIUM_PATH (default `/usr/bin/chromium`). */
  chromiumPath?: string
  /** VISITORS_BROWSER_PAGES: pages open at once at most (default 4). */
  maxPages?: number
  /** VISITORS_BROWSER_MAX_RSS_MB: browser memory past which it is replaced between visits (default 1024). */
  maxRssMb?: number
  /** Longest a visit waits for a page slot before it is dropped, ms (default 250). */
  maxWaitMs?: number
  /** Deadline of the page load (response and `load` event), ms (default 15000). */
  timeoutMs?: number
  /** Upper bound of the time on page, ms (default 30 min, the settings' maximum; tests lower it). */
  maxDwellMs?: number
  /** Resolver of the guard proxy and the pre-check (default `dns.lookup`, all addresses). */
  resolve?: (hostname: string) => Promise<LookupAddress[]>
  /**
   * `VISITORS_EGRESS`: egress proxy URL per country (`{US: 'http://…:8001'}`; HTTP(S) proxies —
   * a `socks5://` country's browser visits fail as `egress`). A visit with a `country` leaves
   * through that country's proxy; default none.
   */
  egress?: Readonly<Record<string, string>>
  /** Extra Chromium flags. */
  args?: string[]
  logger?: { warn: (obj: object, msg: string) => void }
}

/** Chromium flags for a server without a display or user namespaces (as test/helpers/browser.ts). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-default-apps',
  '--disable-sync',
  '--no-first-run',
  '--mute-audio',
]

/** Emulated devices: desktop viewports, and Android Chrome descriptors of playwright-core's `devices`. */
const DESKTOP_PROFILES = [
  {
    viewport: { width: 1366, height: 768 },
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v} Safari/537.36',
  },
  {
    viewport: { width: 1920, height: 1080 },
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v} Safari/537.36',
  },
  {
    viewport: { width: 1440, height: 900 },
    ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v} Safari/537.36',
  },
]
const MOBILE_DEVICES = ['Pixel 7', 'Pixel 5', 'Galaxy S24'] as const

/**
 * The context options of a visit: the device's viewport, scale, touch and a Chrome
 * User-Agent whose version is the running browser's (`version`, e.g. `156.0.8078.114`,
 * reduced to `156.0.0.0` as Chrome sends it), followed by the identifying suffix.
 */
export function deviceProfile(device: Device, index: number, version: string, suffix: string) {
  const reduced = `${version.split('.')[0] ?? '0'}.0.0.0`
  const i = Math.abs(Math.floor(index))
  if (device === 'desktop') {
    const p = DESKTOP_PROFILES[i % DESKTOP_PROFILES.length]!
    return {
      viewport: p.viewport,
      deviceScaleFactor: 1,
      isMobile: false,
      hasTouch: false,
      userAgent: `${p.ua.replace('{v}', reduced)} ${suffix}`,
    }
  }
  const d = devices[MOBILE_DEVICES[i % MOBILE_DEVICES.length]!]!
  return {
    viewport: d.viewport,
    deviceScaleFactor: d.deviceScaleFactor,
    isMobile: true,
    hasTouch: true,
    userAgent: `${d.userAgent.replace(/Chrome\/[\d.]+/, `Chrome/${reduced}`)} ${suffix}`,
  }
}

/** Chromium's network error text → the engine's error kinds (HTTP mode's names). */
export function browserErrorKind(message: string): VisitErrorKind {
  const m = message
  if (/ERR_BLOCKED_BY_CLIENT|ERR_ACCESS_DENIED|ERR_UNSAFE_PORT/.test(m)) return 'blocked'
  if (/ERR_NAME_NOT_RESOLVED|ERR_NAME_RESOLUTION_FAILED/.test(m)) return 'dns'
  if (
    /ERR_CONNECTION_REFUSED|ERR_ADDRESS_UNREACHABLE|ERR_CONNECTION_FAILED|ERR_INTERNET_DISCONNECTED/.test(m)
  )
    return 'connect'
  if (/ERR_CERT_|ERR_SSL_|ERR_BAD_SSL/.test(m)) return 'tls'
  if (/ERR_TIMED_OUT|ERR_CONNECTION_TIMED_OUT|Timeout .*exceeded/i.test(m)) return 'timeout'
  if (/ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE|ERR_CONNECTION_CLOSED|ERR_SOCKET_NOT_CONNECTED/.test(m))
    return 'reset'
  if (/ERR_TOO_MANY_REDIRECTS/.test(m)) return 'redirects'
  return 'other'
}

/** Memory and CPU of a process and its descendants. */
export interface ProcessTreeUsage {
  processes: number
  /** Proportional set size summed (shared pages counted once), MiB; RSS where PSS is unreadable. */
  memoryMb: number
  /** User + system CPU of the tree, reaped children included, ms. */
  cpuMs: number
}

/**
 * Reads `/proc` (Linux) for the tree rooted at `pid`. Null when the process is gone or
 * `/proc` is missing. CPU ticks are taken at 100 Hz (Linux's USER_HZ).
 */
export function processTreeUsage(pid: number): ProcessTreeUsage | null {
  let entries: string[]
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e))
  } catch {
    return null
  }
  const children = new Map<number, number[]>()
  const stats = new Map<number, string[]>()
  for (const e of entries) {
    try {
      const raw = readFileSync(`/proc/${e}/stat`, 'utf8')
      // Fields after the command name (which may contain spaces), from field 3 (state).
      const rest = raw.slice(raw.lastIndexOf(')') + 2).split(' ')
      const p = Number(e)
      stats.set(p, rest)
      const ppid = Number(rest[1])
      const list = children.get(ppid) ?? []
      list.push(p)
      children.set(ppid, list)
    } catch {
      // Exited while listing.
    }
  }
  if (!stats.has(pid)) return null
  let memoryKb = 0
  let ticks = 0
  let processes = 0
  const queue = [pid]
  while (queue.length > 0) {
    const p = queue.pop()!
    const rest = stats.get(p)
    if (!rest) continue
    processes++
    // utime, stime, cutime, cstime are fields 14..17 (index 11..14 here).
    ticks += Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14])
    let kb = 0
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'))
      kb = m ? Number(m[1]) : 0
    } catch {
      kb = (Number(rest[21]) * 4096) / 1024 // rss pages (field 24)
    }
    memoryKb += kb
    queue.push(...(children.get(p) ?? []))
  }
  return { processes, memoryMb: memoryKb / 1024, cpuMs: ticks * 10 }
}

/** Hop-by-hop headers a proxy must not forward (RFC 9110 §7.6.1). */
const HOP = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

/** The guard proxy: Chromium's only way out. */
interface GuardProxy {
  url: string
  /** The last failure per `host:port` (a failed navigation's kind when Chromium only says "tunnel failed"). */
  lastError: Map<string, VisitErrorKind>
  close(): Promise<void>
}

/** Resolves `host` and returns one checked address; throws a coded error when refused or unresolvable. */
async function checkedAddress(
  host: string,
  allowPrivate: boolean,
  resolve: (h: string) => Promise<LookupAddress[]>,
): Promise<string> {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host
  const all = ipaddr.isValid(bare)
    ? [{ address: bare, family: bare.includes(':') ? 6 : 4 }]
    : await resolve(bare)
  if (all.length === 0) throw Object.assign(new Error(`no address for ${host}`), { code: 'ENOTFOUND' })
  if (!allowPrivate) {
    const bad = all.find((a) => !isPublicAddress(a.address))
    if (bad) throw Object.assign(new Error(`${host} resolves to ${bad.address}`), { code: 'BLOCKED' })
  }
  return all[0]!.address
}

const proxyErrorKind = (err: unknown): VisitErrorKind => {
  const code = (err as { code?: string }).code ?? ''
  if (code === 'BLOCKED') return 'blocked'
  if (code === 'EGRESS') return 'egress'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return 'dns'
  if (['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)) return 'connect'
  if (code === 'ETIMEDOUT') return 'timeout'
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'reset'
  return 'other'
}

/**
 * Starts the guard proxy on 127.0.0.1 (random port): plain HTTP in absolute form and CONNECT
 * tunnels (HTTPS, WebSockets), each to a checked address. A refused or failed upstream ends
 * the client connection without a response (Chromium then reports a network error, never a
 * page the site did not send: an invented 502 would count as answered and be charged).
 *
 * `egress` (a `VISITORS_EGRESS` proxy URL): every upstream connection — tunnels and plain
 * HTTP alike — is a `CONNECT` tunnel through that proxy to the checked address (the name
 * itself with `allowPrivate`, as HTTP mode), so the site sees the egress address and no
 * header is added; a refused tunnel fails as `egress`. One guard per country, each on its
 * own port: the port a browser context is given decides its egress (README "Browser mode").
 */
async function startGuardProxy(
  allowPrivate: boolean,
  resolve: (h: string) => Promise<LookupAddress[]>,
  egress?: string,
): Promise<GuardProxy> {
  /** The upstream socket to `host:port`: direct to the checked address, or tunnelled through the egress. */
  const upstream = async (host: string, port: number): Promise<net.Socket> => {
    const bare = host.startsWith('[') ? host.slice(1, -1) : host
    if (egress) {
      // With allowPrivate nothing is resolved here (the proxy resolves the name), as in HTTP mode.
      const target = allowPrivate ? bare : await checkedAddress(host, allowPrivate, resolve)
      return openEgressTunnel(egress, target, port)
    }
    const address = await checkedAddress(host, allowPrivate, resolve)
    return await new Promise<net.Socket>((res, rej) => {
      const s = net.connect(port, address, () => {
        s.off('error', rej)
        res(s)
      })
      s.once('error', rej)
    })
  }
  const lastError = new Map<string, VisitErrorKind>()
  const fail = (key: string, err: unknown) => {
    if (lastError.size > 1000) lastError.clear()
    lastError.set(key, proxyErrorKind(err))
  }
  const sockets = new Set<net.Socket>()
  const server = http.createServer((req, res) => {
    let u: URL
    try {
      u = new URL(req.url ?? '')
    } catch {
      res.writeHead(400).end()
      return
    }
    const key = `${u.hostname}:${u.port || 80}`
    if (u.protocol !== 'http:') {
      req.socket.destroy()
      return
    }
    const headers: http.OutgoingHttpHeaders = {}
    for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k) && v !== undefined) headers[k] = v
    upstream(u.hostname, Number(u.port || 80)).then(
      (sock) => {
        sockets.add(sock)
        sock.on('close', () => sockets.delete(sock))
        const up = http.request(
          {
            createConnection: () => sock,
            method: req.method,
            path: `${u.pathname}${u.search}`,
            headers: { ...headers, host: u.host },
            setHost: false,
          },
          (upRes) => {
            lastError.delete(key)
            const out: http.OutgoingHttpHeaders = {}
            for (const [k, v] of Object.entries(upRes.headers)) if (!HOP.has(k) && v !== undefined) out[k] = v
            res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, out)
            upRes.pipe(res)
            upRes.on('error', () => res.destroy())
          },
        )
        // A tunnel comes back paused (early bytes put back); the parser's listener is on now.
        up.on('socket', (s) => s.resume())
        up.on('error', (err) => {
          fail(key, err)
          req.socket.destroy()
        })
        req.pipe(up)
      },
      (err) => {
        fail(key, err)
        req.socket.destroy()
      },
    )
  })
  server.on('connection', (s: net.Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(req.url ?? '')
    client.on('error', () => {})
    if (!m) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n')
      return
    }
    const [, host, port] = m as unknown as [string, string, string]
    const key = `${host}:${port}`
    upstream(host, Number(port)).then(
      (up) => {
        lastError.delete(key)
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        if (head.length > 0) up.write(head)
        up.pipe(client)
        client.pipe(up)
        sockets.add(up)
        up.on('close', () => {
          sockets.delete(up)
          client.destroy()
        })
        up.on('error', (err) => {
          fail(key, err)
          client.destroy()
        })
        client.on('close', () => up.destroy())
      },
      (err) => {
        fail(key, err)
        // A refused target gets a 403 to the CONNECT; an unreachable upstream or egress, no answer.
        const kind = proxyErrorKind(err)
        if (kind === 'blocked' || kind === 'dns') client.end('HTTP/1.1 403 Forbidden\r\n\r\n')
        else client.destroy()
      },
    )
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    lastError,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}

/** One launched browser ("generation"): replaced when it grows past the memory cap or dies. */
interface Gen {
  server: BrowserServer
  browser: Browser
  version: string
  pid: number
  pages: number
  retired: boolean
}

/**
 * Creates the browser visitor. Nothing is launched until the first visit.
 * Source of the API shapes: playwright-core (`BrowserType.launchServer`, `BrowserType.connect`,
 * `Browser.newContext`, `devices`; https://playwright.dev/docs/api/class-browsertype).
 */
export function createVisitBrowser(opts: VisitBrowserOptions): VisitBrowser {
  const maxPages = opts.maxPages ?? 4
  const maxRssMb = opts.maxRssMb ?? 1024
  const maxWaitMs = opts.maxWaitMs ?? 250
  const timeoutMs = opts.timeoutMs ?? 15_000
  const maxDwellMs = opts.maxDwellMs ?? 30 * 60_000
  const resolve = opts.resolve ?? ((h: string) => dnsLookup(h, { all: true, verbatim: true }))
  const egress = opts.egress ?? {}
  /** Guard proxies by country ('' = direct), started on first use. */
  const guards = new Map<string, Promise<GuardProxy>>()
  /** The same once up (synchronous reads of their last errors). */
  const guardsUp = new Map<string, GuardProxy>()
  let current: Promise<Gen> | undefined
  let lastGen: Gen | undefined
  const gens = new Set<Gen>()
  let open = 0
  let peak = 0
  let launched = 0
  let closing = false
  let lastMemCheck = 0
  /** Visits waiting for a page, oldest first, by project key (the run ID): fair share (`nextPageWaiter`). */
  const waiters: { key: string; grant: () => void }[] = []
  /** Pages open per project key. */
  const openBy = new Map<string, number>()
  const inFlight = new Set<Promise<unknown>>()
  /** Aborted at close: time-on-page waits end at once. */
  const wrapUp = new AbortController()

  /** The guard of `cc` ('' = direct; a country must have an egress, checked by the caller). */
  const getProxy = (cc = '') => {
    let g = guards.get(cc)
    if (!g) {
      g = startGuardProxy(opts.allowPrivate, resolve, cc ? egress[cc] : undefined).then(
        (p) => {
          guardsUp.set(cc, p)
          return p
        },
        (err) => {
          guards.delete(cc)
          throw err
        },
      )
      guards.set(cc, g)
    }
    return g
  }

  async function launchGen(): Promise<Gen> {
    const p = await getProxy()
    const server = await chromium.launchServer({
      executablePath: opts.chromiumPath ?? '/usr/bin/chromium',
      args: [...CHROMIUM_ARGS, ...(opts.args ?? [])],
      proxy: { server: p.url },
    })
    const browser = await chromium.connect(server.wsEndpoint())
    const g: Gen = {
      server,
      browser,
      version: browser.version(),
      pid: server.process().pid ?? 0,
      pages: 0,
      retired: false,
    }
    launched++
    gens.add(g)
    lastGen = g
    browser.on('disconnected', () => retire(g))
    return g
  }

  const getGen = () => {
    current ??= launchGen().catch((err) => {
      current = undefined
      throw err
    })
    return current
  }

  async function closeGen(g: Gen) {
    gens.delete(g)
    await g.browser.close().catch(() => {})
    await g.server.close().catch(() => {})
  }

  function retire(g: Gen) {
    if (g.retired) return
    g.retired = true
    current?.then(
      (c) => {
        if (c === g) current = undefined
      },
      () => {},
    )
    if (g.pages === 0) void closeGen(g)
  }

  function take(key: string) {
    open++
    peak = Math.max(peak, open)
    openBy.set(key, (openBy.get(key) ?? 0) + 1)
  }
  /**
   * Takes a page slot for project `key`, waiting up to `maxWaitMs`; false when none came free.
   * A freed page goes to the waiting project with the fewest pages open (README "Browser
   * mode", page cap), so one fast project cannot keep every page.
   */
  function acquire(key: string): Promise<boolean> {
    if (closing) return Promise.resolve(false)
    if (open < maxPages) {
      take(key)
      return Promise.resolve(true)
    }
    return new Promise((res) => {
      const w = {
        key,
        grant: () => {
          clearTimeout(timer)
          take(key)
          res(true)
        },
      }
      const timer = setTimeout(() => {
        const i = waiters.indexOf(w)
        if (i >= 0) waiters.splice(i, 1)
        res(false)
      }, maxWaitMs)
      waiters.push(w)
    })
  }
  function release(key: string) {
    open--
    const n = (openBy.get(key) ?? 1) - 1
    if (n > 0) openBy.set(key, n)
    else openBy.delete(key)
    if (closing) return
    const i = nextPageWaiter(waiters, openBy)
    if (i >= 0) waiters.splice(i, 1)[0]!.grant()
  }

  function checkMemory(g: Gen) {
    const t = opts.nowMs()
    if (t - lastMemCheck < 2000 || g.retired) return
    lastMemCheck = t
    const u = processTreeUsage(g.pid)
    if (u && u.memoryMb > maxRssMb) {
      opts.logger?.warn(
        { memoryMb: Math.round(u.memoryMb), maxRssMb },
        'visitors: browser over its memory cap; replaced',
      )
      retire(g)
    }
  }

  /** Time on page: waits with a light scroll every 0.8–2.5 s; ends early on close or abort. */
  async function dwell(
    page: Page,
    ms: number,
    signal: AbortSignal | undefined,
    refresh: () => Promise<void>,
  ) {
    const end = opts.nowMs() + Math.min(ms, maxDwellMs)
    let lastRefresh = opts.nowMs()
    const stop = signal ? AbortSignal.any([signal, wrapUp.signal]) : wrapUp.signal
    while (!stop.aborted && !page.isClosed()) {
      const left = end - opts.nowMs()
      if (left <= 0) break
      const wait = Math.min(left, randomInt(800, 2500))
      await new Promise<void>((res) => {
        const t = setTimeout(done, wait)
        function done() {
          clearTimeout(t)
          stop.removeEventListener('abort', done)
          res()
        }
        stop.addEventListener('abort', done)
      })
      if (stop.aborted || page.isClosed() || opts.nowMs() >= end) break
      // Mostly down, now and then back up a little, as a reader does.
      const dy = randomInt(0, 5) === 0 ? -randomInt(100, 300) : randomInt(200, 700)
      await page.mouse.wheel(0, dy).catch(() => {})
      // The signed label carries a timestamp: refresh it on long visits (owners check ±300 s).
      if (opts.nowMs() - lastRefresh > 60_000) {
        lastRefresh = opts.nowMs()
        await refresh().catch(() => {})
      }
    }
  }

  async function visitOnce(req: VisitorRequest): Promise<VisitorOutcome> {
    const startUrl = new URL(req.url)
    const base: VisitorOutcome = {
      answered: false,
      doneAtMs: 0,
      redirects: 0,
      subresources: 0,
      subresourceErrors: 0,
      bytes: 0,
      finalUrl: req.url,
    }
    // Refused targets are refused before a page is opened (and never reach the proxy).
    if (startUrl.protocol !== 'http:' && startUrl.protocol !== 'https:')
      return { ...base, error: 'blocked', doneAtMs: opts.nowMs() }
    // Geo is never faked: a country without an (HTTP) egress fails, never goes out direct.
    const cc = req.country ?? ''
    if (cc && !/^https?:/i.test(egress[cc] ?? '')) return { ...base, error: 'egress', doneAtMs: opts.nowMs() }
    try {
      await checkedAddress(startUrl.hostname, opts.allowPrivate, resolve)
    } catch (err) {
      return { ...base, error: proxyErrorKind(err), doneAtMs: opts.nowMs() }
    }
    if (!(await acquire(req.runId))) return { ...base, dropped: true, doneAtMs: opts.nowMs() }
    let g: Gen | undefined
    try {
      try {
        g = await getGen()
      } catch (err) {
        opts.logger?.warn({ err }, 'visitors: browser launch failed')
        return { ...base, error: 'other', doneAtMs: opts.nowMs() }
      }
      g.pages++
      return await onPage(g, req, startUrl, base)
    } finally {
      release(req.runId)
      if (g) {
        g.pages--
        if (g.retired && g.pages === 0) void closeGen(g)
        else checkMemory(g)
      }
    }
  }

  async function onPage(
    g: Gen,
    req: VisitorRequest,
    startUrl: URL,
    base: VisitorOutcome,
  ): Promise<VisitorOutcome> {
    const label = () => visitHeader(req.signingKey, req.runId, Math.floor(opts.nowMs() / 1000))
    const profile = deviceProfile(
      req.device,
      req.uaIndex,
      g.version,
      visitUaSuffix(opts.publicUrl, req.runId),
    )
    let context: BrowserContext
    try {
      // A geo visit's context goes through its country's guard (per-context proxy: Chromium's
      // `Target.createBrowserContext` proxyServer); others use the browser's own, direct.
      const cc = req.country ?? ''
      const proxy = cc ? { proxy: { server: (await getProxy(cc)).url } } : {}
      context = await g.browser.newContext({
        ...profile,
        ...proxy,
        extraHTTPHeaders: { [VISIT_HEADER]: label() },
      })
    } catch (err) {
      opts.logger?.warn({ err }, 'visitors: browser context failed')
      retire(g)
      return { ...base, error: 'other', doneAtMs: opts.nowMs() }
    }
    const out = { ...base }
    let headersAtMs: number | undefined
    let status: number | undefined
    let requests = 0
    const sizes: Promise<void>[] = []
    try {
      const page = await context.newPage()
      const main = page.mainFrame()
      page.on('response', (res) => {
        const r = res.request()
        if (r.frame() === main && r.isNavigationRequest()) {
          headersAtMs ??= opts.nowMs()
          status = res.status()
          if (status >= 300 && status < 400) out.redirects++
        } else if (res.status() >= 400) out.subresourceErrors++
      })
      page.on('requestfailed', (r) => {
        if (!(r.frame() === main && r.isNavigationRequest())) out.subresourceErrors++
      })
      page.on('requestfinished', (r) => {
        requests++
        if (requests <= 100)
          sizes.push(
            r.sizes().then(
              (s) => {
                out.bytes += s.responseBodySize
              },
              () => {},
            ),
          )
      })
      // A script sending the main frame to a host outside the project ends the visit.
      let offHost = false
      page.on('framenavigated', (f) => {
        if (f !== main) return
        try {
          if (!req.allowedHosts.has(new URL(f.url()).host.toLowerCase()) && f.url() !== 'about:blank') {
            offHost = true
            void page.close().catch(() => {})
          }
        } catch {
          // about:blank or a data: URL: stays.
        }
      })
      let loaded = false
      try {
        const res = await page.goto(req.url, {
          waitUntil: 'load',
          timeout: timeoutMs,
          ...(req.referrer ? { referer: req.referrer } : {}),
        })
        if (res) status = res.status()
        loaded = true
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err)
        const proxied = lastGuardError(req.country ?? '', startUrl)
        out.error = headersAtMs === undefined && proxied ? proxied : browserErrorKind(msg)
      }
      out.answered = headersAtMs !== undefined
      out.status = out.answered ? status : undefined
      out.headersAtMs = headersAtMs
      out.finalUrl = page.isClosed() ? out.finalUrl : page.url()
      if (loaded && !offHost) {
        await dwell(page, req.timeOnPageMs ?? 0, req.signal, () =>
          context.setExtraHTTPHeaders({ [VISIT_HEADER]: label() }),
        )
      }
    } catch (err) {
      // The page or browser died under us: keep what was seen.
      out.answered = headersAtMs !== undefined
      out.status = out.answered ? status : undefined
      out.headersAtMs = headersAtMs
      out.error ??= browserErrorKind(err instanceof Error ? err.message : String(err))
    } finally {
      await Promise.race([Promise.all(sizes), new Promise((r) => setTimeout(r, 1000))])
      await context.close().catch(() => {})
    }
    out.subresources = Math.max(0, requests - 1 - out.redirects)
    out.doneAtMs = opts.nowMs()
    return out
  }

  /** The visit's guard's last failure for the main URL's host (a tunnel failure's real kind). */
  function lastGuardError(cc: string, u: URL): VisitErrorKind | undefined {
    const port = u.port || (u.protocol === 'https:' ? '443' : '80')
    return guardsUp.get(cc)?.lastError.get(`${u.hostname}:${port}`)
  }

  return {
    visit(req) {
      const p = visitOnce(req).catch((err): VisitorOutcome => {
        opts.logger?.warn({ err }, 'visitors: browser visit failed')
        return {
          answered: false,
          error: 'other',
          doneAtMs: opts.nowMs(),
          redirects: 0,
          subresources: 0,
          subresourceErrors: 0,
          bytes: 0,
          finalUrl: req.url,
        }
      })
      inFlight.add(p)
      void p.finally(() => inFlight.delete(p))
      return p
    },
    async close() {
      closing = true
      wrapUp.abort()
      // Waiting visits are not granted any more: their `maxWaitMs` runs out and they come back dropped.
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        Promise.all(inFlight),
        new Promise((r) => {
          timer = setTimeout(r, timeoutMs + 5000)
        }),
      ])
      clearTimeout(timer)
      current = undefined
      await Promise.all([...gens].map(closeGen))
      const all = await Promise.all([...guards.values()].map((g) => g.catch(() => undefined)))
      guards.clear()
      guardsUp.clear()
      await Promise.all(all.map((p) => p?.close()))
    },
    openPages: () => open,
    peakPages: () => peak,
    usage: () => (lastGen && gens.has(lastGen) ? processTreeUsage(lastGen.pid) : null),
    launches: () => launched,
    // SOCKS countries are not offered to browser visits (the engine pauses such a project, `no_egress`).
    egressCountries: Object.keys(egress)
      .filter((cc) => /^https?:/i.test(egress[cc]!))
      .sort(),
  }
}
