import { describe, expect, it } from 'vitest'
import { parseTaskStat, priorityActions, SCHED_IDLE, type TaskInfo } from './thread-priority.ts'

const task = (tid: number, name: string, nice = 0, policy = 0): TaskInfo => ({ tid, name, nice, policy })

describe('priorityActions', () => {
  const main = task(100, 'node')
  const helper = task(101, 'node') // V8 or libuv
  const engine = task(102, 'ThreadPool')
  const tasks = [main, helper, engine]
  it.each([
    { name: 'off changes nothing', mode: 'off' as const, tasks, want: [] },
    {
      name: 'idle: every thread but the main one',
      mode: 'idle' as const,
      tasks,
      want: [
        { tid: 101, set: 'idle' },
        { tid: 102, set: 'idle' },
      ],
    },
    {
      name: 'idle: threads already idle are left alone',
      mode: 'idle' as const,
      tasks: [main, task(101, 'node', 0, SCHED_IDLE), engine],
      want: [{ tid: 102, set: 'idle' }],
    },
    {
      name: 'engine: only named engine threads, to nice 10',
      mode: 'engine' as const,
      tasks,
      want: [{ tid: 102, set: 'nice', nice: 10 }],
    },
    {
      name: "engine: Node 24's named threads are Node's, not the engine's",
      mode: 'engine' as const,
      tasks: [
        task(100, 'MainThread'),
        task(101, 'V8Worker'),
        task(102, 'libuv-worker'),
        task(103, 'DelayedTaskSche'),
        task(104, 'SignalInspector'),
        task(105, 'ThreadPool'),
      ],
      want: [{ tid: 105, set: 'nice', nice: 10 }],
    },
    {
      name: 'engine: a thread already at nice 10 or lower priority is left alone',
      mode: 'engine' as const,
      tasks: [main, helper, task(102, 'ThreadPool', 10), task(103, 'MergeMutate', 19)],
      want: [],
    },
    {
      name: 'the main thread is kept even when it carries an engine name',
      mode: 'engine' as const,
      tasks: [task(100, 'ThreadPool'), engine],
      want: [{ tid: 102, set: 'nice', nice: 10 }],
    },
  ])('$name', ({ mode, tasks, want }) => {
    expect(priorityActions(tasks, 100, mode)).toEqual(want)
  })

  it('idle falls back to nice 19 for threads where SCHED_IDLE failed, or for all', () => {
    expect(priorityActions(tasks, 100, 'idle', new Set([102]))).toEqual([
      { tid: 101, set: 'idle' },
      { tid: 102, set: 'nice', nice: 19 },
    ])
    expect(priorityActions([main, helper, task(102, 'ThreadPool', 19)], 100, 'idle', true)).toEqual([
      { tid: 101, set: 'nice', nice: 19 },
    ])
  })
})

describe('parseTaskStat', () => {
  it('reads name, nice and policy, even when the name holds spaces and parentheses', () => {
    // proc(5): pid (comm) state ppid … field 19 nice … field 41 policy …
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3))
    fields[19 - 3] = '-5'
    fields[41 - 3] = '5'
    fields[0] = 'S'
    expect(parseTaskStat(42, `42 (a (b) c) ${fields.join(' ')}`)).toEqual({
      tid: 42,
      name: 'a (b) c',
      nice: -5,
      policy: 5,
    })
  })
})
