/**
 * OS scheduling priority of this process's helper threads (Linux): the event loop first.
 *
 * Why: the redirect is answered by the event loop alone, but the process runs many more
 * threads: chDB's engine (`ThreadPool`, `MergeMutate`, …), libuv's pool (where chDB parses
 * an insert, files are written and passwords hashed) and V8's GC helpers. On a small
 * machine they take cores the event loop is waiting for, and the redirect's tail latency
 * grows by those milliseconds. Ingestion can lag (the spool keeps every event); a visitor
 * should not wait. Linux keeps the policy and nice value per thread, so each thread is set
 * on its own.
 *
 * Modes (`THREAD_PRIORITY`):
 * - `idle` (default): every thread but the event loop runs under `SCHED_IDLE` (set with
 *   util-linux's `chrt`), so it only gets a core the event loop and the machine's other
 *   processes leave free. Where `chrt` is missing or refused, nice 19 instead. Measured on
 *   2 cores (bench:redirect, paced to half the peak): p99 4.4–4.8 ms against 6.0 ms with
 *   `engine`.
 * - `engine`: only chDB's threads, at nice 10 (Node's, V8's and libuv's own threads — see
 *   {@link isNodeThread} — keep their priority).
 * - `off`: nothing changes.
 *
 * Threads start lazily (chDB grows its pools under load), so the scan repeats. A thread
 * started by an idle thread inherits its policy, so repeats rarely find work.
 */
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import os from 'node:os'

/** What to lower; see the module comment. */
export type ThreadPriorityMode = 'idle' | 'engine' | 'off'

/** Linux's number for the SCHED_IDLE policy (sched.h). */
export const SCHED_IDLE = 5
/** Nice value for `engine` mode and for `idle` where SCHED_IDLE cannot be set. */
export const ENGINE_NICE = 10
export const FALLBACK_NICE = 19

/** A thread of this process as /proc lists it. */
export interface TaskInfo {
  tid: number
  /** `comm` (at most 15 characters): chDB names its threads; see {@link isNodeThread} for Node's. */
  name: string
  /** Current nice value, −20…19. */
  nice: number
  /** Scheduling policy number (0 normal, 3 batch, 5 idle). */
  policy: number
}

/**
 * Thread names (`comm`) of Node's own threads: before Node 24 all of them were `node`;
 * Node 24 names them (`MainThread`, `V8Worker`, `libuv-worker`, `DelayedTaskScheduler` cut to
 * 15 characters, `SignalInspector`, `WorkerThread`). Anything else in the process is chDB's.
 */
const NODE_THREAD_NAMES = new Set([
  'node',
  'MainThread',
  'V8Worker',
  'libuv-worker',
  'DelayedTaskSche',
  'SignalInspector',
  'WorkerThread',
])

/** Whether a thread of this process is one Node, V8 or libuv started (not chDB's). */
export function isNodeThread(name: string): boolean {
  return NODE_THREAD_NAMES.has(name)
}

/** A change to make to one thread. */
export type PriorityAction = { tid: number; set: 'idle' } | { tid: number; set: 'nice'; nice: number }

/**
 * The changes that bring the threads to `mode`. Pure, for tests. Never the main thread;
 * never a thread already there, so repeated scans are free.
 * @param noIdle threads (or all, when `true`) where SCHED_IDLE could not be set: they get
 *   nice {@link FALLBACK_NICE} instead.
 */
export function priorityActions(
  tasks: readonly TaskInfo[],
  mainTid: number,
  mode: ThreadPriorityMode,
  noIdle: ReadonlySet<number> | true = new Set(),
): PriorityAction[] {
  if (mode === 'off') return []
  const out: PriorityAction[] = []
  for (const t of tasks) {
    if (t.tid === mainTid) continue
    if (mode === 'engine') {
      if (!isNodeThread(t.name) && t.nice < ENGINE_NICE)
        out.push({ tid: t.tid, set: 'nice', nice: ENGINE_NICE })
    } else if (noIdle === true || noIdle.has(t.tid)) {
      if (t.policy !== SCHED_IDLE && t.nice < FALLBACK_NICE)
        out.push({ tid: t.tid, set: 'nice', nice: FALLBACK_NICE })
    } else if (t.policy !== SCHED_IDLE) out.push({ tid: t.tid, set: 'idle' })
  }
  return out
}

