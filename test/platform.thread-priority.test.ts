/**
 * THREAD_PRIORITY on real threads: a child process opens embedded ClickHouse (its named
 * threads), uses libuv's pool and V8's helpers, applies a mode, and reports every thread's
 * policy and nice value from /proc. Linux only.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, symlinkSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { isNodeThread, SCHED_IDLE, type TaskInfo } from '../src/platform/thread-priority.ts'
import { ROOT, tempDataDir } from './helpers/server.ts'

interface ChildReport {
  pid: number
  tasks: TaskInfo[]
  fallback: string | null
}

const CHILD = `
const { listTasks, startThreadPriority } = await import(${JSON.stringify(path.join(ROOT, 'src/platform/thread-priority.ts'))})
const { Session } = await import('chdb')
const session = new Session(process.env.CH_DIR)
session.query('SELECT sum(number) FROM numbers(2000000)')
await (await import('node:fs/promises')).readFile('/proc/self/status')
let fallback = null
const stop = startThreadPriority({ mode: process.env.MODE, intervalMs: 100, onFallback: (r) => { fallback = r } })
await new Promise((r) => setTimeout(r, 1500))
stop()
console.log(JSON.stringify({ pid: process.pid, tasks: listTasks(), fallback }))
session.close()
`

function runChild(mode: string, env: Record<string, string> = {}): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', CHILD],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/root',
          CH_DIR: tempDataDir('tf-prio-'),
          MODE: mode,
          ...env,
        },
        timeout: 60_000,
      },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`))
        else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as ChildReport)
      },
    )
  })
}

const split = (r: ChildReport) => ({
  main: r.tasks.find((t) => t.tid === r.pid)!,
  others: r.tasks.filter((t) => t.tid !== r.pid),
})

describe.runIf(existsSync('/proc/self/task'))('THREAD_PRIORITY on a real process', () => {
  it('idle: every thread but the event loop runs under SCHED_IDLE', async () => {
    const r = await runChild('idle')
    const { main, others } = split(r)
    expect(r.fallback).toBeNull()
    expect(main).toMatchObject({ policy: 0, nice: 0 })
    expect(others.some((t) => !isNodeThread(t.name))).toBe(true) // the engine's threads are there
    expect(others.some((t) => isNodeThread(t.name))).toBe(true) // and Node's helpers
    expect(others.filter((t) => t.policy !== SCHED_IDLE)).toEqual([])
  }, 60_000)

  it("engine: only the engine's named threads, at nice 10", async () => {
    const { main, others } = split(await runChild('engine'))
    expect(main).toMatchObject({ policy: 0, nice: 0 })
    const engine = others.filter((t) => !isNodeThread(t.name))
    expect(engine.length).toBeGreaterThan(0)
    expect(engine.filter((t) => t.nice !== 10)).toEqual([])
    expect(others.filter((t) => isNodeThread(t.name) && (t.nice !== 0 || t.policy !== 0))).toEqual([])
  }, 60_000)

  it('idle without chrt: says so once and uses nice 19', async () => {
    // A PATH holding only `sh`, so the shell runs but `chrt` is not found.
    const bin = path.join(tempDataDir('tf-prio-bin-'), 'bin')
    mkdirSync(bin, { recursive: true })
    symlinkSync('/bin/sh', path.join(bin, 'sh'))
    const r = await runChild('idle', { PATH: bin })
    const { main, others } = split(r)
    expect(r.fallback).toMatch(/chrt/)
    expect(main).toMatchObject({ policy: 0, nice: 0 })
    expect(others.filter((t) => t.policy !== 0 || t.nice !== 19)).toEqual([])
  }, 60_000)

  it('off: nothing changes', async () => {
    const { others } = split(await runChild('off'))
    // (chDB raises its own MemoryWorker to nice −20 where it may; that is left as it is.)
    expect(others.filter((t) => t.policy === SCHED_IDLE || t.nice > 0)).toEqual([])
  }, 60_000)
})
