/**
 * Fixtures of the event-log tests: unique NATS stream names (deleted after), a private
 * nats-server (a real outage: the server process is not there, or is killed), and events.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer, Socket } from 'node:net'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import type { PipelineEvent } from '../src/modules/analytics/index.ts'
import { click, tempDir, trafficback } from './analytics.helpers.ts'

export const NATS_URL = 'nats://127.0.0.1:4222'

/** A stream name no other test (or run) uses. */
export const uniqueStream = (prefix = 'TFXT'): string => `${prefix}_${randomBytes(5).toString('hex')}`

/** Deletes `streams` on the shared server (missing ones ignored). */
export async function deleteStreams(streams: readonly string[], servers = NATS_URL): Promise<void> {
  const nc = await connect({ servers })
  try {
    const jsm = await jetstreamManager(nc)
    for (const s of streams) await jsm.streams.delete(s).catch(() => false)
  } finally {
    await nc.close()
  }
}

/** Messages stored in `stream`. */
export async function streamMessages(stream: string, servers = NATS_URL): Promise<number> {
  const nc = await connect({ servers })
  try {
    return (await (await jetstreamManager(nc)).streams.info(stream)).state.messages
  } finally {
    await nc.close()
  }
}

/** `n` events of workspace `ws`: every `every`-th a trafficback, the rest clicks; IDs `<ws>-<i>`. */
export function events(ws: string, n: number, from = 0, every = 10): PipelineEvent[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k
    return i % every === every - 1
      ? trafficback({ click_id: `${ws}-${i}`, workspace_id: ws })
      : click({ click_id: `${ws}-${i}`, workspace_id: ws })
  })
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as { port: number }).port
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

/** A nats-server with JetStream on `port`, storing under `dir`; resolves once it accepts connections. */
export async function startNatsServer(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], {
    stdio: 'ignore',
  })
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = new Socket()
      s.once('connect', () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
      s.connect(port, '127.0.0.1')
    })
    if (ok) return child
    await new Promise((r) => setTimeout(r, 50))
  }
  child.kill('SIGKILL')
  throw new Error('nats-server did not start')
}

/** Kills `child` with `signal` and waits for it to exit. */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill(signal)
  await exited
}

/** A private JetStream server's storage directory. */
export const natsDir = (): string => tempDir('nats')
