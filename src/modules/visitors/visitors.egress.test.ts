import { describe, expect, it } from 'vitest'
import { SsrfBlockedError } from '../../platform/net/ssrf.ts'
import { pinTarget } from './visitors.egress.ts'
import { checkEgressCountries } from './visitors.runtime.ts'

const dns = (answers: Record<string, { address: string; family: number }[]>) => async (name: string) => {
  const a = answers[name]
  if (!a) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' })
  return a
}
const resolve = dns({
  'shop.example': [
    { address: '93.184.215.14', family: 4 },
    { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
  ],
  'v6.example': [{ address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 }],
  'mixed.example': [
    { address: '93.184.215.14', family: 4 },
    { address: '192.168.1.5', family: 4 },
  ],
})

describe('pinTarget', () => {
  it.each([
    ['https://shop.example/p?q=1', { origin: 'https://93.184.215.14:443', host: 'shop.example' }],
    ['http://shop.example/', { origin: 'http://93.184.215.14:80', host: 'shop.example' }],
    ['http://shop.example:8080/', { origin: 'http://93.184.215.14:8080', host: 'shop.example:8080' }],
    [
      'https://v6.example/',
      { origin: 'https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:443', host: 'v6.example' },
    ],
    // IP literals were checked by the caller's precheck: unchanged.
    ['http://93.184.215.14/', { origin: 'http://93.184.215.14' }],
  ])('%s → the checked address, Host kept', async (url, want) => {
    expect(await pinTarget(new URL(url), { allowPrivate: false, pin: true, resolve })).toEqual(want)
  })

  it('SOCKS (pin off): checked, the name handed over', async () => {
    expect(
      await pinTarget(new URL('https://shop.example/'), { allowPrivate: false, pin: false, resolve }),
    ).toEqual({ origin: 'https://shop.example' })
  })

  it('refuses a name with any private address, naming it', async () => {
    const p = pinTarget(new URL('http://mixed.example/'), { allowPrivate: false, pin: true, resolve })
    await expect(p).rejects.toBeInstanceOf(SsrfBlockedError)
    await expect(p).rejects.toThrow(/192\.168\.1\.5/)
  })

  it('DNS failures propagate (classified `dns` by the visitor)', async () => {
    await expect(
      pinTarget(new URL('http://nope.example/'), { allowPrivate: false, pin: true, resolve }),
    ).rejects.toMatchObject({ code: 'ENOTFOUND' })
  })

  it('allowPrivate: no lookup, the proxy resolves the name', async () => {
    expect(
      await pinTarget(new URL('http://localhost:3000/'), {
        allowPrivate: true,
        pin: true,
        resolve: () => Promise.reject(new Error('not called')),
      }),
    ).toEqual({ origin: 'http://localhost:3000' })
  })
})

describe('checkEgressCountries', () => {
  it('accepts assigned ISO codes', () => {
    expect(() => checkEgressCountries({ US: 'http://a:1', GB: 'http://b:2' })).not.toThrow()
    expect(() => checkEgressCountries({})).not.toThrow()
  })
  it('refuses unassigned codes, naming the variable', () => {
    expect(() => checkEgressCountries({ UK: 'http://a:1', US: 'http://b:2' })).toThrow(
      /VISITORS_EGRESS: UK is not ISO 3166-1 alpha-2/,
    )
  })
})
