/**
 * fast-check arbitraries shared by the visitors tests (unit and API): storable arbitrary JSON
 * and valid engine fields, for the "saved = returned" property of hybrid settings.
 */
import fc from 'fast-check'

/** Keys the engine reads: unknown-field generators leave them out. */
const ENGINE_KEYS = new Set([
  'urls',
  'trafficSpeed',
  'deviceSplit',
  'geoTargets',
  'timeOnPage',
  'referrer',
  'mode',
])

/** JSON the API can store verbatim: no NUL or lone surrogates (ASCII strings), no -0, no denormals. */
export const storableJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc
      .double({ noNaN: true, noDefaultInfinity: true, min: -1e15, max: 1e15 })
      .map((d) => (Math.abs(d) < 1e-6 ? 0 : d)),
    fc.string({ maxLength: 20 }),
    fc.array(tie('value'), { maxLength: 4 }),
    tie('object'),
  ),
  object: fc.dictionary(
    fc.string({ maxLength: 12 }).filter((k) => k !== '__proto__' && !ENGINE_KEYS.has(k)),
    tie('value'),
    { maxKeys: 5 },
  ),
})).object

export const validEngine = fc.record({
  urls: fc.array(
    fc.oneof(
      fc.constantFrom('https://a.example/', 'http://b.example:8080/x?y=1'),
      fc.record({ url: fc.constant('https://c.example/p'), weight: fc.integer({ min: 1, max: 100 }) }),
    ),
    { minLength: 1, maxLength: 3 },
  ),
  trafficSpeed: fc.integer({ min: 0, max: 100 }),
  deviceSplit: fc.integer({ min: 0, max: 100 }),
  geoTargets: fc.uniqueArray(
    fc.record({ cc: fc.constantFrom('DE', 'US', 'FR', 'BR', 'JP'), w: fc.integer({ min: 1, max: 9 }) }),
    {
      selector: (g) => g.cc,
      maxLength: 3,
    },
  ),
  timeOnPage: fc.constantFrom('3 minutes', '45 seconds', '1m 30s'),
  mode: fc.constantFrom('http', 'browser'),
})
