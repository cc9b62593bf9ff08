import { text } from 'node:stream/consumers'
import { describe, expect, it } from 'vitest'
import { csvCell, csvLine, csvStream } from './csv.ts'

describe('csv', () => {
  it('quotes what RFC 4180 needs quoting', () => {
    expect(csvCell('plain')).toBe('plain')
    expect(csvCell('a,b')).toBe('"a,b"')
    expect(csvCell('say "hi"')).toBe('"say ""hi"""')
    expect(csvCell('two\nlines')).toBe('"two\nlines"')
    expect(csvCell(' padded')).toBe('" padded"')
    expect(csvCell(null)).toBe('')
    expect(csvCell(undefined)).toBe('')
    expect(csvCell(-1.5)).toBe('-1.5')
    expect(csvCell(Number.NaN)).toBe('')
    expect(csvLine(['a', 1, null])).toBe('a,1,\r\n')
  })

  it('defuses spreadsheet formulas in text, not in numbers', () => {
    expect(csvCell('=1+2')).toBe("'=1+2")
    expect(csvCell('+49 30')).toBe("'+49 30")
    expect(csvCell('-x')).toBe("'-x")
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)")
    expect(csvCell('=HYPERLINK("u")')).toBe(`"'=HYPERLINK(""u"")"`)
    expect(csvCell(-3)).toBe('-3')
  })

  it('streams the header and every row in chunks', async () => {
    const rows = Array.from({ length: 1234 }, (_, i) => [`r${i}`, i])
    const out = await text(csvStream(['name', 'n'], rows))
    const lines = out.split('\r\n')
    expect(lines[0]).toBe('name,n')
    expect(lines).toHaveLength(1236)
    expect(lines[1234]).toBe('r1233,1233')
  })
})
