import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import fastJson from 'fast-json-stringify'
import { describe, expect, it } from 'vitest'
import type { ClickEvent, PipelineEvent } from './events.ts'
import {
  CLICK_FIELDS,
  EVENT_FIELDS,
  type FieldKind,
  LANDER_CLICK_FIELDS,
  LineWriter,
  serializeEvent,
  TRAFFICBACK_FIELDS,
  VISIT_FIELDS,
} from './serialize.ts'

/** The previous serializer (fast-json-stringify, one compiled schema per event type): the reference. */
const previous = Object.fromEntries(
  Object.entries(EVENT_FIELDS).map(([type, fields]) => {
    const properties = Object.fromEntries(
      Object.entries(fields as Record<string, FieldKind>).map(([k, kind]) => [
        k,
        { type: kind === 's' ? 'string' : kind === 'n' ? 'number' : 'integer' },
      ]),
    )
    return [
      type,
      fastJson({
        type: 'object',
        properties: properties as never,
        required: Object.keys(properties),
        additionalProperties: false,
      }),
    ]
  }),
) as Record<PipelineEvent['type'], (e: unknown) => string>

/** The columns of `table` after every migration (CREATE TABLE plus ADD COLUMN), in order. */
function columnsOf(table: string): string[] {
  const dir = path.join(import.meta.dirname, 'migrations')
  const cols: string[] = []
  for (const f of readdirSync(dir).sort()) {
    const sql = readFileSync(path.join(dir, f), 'utf8').replace(/--[^\n]*/g, '')
    const create = new RegExp(
      `CREATE TABLE IF NOT EXISTS \\{\\{database\\}\\}\\.${table}\\s*\\(([\\s\\S]*?)\\)\\s*ENGINE`,
    ).exec(sql)
    if (create) {
      for (const line of create[1]!.split('\n')) {
        const m = /^\s*([a-z_0-9]+)\s+\S/.exec(line)
        if (m && m[1] !== 'INDEX') cols.push(m[1]!)
      }
    }
    const add = new RegExp(
      `ALTER TABLE \\{\\{database\\}\\}\\.${table} ADD COLUMN IF NOT EXISTS ([a-z_0-9]+)`,
      'g',
    )
    for (const m of sql.matchAll(add)) cols.push(m[1]!)
  }
  return cols
}

/** A click with every field set to an awkward value. */
const awkward: ClickEvent = {
  type: 'click',
  click_id: 'AZ3k4lmno5pqrs6tuvwx',
  ts: 7_258_118_399_999,
  workspace_id: '',
  campaign_id: 'cmp "quoted"',
  stream_id: 'back\\slash',
  destination_id: 'line\nbreak\r\ttab',
  source_id: '\u0000\u0001\u001f\u007f',
  is_unique: 1,
  is_bot: 0,
  ip: '2001:db8::1',
  country: 'ÜB',
  language: 'zh',
  device: 'mobile',
  os: 'iOS',
  os_version: '17.4',
  browser: 'Mobile Safari',
  user_agent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) 😀 こんにちは',
  referrer: 'https://example.com/?q="x"&y=\\',
  user_key: 'abc.1.2.3.4',
  cost_micros: Number.MAX_SAFE_INTEGER,
  currency: 'EUR',
  external_id: 'lone \ud800 surrogate \udfff',
  sub1: 'ß',
  sub2: '\u2028\u2029',
  sub3: '</script>',
  sub4: ' ',
  sub5: 'x'.repeat(1024),
  sub6: '"',
  sub7: '\\',
  sub8: '\u00e9\u0301',
  sub9: '{}',
  sub10: '[]',
  utm_source: 'a,b',
  utm_medium: ':',
  utm_campaign: 'null',
  utm_term: '0',
  utm_content: 'true',
  source: '\t',
  destination_url: 'https://offer.example/landing?click_id=AZ3k4lmno5pqrs6tuvwx&sub1=%C3%9F',
  lander_id: '',
}

const lineOf = (w: LineWriter, e: PipelineEvent): string => {
  w.append(e)
  return w.take().toString('utf8')
}

