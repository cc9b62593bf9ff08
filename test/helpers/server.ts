/**
 * Runs the real server as a child process (`node --import tsx src/main.ts serve`) on a free
 * loopback port with its own DATA_DIR, for end-to-end and crash tests.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

export const ROOT = path.resolve(import.meta.dirname, '../..')

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
  })
}

export function tempDataDir(prefix = 'tf-e2e-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix))
}

export interface ServerProcess {
  url: string
  port: number
  proc: ChildProcess
  /** Everything the process printed to stdout so far. */
  output(): string
  /** SIGTERM and wait for exit (graceful: flushes clicks). */
  stop(): Promise<void>
  /** SIGKILL and wait for exit (a crash). */
  kill9(): Promise<void>
}

/**
 * Starts the server and waits until `/readyz` answers 200.
 * @param env extra environment (DATA_DIR, PORT and quiet logs are set by default).
 */
export async function startServerProcess(opts: {
  dataDir: string
  port?: number
  env?: Record<string, string>
  /** Extra node flags, e.g. --cpu-prof for profiling. */
  nodeArgs?: string[]
  /** Arguments after `serve`, e.g. `--role=traffic`. */
  args?: string[]
}): Promise<ServerProcess> {
  const port = opts.port ?? (await freePort())
  const proc = spawn(
    process.execPath,
    [...(opts.nodeArgs ?? []), '--import', 'tsx', 'src/main.ts', 'serve', ...(opts.args ?? [])],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        DATA_DIR: opts.dataDir,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        // Not the default `idle`: parallel test files keep both cores busy, and idle helper
        // threads (chDB inserts, argon2 on libuv) would wait for a free core for seconds.
        THREAD_PRIORITY: 'engine',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let out = ''
  let err = ''
  proc.stdout!.on('data', (d) => {
    out += d
  })
  proc.stderr!.on('data', (d) => {
    err += d
  })
  const exited = new Promise<void>((r) => proc.once('exit', () => r()))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 90_000
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited (${proc.exitCode}):\n${out}\n${err}`)
    try {
      const res = await fetch(`${url}/readyz`)
      if (res.status === 200) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL')
      throw new Error(`server did not become ready:\n${out}\n${err}`)
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  return {
    url,
    port,
    proc,
    output: () => out,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM')
      await exited
    },
    kill9: async () => {
      if (proc.exitCode === null) proc.kill('SIGKILL')
      await exited
    },
  }
}

/** Logs in and returns the session cookie header value. */
export async function login(url: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  })
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`)
  const cookie = res.headers.get('set-cookie') ?? ''
  return cookie.split(';')[0]!
}

/** An admin API answer: the HTTP status and the parsed JSON body (`{}` when empty). */
export interface ApiAnswer {
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields.
  body: Record<string, any>
}

/**
 * Calls `<url>/api/v1<path>` over HTTP as a cookie session, with the CSRF header that
 * cookie writes need; `body` is sent as JSON when given.
 */
export async function apiCall(
  url: string,
  cookie: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiAnswer> {
  const res = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: {
      cookie,
      'x-requested-with': 'traffoflex',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : {} }
}
