/**
 * Lower OS scheduling priority for the embedded ClickHouse engine's threads (Linux).
 *
 * Why: chDB runs inside our process, and its insert and merge threads share the machine's
 * cores with the event loop that answers redirects. When they take every core, the event
 * loop waits to be scheduled and the redirect's tail latency grows by those milliseconds.
 * Ingestion can lag a little (the spool keeps every event); a visitor should not. Linux
 * keeps a nice value per thread, so `setpriority` on a thread ID lowers that one thread.
 *
 * chDB names its threads (`ThreadPool`, `MergeMutate`, `BgSchPool`, …); every thread Node,
 * V8 or libuv starts is called `node`, and those keep their priority (the GC's helper
 * threads must not slow the event loop's own pauses down). Threads are started lazily, so
 * the scan repeats.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import os from 'node:os'

/** A thread of this process as /proc lists it. */
export interface TaskInfo {
  tid: number
  name: string
}

/**
 * The threads to lower: named by the engine (not `node`), not the main thread, not done yet.
 * Pure, for tests.
 */
export function threadsToLower(
  tasks: readonly TaskInfo[],
  mainTid: number,
  done: ReadonlySet<number>,
): number[] {
  return tasks.filter((t) => t.tid !== mainTid && t.name !== 'node' && !done.has(t.tid)).map((t) => t.tid)
}

function listTasks(): TaskInfo[] {
  const out: TaskInfo[] = []
  for (const entry of readdirSync('/proc/self/task')) {
    try {
      out.push({ tid: Number(entry), name: readFileSync(`/proc/self/task/${entry}/comm`, 'utf8').trim() })
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out
}

/**
 * Sets the nice value of the engine's threads to `nice` now and every `intervalMs` (new
 * threads). No-op where /proc/self/task does not exist (not Linux).
 * @param opts.nice 1–19 (higher = lower priority); default 10.
 * @param opts.intervalMs rescan period; default 2,000 ms.
 * @returns a function that stops the rescans (priorities already set stay).
 */
export function lowerEngineThreadPriority(opts: { nice?: number; intervalMs?: number } = {}): () => void {
  const nice = opts.nice ?? 10
  if (!Number.isInteger(nice) || nice < 1 || nice > 19) throw new RangeError(`nice must be 1–19, got ${nice}`)
  if (!existsSync('/proc/self/task')) return () => {}
  const done = new Set<number>()
  const scan = () => {
    let current: TaskInfo[]
    try {
      current = listTasks()
    } catch {
      return // /proc unreadable for a moment: the next scan tries again
    }
    const alive = new Set(current.map((t) => t.tid))
    for (const tid of done) if (!alive.has(tid)) done.delete(tid)
    for (const tid of threadsToLower(current, process.pid, done)) {
      try {
        os.setPriority(tid, nice)
      } catch {
        // Not permitted or already gone: try again on the next scan.
        continue
      }
      done.add(tid)
    }
  }
  scan()
  const timer = setInterval(scan, opts.intervalMs ?? 2000)
  timer.unref()
  return () => clearInterval(timer)
}