describe('serialize', () => {
  it('writes each table’s columns (plus type), as the migrations define them', () => {
    const fields = (f: object) => Object.keys(f).filter((k) => k !== 'type')
    expect(new Set(fields(CLICK_FIELDS))).toEqual(new Set(columnsOf('clicks')))
    expect(new Set(fields(TRAFFICBACK_FIELDS))).toEqual(new Set(columnsOf('trafficback')))
    expect(new Set(fields(LANDER_CLICK_FIELDS))).toEqual(new Set(columnsOf('lander_clicks')))
    expect(new Set(fields(VISIT_FIELDS))).toEqual(new Set(columnsOf('visits')))
    expect(columnsOf('clicks')).toHaveLength(42)
  })

  it('a click with every field set: byte for byte JSON.stringify and the previous serializer, and back', () => {
    const w = new LineWriter()
    const line = lineOf(w, awkward)
    // The fields in list order, as JSON.stringify writes them.
    const ordered = Object.fromEntries(
      Object.keys(CLICK_FIELDS).map((k) => [k, awkward[k as keyof ClickEvent]]),
    )
    expect(line).toBe(`${JSON.stringify(ordered)}\n`)
    expect(line).toBe(`${previous.click(awkward)}\n`)
    expect(Buffer.from(line, 'utf8').equals(Buffer.from(`${previous.click(awkward)}\n`, 'utf8'))).toBe(true)
    expect(JSON.parse(line)).toEqual(awkward)
    expect(serializeEvent(awkward)).toBe(previous.click(awkward))
  })

  it('coerces values as the previous serializer did', () => {
    const odd = {
      ...awkward,
      campaign_id: null,
      stream_id: 42,
      destination_id: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)),
      source_id: /a"b/,
      ts: '1733500000000',
      is_unique: 1.9,
      is_bot: true,
      cost_micros: Number.POSITIVE_INFINITY,
    } as unknown as ClickEvent
    expect(serializeEvent(odd)).toBe(previous.click(odd))
    for (const cost of [-0, -1, 1e21, 0.1, -9_007_199_254_740_991, 123_456_789, 99_999_999, 100_000_000]) {
      const e = { ...awkward, cost_micros: cost, is_unique: cost } as unknown as ClickEvent
      expect(serializeEvent(e)).toBe(previous.click(e))
    }
  })

  it('refuses a missing field or a NaN number and leaves the group as it was', () => {
    const w = new LineWriter()
    w.append(awkward)
    const { sub3: _, ...missing } = awkward
    expect(() => w.append(missing as ClickEvent)).toThrow('"sub3" is required!')
    expect(() => w.append({ ...awkward, ts: Number.NaN })).toThrow('cannot be converted to a number')
    expect(() => w.append({ ...awkward, is_bot: Number.NaN as 0 })).toThrow(
      'cannot be converted to an integer',
    )
    expect(w.take().toString('utf8')).toBe(`${previous.click(awkward)}\n`)
  })

  it('keeps a group in one range across slabs, and earlier views intact', () => {
    const w = new LineWriter(1024)
    const first = lineOf(w, awkward)
    const views: Buffer[] = []
    for (let g = 0; g < 20; g++) {
      for (let i = 0; i < 3; i++) w.append({ ...awkward, sub1: `g${g}i${i}` })
      views.push(w.take())
    }
    views.forEach((v, g) => {
      const lines = v.toString('utf8').split('\n')
      expect(lines).toHaveLength(4)
      lines.slice(0, 3).forEach((l, i) => {
        expect(JSON.parse(l).sub1).toBe(`g${g}i${i}`)
      })
    })
    expect(first).toBe(`${previous.click(awkward)}\n`)
  })

  it('property: random events of every type equal the previous serializer and parse back', () => {
    const str = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.string({ maxLength: 600 }),
      fc.constantFrom('', '"', '\\', '\n', '\ud800', '😀'),
    )
    const num = fc.oneof(
      fc.integer(),
      fc.maxSafeInteger(),
      fc.double({ noNaN: true }),
      fc.constantFrom(0, -0, Number.MAX_SAFE_INTEGER, 7_258_118_399_999),
    )
    const int = fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.constantFrom(0, 1, 255))
    const eventOf = (type: PipelineEvent['type']) =>
      fc.record(
        Object.fromEntries(
          Object.entries(EVENT_FIELDS[type] as Record<string, FieldKind>).map(([k, kind]) => [
            k,
            k === 'type' ? fc.constant(type) : kind === 's' ? str : kind === 'n' ? num : int,
          ]),
        ),
      ) as fc.Arbitrary<PipelineEvent>
    const w = new LineWriter(4096)
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(eventOf('click'), eventOf('trafficback'), eventOf('visit'), eventOf('lander_click')),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        (events) => {
          for (const e of events) w.append(e)
          const bytes = w.take()
          const expected = events.map((e) => `${previous[e.type](e)}\n`).join('')
          expect(bytes.equals(Buffer.from(expected, 'utf8'))).toBe(true)
          const back = bytes
            .toString('utf8')
            .split('\n')
            .slice(0, -1)
            .map((l) => JSON.parse(l))
          back.forEach((b, i) => {
            const e = events[i] as unknown as Record<string, unknown>
            for (const k of Object.keys(EVENT_FIELDS[events[i]!.type])) {
              const v = e[k]
              // ±Infinity is written as null; lone surrogates come back since JSON escapes them.
              if (typeof v === 'number' && !Number.isFinite(v)) expect(b[k]).toBeNull()
              else expect(b[k]).toEqual(v === 0 ? 0 : v)
            }
          })
        },
      ),
      { numRuns: 300 },
    )
  })
})
