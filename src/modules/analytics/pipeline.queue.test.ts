import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { PipelineEvent } from './events.ts'
import { PipelineQueue } from './pipeline.queue.ts'

/** Events as the queue sees them (type and ts) and their spooled bytes, one JSON line each. */
function commit(spec: string, ts0 = 1000): { events: PipelineEvent[]; bytes: Buffer } {
  const events = [...spec].map(
    (c, i) => ({ type: c === 'c' ? 'click' : 'trafficback', ts: ts0 + i }) as unknown as PipelineEvent,
  )
  const bytes = Buffer.from(events.map((e) => `${JSON.stringify(e)}\n`).join(''), 'utf8')
  return { events, bytes }
}

const runs = (q: PipelineQueue) => {
  const out: string[] = []
  for (let t = q.take(); t; t = q.take()) out.push(t.entries.map((e) => `${e.table[0]}${e.rows}`).join(' '))
  return out
}

describe('PipelineQueue', () => {
  it.each<[string, number, number, string[], string[], number, boolean]>([
    // name, queueMax, batchSize, group commits ('c' click, 't' trafficback), batches taken, backpressure, spilled
    ['one run per table run', 100, 100, ['cct', 'tc'], ['c2 t1 t1 c1'], 0, false],
    ['cut at queueMax, the rest on disk', 3, 100, ['ccccc'], ['c3'], 2, true],
    ['batches of whole entries up to batchSize', 100, 3, ['cc', 'cc', 'c'], ['c2', 'c2 c1'], 0, false],
    ['an entry larger than a batch still goes alone', 100, 2, ['ccccc', 'c'], ['c5', 'c1'], 0, false],
    ['a full queue spills everything after it', 2, 100, ['c', 'c', 'c', 'c'], ['c1 c1'], 2, true],
  ])('%s', (_name, queueMax, batchSize, commits, batches, backpressure, spilled) => {
    const q = new PipelineQueue(queueMax, batchSize)
    let at = 0
    for (const spec of commits) {
      const { events, bytes } = commit(spec)
      q.enqueue(events, bytes, { seg: 1, start: at, end: at + bytes.length })
      at += bytes.length
    }
    expect(q.backpressure).toBe(backpressure)
    expect(q.spilled).toBe(spilled)
    expect(runs(q)).toEqual(batches)
  })

  it('does not split a batch across segments', () => {
    const q = new PipelineQueue(100, 100)
    const a = commit('cc')
    const b = commit('c')
    q.enqueue(a.events, a.bytes, { seg: 1, start: 0, end: a.bytes.length })
    q.enqueue(b.events, b.bytes, { seg: 2, start: 0, end: b.bytes.length })
    expect(runs(q)).toEqual(['c2', 'c1'])
  })

  it('tells when a call fills a batch (the flusher wakes), once', () => {
    const q = new PipelineQueue(100, 3)
    const c = commit('cc')
    expect(q.enqueue(c.events, c.bytes, { seg: 1, start: 0, end: c.bytes.length })).toBe(false)
    expect(q.enqueue(c.events, c.bytes, { seg: 1, start: 0, end: c.bytes.length })).toBe(true)
    expect(q.enqueue(c.events, c.bytes, { seg: 1, start: 0, end: c.bytes.length })).toBe(false)
  })

  it('keeps a replay spill apart from backpressure, and queues again once caught up', () => {
    const q = new PipelineQueue(100, 100)
    q.spillForReplay()
    const c = commit('ccc')
    q.enqueue(c.events, c.bytes, { seg: 1, start: 0, end: c.bytes.length })
    expect({ rows: q.rows, backpressure: q.backpressure }).toEqual({ rows: 0, backpressure: 0 })
    q.caughtUp()
    q.enqueue(c.events, c.bytes, { seg: 1, start: 0, end: c.bytes.length })
    expect(q.rows).toBe(3)
  })

  it('entries are byte views of their lines with the run ts range', () => {
    const q = new PipelineQueue(100, 100)
    const { events, bytes } = commit('cct', 5000)
    q.enqueue(events, bytes, { seg: 7, start: 100, end: 100 + bytes.length })
    const { entries } = q.take()!
    expect(
      entries.map((e) => ({ seg: e.seg, start: e.start, end: e.end, min: e.minTs, max: e.maxTs })),
    ).toEqual([
      {
        seg: 7,
        start: 100,
        end: 100 + bytes.indexOf('\n', bytes.indexOf('\n') + 1) + 1,
        min: 5000,
        max: 5001,
      },
      { seg: 7, start: entries[0]!.end, end: 100 + bytes.length, min: 5002, max: 5002 },
    ])
    expect(entries[1]!.bytes.toString()).toBe(`${JSON.stringify(events[2])}\n`)
  })

  it('never holds more than queueMax events; every event is queued or counted as backpressure', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.array(fc.constantFrom('c', 't'), { minLength: 1, maxLength: 10 }), { maxLength: 20 }),
        (queueMax, batchSize, commits) => {
          const q = new PipelineQueue(queueMax, batchSize)
          let total = 0
          for (const spec of commits) {
            const { events, bytes } = commit(spec.join(''))
            q.enqueue(events, bytes, { seg: 1, start: 0, end: bytes.length })
            total += events.length
            expect(q.rows).toBeLessThanOrEqual(queueMax)
          }
          let taken = 0
          for (let t = q.take(); t; t = q.take()) taken += t.rows
          expect(taken + q.backpressure).toBe(total)
        },
      ),
    )
  })
})
