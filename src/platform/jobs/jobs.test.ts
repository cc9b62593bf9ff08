import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { JOB_CATALOG } from './jobs.catalog.ts'
import { type JobHandlers, jobIdFor } from './jobs.ts'

const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('jobIdFor', () => {
  it('is a deterministic version-8 UUID', () => {
    const id = jobIdFor('outbound-postback-deliver', 'outbound:42:0:1')
    expect(id).toMatch(UUID_V8)
    expect(jobIdFor('outbound-postback-deliver', 'outbound:42:0:1')).toBe(id)
  })

  it('property: the same (queue, key) gives the same ID, different pairs different IDs', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (q1, k1, q2, k2) => {
        const a = jobIdFor(q1, k1)
        expect(a).toMatch(UUID_V8)
        if (q1 === q2 && k1 === k2) expect(jobIdFor(q2, k2)).toBe(a)
        else expect(jobIdFor(q2, k2)).not.toBe(a)
      }),
    )
  })

  it('separates queue and key (no concatenation collisions)', () => {
    expect(jobIdFor('a', 'bc')).not.toBe(jobIdFor('ab', 'c'))
  })
})

describe('JOB_CATALOG', () => {
  it('dead letter queues exist in the catalog; names are pg-boss-safe', () => {
    for (const [name, def] of Object.entries(JOB_CATALOG)) {
      expect(name).toMatch(/^[a-z0-9-]+$/)
      if ('deadLetter' in def && def.deadLetter) expect(Object.keys(JOB_CATALOG)).toContain(def.deadLetter)
      expect(Number.isInteger(def.retry.delaySeconds)).toBe(true)
      expect(def.expireInSeconds).toBeGreaterThanOrEqual(1)
    }
  })
})

describe('JobHandlers', () => {
  it('needs a handler for every catalog entry (checked by tsc)', () => {
    // @ts-expect-error a catalog entry without its handler does not compile
    const partial: JobHandlers<typeof JOB_CATALOG> = { 'autopilot-tick': async () => {} }
    expect(Object.keys(partial)).toEqual(['autopilot-tick'])
  })
})
