import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CLICK_ID_LENGTH, clickIdTime, isClickId, newClickId } from './click-id.ts'

const bytes = () => new Uint8Array(randomBytes(10))

describe('click IDs', () => {
  it('are 26 URL-safe characters and round-trip the time', () => {
    const t = Date.UTC(2025, 2, 5, 12)
    const id = newClickId(t, bytes())
    expect(id).toHaveLength(CLICK_ID_LENGTH)
    expect(id).toMatch(/^[0-9A-Z]+$/)
    expect(encodeURIComponent(id)).toBe(id)
    expect(isClickId(id)).toBe(true)
    expect(clickIdTime(id)).toBe(t)
  })

  it('encode known vectors', () => {
    expect(newClickId(0, new Uint8Array(10))).toBe('0'.repeat(26))
    expect(newClickId(2 ** 48 - 1, new Uint8Array(10).fill(255))).toBe(`7${'Z'.repeat(25)}`)
    expect(newClickId(1, new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]))).toBe(
      `${'0'.repeat(9)}1${'0'.repeat(15)}1`,
    )
  })

  it('sort lexicographically in time order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 48 - 2 }),
        fc.integer({ min: 1, max: 10 ** 9 }),
        fc.uint8Array({ minLength: 10, maxLength: 10 }),
        fc.uint8Array({ minLength: 10, maxLength: 10 }),
        (t, dt, r1, r2) => {
          const later = Math.min(t + dt, 2 ** 48 - 1)
          expect(newClickId(t, r1) < newClickId(later, r2)).toBe(true)
        },
      ),
    )
  })

  it('are distinct for the same millisecond', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newClickId(1_700_000_000_000, bytes())))
    expect(ids.size).toBe(10_000)
  })

  it('use all 80 random bits', () => {
    const a = newClickId(5, new Uint8Array(10))
    for (let bit = 0; bit < 80; bit++) {
      const r = new Uint8Array(10)
      r[bit >> 3] = 1 << (7 - (bit & 7))
      expect(newClickId(5, r)).not.toBe(a)
    }
  })

  it('reject bad input', () => {
    expect(() => newClickId(-1, bytes())).toThrow(RangeError)
    expect(() => newClickId(2 ** 48, bytes())).toThrow(RangeError)
    expect(() => newClickId(1.5, bytes())).toThrow(RangeError)
    expect(() => newClickId(1, new Uint8Array(9))).toThrow(RangeError)
    expect(clickIdTime('not-a-click-id')).toBeUndefined()
    expect(clickIdTime('8ZZZZZZZZZZZZZZZZZZZZZZZZZ')).toBeUndefined()
    expect(isClickId('0000000000000000000000000I')).toBe(false)
  })
})
