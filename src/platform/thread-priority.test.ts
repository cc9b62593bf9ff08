import os from 'node:os'
import { describe, expect, it } from 'vitest'
import { lowerEngineThreadPriority, threadsToLower } from './thread-priority.ts'

describe('threadsToLower', () => {
  const tasks = [
    { tid: 100, name: 'node' }, // the main thread (pid)
    { tid: 101, name: 'node' }, // V8 / libuv helper
    { tid: 102, name: 'ThreadPool' },
    { tid: 103, name: 'MergeMutate' },
    { tid: 104, name: 'BgSchPool' },
  ]
  it.each([
    {
      name: 'engine threads only, never the main thread or node helpers',
      main: 100,
      done: [],
      want: [102, 103, 104],
    },
    { name: 'skips threads already lowered', main: 100, done: [102, 104], want: [103] },
    { name: 'the main thread is kept even when it is renamed', main: 102, done: [], want: [103, 104] },
  ])('$name', ({ main, done, want }) => {
    expect(threadsToLower(tasks, main, new Set(done))).toEqual(want)
  })
})

describe('lowerEngineThreadPriority', () => {
  it('refuses a nice value outside 1–19', () => {
    for (const nice of [0, 20, -5, 2.5]) expect(() => lowerEngineThreadPriority({ nice })).toThrow(RangeError)
  })
  it('leaves the calling thread alone and can be stopped', () => {
    const stop = lowerEngineThreadPriority({ intervalMs: 60_000 })
    stop()
    expect(os.getPriority(process.pid)).toBe(0)
  })
})
