import { describe, expect, it } from 'vitest'
import { ERROR_ROWS_MAX, ErrorRows, SAMPLE_MAX } from './pipeline.errors.ts'

describe('ErrorRows', () => {
  it('folds repeats of the last failure into one row', () => {
    const e = new ErrorRows()
    e.add('t1', 'n', 'insert', 'down', 10, 's')
    e.add('t2', 'n', 'insert', 'down', 30, 's')
    e.add('t3', 'n', 'insert', 'down', 20, 's')
    e.add('t4', 'n', 'spool_read', 'torn', 1, '')
    expect(e.take('t5', 'n').map((r) => [r.ts, r.stage, r.events, r.attempts])).toEqual([
      ['t1', 'insert', 30, 3],
      ['t4', 'spool_read', 1, 1],
    ])
    expect(e.pending).toBe(0)
  })

  it('keeps the newest rows while unwritable and reports the dropped ones once', () => {
    const e = new ErrorRows()
    for (let i = 0; i < ERROR_ROWS_MAX + 5; i++) e.add(`t${i}`, 'n', 'insert', `e${i}`, 1, '')
    const rows = e.take('now', 'n')
    expect(rows).toHaveLength(ERROR_ROWS_MAX + 1)
    expect(rows[0]!.error).toBe('e5')
    expect(rows.at(-1)).toMatchObject({ ts: 'now', stage: 'pipeline', attempts: 5 })
    expect(e.take('later', 'n')).toEqual([])
  })

  it('puts failed rows back before newer ones, bounded', () => {
    const e = new ErrorRows()
    e.add('t1', 'n', 'insert', 'a', 1, '')
    const rows = e.take('t2', 'n')
    e.add('t3', 'n', 'insert', 'b', 1, '')
    e.putBack(rows)
    expect(e.take('t4', 'n').map((r) => r.error)).toEqual(['a', 'b'])
  })

  it('truncates samples', () => {
    const e = new ErrorRows()
    e.add('t', 'n', 'spool_read', 'bad', 1, 'x'.repeat(SAMPLE_MAX + 10))
    expect(e.take('t', 'n')[0]!.sample).toHaveLength(SAMPLE_MAX)
  })
})