/**
 * Parses `/proc/<pid>/task/<tid>/stat` (proc(5)): the name sits in parentheses and may hold
 * spaces; nice is field 19, policy field 41.
 */
export function parseTaskStat(tid: number, stat: string): TaskInfo {
  const close = stat.lastIndexOf(')')
  const f = stat.slice(close + 2).split(' ') // f[0] is field 3 (state)
  return {
    tid,
    name: stat.slice(stat.indexOf('(') + 1, close),
    nice: Number(f[16]),
    policy: Number(f[38]),
  }
}

/** The threads of this process; a thread gone mid-read is skipped. */
export function listTasks(): TaskInfo[] {
  const out: TaskInfo[] = []
  for (const entry of readdirSync('/proc/self/task')) {
    try {
      out.push(parseTaskStat(Number(entry), readFileSync(`/proc/self/task/${entry}/stat`, 'utf8')))
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out
}

/**
 * Sets SCHED_IDLE on the threads with one shell for all of them (each fork of a large
 * process costs the event loop its page tables). Resolves with the threads it could not set.
 * Rejects when `chrt` (or `sh`) is missing.
 */
function setIdle(tids: readonly number[]): Promise<number[]> {
  const script =
    'for t; do chrt --idle --pid 0 "$t" 2>/dev/null || echo "$t"; done; command -v chrt >/dev/null'
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', script, 'sh', ...tids.map(String)], { timeout: 10_000 }, (err, stdout) => {
      if (err) reject(err)
      else resolve(stdout.split('\n').filter(Boolean).map(Number))
    })
  })
}

/** Options of {@link startThreadPriority}. */
export interface ThreadPriorityOptions {
  mode: ThreadPriorityMode
  /** Rescan period for new threads; default 2,000 ms. */
  intervalMs?: number
  /** Told once when `idle` falls back to nice values because `chrt` is missing. */
  onFallback?: (reason: string) => void
}

/**
 * Brings this process's threads to `mode` now and on every rescan. No-op where
 * /proc/self/task does not exist (not Linux) or in mode `off`. Never throws from a timer:
 * a failed scan is retried by the next one.
 * @returns a function that stops the rescans (priorities already set stay).
 */
export function startThreadPriority(opts: ThreadPriorityOptions): () => void {
  if (opts.mode === 'off' || !existsSync('/proc/self/task')) return () => {}
  const noIdle = new Set<number>()
  let noChrt = false
  let busy = false
  const fallback = (reason: string) => {
    if (!noChrt) opts.onFallback?.(reason)
    noChrt = true
  }
  const scan = () => {
    if (busy) return
    let tasks: TaskInfo[]
    try {
      tasks = listTasks()
    } catch {
      return // /proc unreadable for a moment
    }
    const alive = new Set(tasks.map((t) => t.tid))
    for (const tid of noIdle) if (!alive.has(tid)) noIdle.delete(tid)
    const actions = priorityActions(tasks, process.pid, opts.mode, noChrt ? true : noIdle)
    const idle: number[] = []
    for (const a of actions) {
      if (a.set === 'idle') idle.push(a.tid)
      else {
        try {
          os.setPriority(a.tid, a.nice)
        } catch {
          // Gone, or not permitted: the next scan tries again.
        }
      }
    }
    if (idle.length === 0) return
    busy = true
    setIdle(idle).then(
      (failed) => {
        busy = false
        // Refused (or already gone): the thread gets a nice value on the next scan instead.
        for (const tid of failed) noIdle.add(tid)
      },
      (err: Error) => {
        busy = false
        fallback(`chrt unavailable: ${err.message.split('\n')[0]}`)
      },
    )
  }
  scan()
  const timer = setInterval(scan, opts.intervalMs ?? 2000)
  timer.unref()
  return () => clearInterval(timer)
}
