/**
 * CSV export of reports (RFC 4180): a header row, `,` separators, CRLF line ends, UTF-8.
 * A cell is quoted when it holds `"`, `,`, CR or LF, or starts/ends with a space; quotes
 * inside are doubled. Null and undefined are empty cells; numbers are written as JSON
 * writes them (`12.5`, `-3`).
 *
 * Formula injection: sub, UTM and other values come from visitors' URLs, and spreadsheets
 * run a cell starting with `=`, `+`, `-`, `@`, TAB or CR as a formula. Such *text* cells
 * get a leading `'` (OWASP's advice); numbers are never changed, so a negative profit
 * stays a number.
 */
import { Readable } from 'node:stream'

/** A cell value. */
export type CsvValue = string | number | boolean | null | undefined

const NEEDS_QUOTES = /[",\r\n]|^ | $/
const FORMULA_START = /^[=+\-@\t\r]/

/** One cell, escaped (see the file comment). */
export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : ''
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  const text = FORMULA_START.test(value) ? `'${value}` : value
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** One line (cells joined by `,`, ending in CRLF). */
export function csvLine(values: readonly CsvValue[]): string {
  return `${values.map(csvCell).join(',')}\r\n`
}

/** Rows per chunk pushed to the stream. */
const ROWS_PER_CHUNK = 500

/**
 * A readable stream of the CSV text: the header, then `rows` (any iterable, read lazily),
 * in chunks of {@link ROWS_PER_CHUNK} lines.
 */
export function csvStream(header: readonly string[], rows: Iterable<readonly CsvValue[]>): Readable {
  function* chunks(): Generator<string> {
    let buf = csvLine(header)
    let n = 0
    for (const row of rows) {
      buf += csvLine(row)
      if (++n % ROWS_PER_CHUNK === 0) {
        yield buf
        buf = ''
      }
    }
    if (buf) yield buf
  }
  return Readable.from(chunks(), { objectMode: false })
}
