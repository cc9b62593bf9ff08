import { describe, expect, it } from 'vitest'
import {
  createLanderSessions,
  type LanderSession,
  landerCookie,
  parseLanderCookie,
} from './lander-sessions.ts'

const S = '00000000-0000-4000-8000-000000000101'
const L = '00000000-0000-4000-8000-000000002001'
const session = (clickTs: number): LanderSession => ({
  campaignId: 'c',
  streamId: S,
  landerId: L,
  clickTs,
  params: null,
  destinationId: '',
  url: '',
})

describe('lander sessions', () => {
  it('forgets the oldest over the count bound', () => {
    const m = createLanderSessions(2)
    m.set('a', session(1))
    m.set('b', session(2))
    m.set('c', session(3))
    expect(m.size).toBe(2)
    expect(m.get('a', 3)).toBeUndefined()
    expect(m.get('b', 3)?.clickTs).toBe(2)
    expect(m.get('c', 3)?.clickTs).toBe(3)
  })
  it('forgets sessions past the age limit, on read and at the front on write', () => {
    const m = createLanderSessions(10, 1000)
    m.set('a', session(0))
    expect(m.get('a', 1000)).toBeDefined()
    expect(m.get('a', 1001)).toBeUndefined()
    m.set('b', session(0))
    m.set('c', session(5000))
    expect(m.size).toBe(1)
  })
  it('refuses a bound below 1', () => {
    expect(() => createLanderSessions(0)).toThrow(RangeError)
  })
})

describe('lander cookie', () => {
  it('round-trips and carries its attributes', () => {
    const c = { clickId: '01JNMQ0000ABCDEFGHJKMNPQRS', streamId: S, landerId: L }
    const set = landerCookie('camp', c, true)
    expect(set).toBe(
      `tfx_lp=01JNMQ0000ABCDEFGHJKMNPQRS.${S}.${L}; Path=/lp/camp/; Max-Age=86400; HttpOnly; SameSite=Lax; Secure`,
    )
    expect(landerCookie('camp', c, false)).not.toContain('Secure')
    expect(parseLanderCookie(`a=1; ${set.split(';')[0]}; b=2`)).toEqual(c)
  })
  const bad: [string, string | undefined][] = [
    ['absent', undefined],
    ['other cookie', 'x=1'],
    ['suffix of another name', `xtfx_lp=01JNMQ0000ABCDEFGHJKMNPQRS.${S}.${L}`],
    ['two parts', `tfx_lp=01JNMQ0000ABCDEFGHJKMNPQRS.${S}`],
    ['not a uuid', 'tfx_lp=01JNMQ0000ABCDEFGHJKMNPQRS.x.y'],
    ['script', `tfx_lp=<script>.${S}.${L}`],
  ]
  for (const [name, header] of bad) {
    it(`ignores ${name}`, () => expect(parseLanderCookie(header)).toBeUndefined())
  }
})
