/**
 * Runs replays (`autopilot.replay.ts`) on a worker thread, not on the event loop.
 *
 * Why: a replay is pure CPU — up to 2 × 1440 minutes through `decide` with up to 1000
 * destinations, about a second on a small machine. On the main thread that second stalls
 * every redirect of the process. Here it runs in a `piscina` pool: the main thread only
 * posts the (already validated) input and receives the result.
 *
 * Bounds: `maxThreads` workers (default 1: replay is a rare tool, the cores belong to the
 * redirect), at most `maxQueue` replays waiting (default 4; past it {@link ReplayBusyError}),
 * and a deadline per replay from the moment it is submitted (default 10 s; past it the worker
 * running it is terminated and {@link ReplayTimeoutError} is thrown). Workers start on the
 * first replay and exit after `idleTimeoutMs` without work (default 60 s). On Linux the
 * worker threads are lowered with the process's other helper threads
 * (`src/platform/thread-priority.ts`).
 *
 * The worker loads the TypeScript sources through tsx (`--import tsx` in its `execArgv`), as
 * the process itself runs under tsx.
 */
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Piscina } from 'piscina'
import type { ReplayInput, ReplayResult } from './autopilot.replay.ts'

/** Sizing of {@link createReplayPool}. */
export interface ReplayPoolOptions {
  /** Worker threads, default 1. */
  maxThreads?: number
  /** Replays that may wait for a worker, default 4. */
  maxQueue?: number
  /** Deadline of one replay from submission (queue + run), in milliseconds; default 10,000. */
  timeoutMs?: number
  /** An idle worker exits after this many milliseconds; default 60,000. */
  idleTimeoutMs?: number
}

/** A pool of replay workers. */
export interface ReplayPool {
  /**
   * Runs one replay on a worker.
   * @throws ReplayBusyError the queue is full (nothing was started).
   * @throws ReplayTimeoutError the deadline passed (the worker was terminated).
   * @throws Error the worker's own error (e.g. ZodError message for an invalid input).
   */
  run(input: ReplayInput): Promise<ReplayResult>
  /** Terminates the workers; replays still running reject. */
  close(): Promise<void>
}

/** Thrown by {@link ReplayPool.run} when `maxQueue` replays already wait. */
export class ReplayBusyError extends Error {
  constructor() {
    super('too many replays are running; try again shortly')
    this.name = 'ReplayBusyError'
  }
}

/** Thrown by {@link ReplayPool.run} when a replay ran past its deadline. */
export class ReplayTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the replay ran longer than ${timeoutMs} ms`)
    this.name = 'ReplayTimeoutError'
  }
}

const WORKER = new URL('./autopilot.replay.worker.ts', import.meta.url)
// Absolute, so the worker finds tsx whatever the working directory.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href

/** Creates the pool (no thread starts before the first replay). */
export function createReplayPool(opts: ReplayPoolOptions = {}): ReplayPool {
  const timeoutMs = opts.timeoutMs ?? 10_000
  const pool = new Piscina({
    filename: WORKER.href,
    minThreads: 0,
    maxThreads: opts.maxThreads ?? 1,
    maxQueue: opts.maxQueue ?? 4,
    idleTimeout: opts.idleTimeoutMs ?? 60_000,
    execArgv: ['--import', TSX],
  })
  return {
    async run(input) {
      const signal = AbortSignal.timeout(timeoutMs)
      try {
        return (await pool.run(input, { signal })) as ReplayResult
      } catch (err) {
        if (signal.aborted) throw new ReplayTimeoutError(timeoutMs)
        if (err instanceof Error && /queue is at limit|all Workers are busy/i.test(err.message))
          throw new ReplayBusyError()
        throw err
      }
    },
    close: () => pool.destroy(),
  }
}
