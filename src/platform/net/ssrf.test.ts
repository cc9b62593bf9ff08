import fc from 'fast-check'
import ipaddr from 'ipaddr.js'
import { describe, expect, it } from 'vitest'
import { AppError } from '../errors.ts'
import {
  BLOCKED_RANGES,
  guardedFetch,
  isPublicAddress,
  refusePrivateTargets,
  SsrfBlockedError,
  targetVerdict,
} from './ssrf.ts'
import { httpUrl, isHttpUrl } from './url.schema.ts'

describe('isPublicAddress', () => {
  const refused = [
    // IPv4
    '127.0.0.1',
    '127.255.255.254',
    '10.0.0.1',
    '10.255.255.255',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '100.64.0.1',
    '100.127.255.255',
    '169.254.169.254', // cloud metadata
    '169.254.0.1',
    '0.0.0.0',
    '0.1.2.3',
    '224.0.0.1',
    '239.255.255.250',
    '255.255.255.255',
    '240.0.0.1',
    '192.0.0.170',
    '192.0.2.1',
    '198.51.100.7',
    '203.0.113.9',
    '198.18.0.1',
    '198.19.255.255',
    // IPv6
    '::',
    '::1',
    '[::1]',
    'fe80::1',
    'fe80::1%eth0',
    'fc00::1',
    'fd12:3456:789a::1',
    'fec0::1',
    'ff02::1',
    '2001:db8::1',
    '100::1',
    '2001::1', // Teredo
    '::7f00:1', // IPv4-compatible ::127.0.0.1
    // IPv4 inside IPv6
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '::ffff:0:127.0.0.1', // IPv4-translated (RFC 6145)
    '64:ff9b::127.0.0.1', // NAT64
    '64:ff9b::a9fe:a9fe', // NAT64 of 169.254.169.254
    '64:ff9b:1::8.8.8.8', // local-use NAT64
    '2002:7f00:1::1', // 6to4 of 127.0.0.1
    '2002:c0a8:101::1', // 6to4 of 192.168.1.1
    // garbage
    '',
    'localhost',
    'example.com',
    '1.2.3.4.5',
    '::g',
  ]
  const allowed = [
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '172.15.255.255', // just below 172.16/12
    '172.32.0.1', // just above
    '100.63.255.255', // just below CGNAT
    '100.128.0.0', // just above
    '11.0.0.1',
    '223.255.255.254',
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    '2a00:1450:4001::1',
    '::ffff:8.8.8.8',
    '64:ff9b::8.8.8.8',
    '2002:808:808::1', // 6to4 of 8.8.8.8
  ]

  it.each(refused)('refuses %s', (ip) => {
    expect(isPublicAddress(ip)).toBe(false)
  })
  it.each(allowed)('allows %s', (ip) => {
    expect(isPublicAddress(ip)).toBe(true)
  })

  /** Random address inside `cidr`: the network's leading bits, random bits after the prefix. */
  const inRange = (cidr: string) => {
    const [net, bits] = ipaddr.parseCIDR(cidr)
    const bytes = net.toByteArray()
    return fc
      .array(fc.integer({ min: 0, max: 255 }), { minLength: bytes.length, maxLength: bytes.length })
      .map((rnd) => {
        const out = bytes.map((b, i) => {
          const fixed = Math.max(0, Math.min(8, bits - i * 8)) // prefix bits in this byte
          const mask = fixed === 0 ? 0 : (0xff << (8 - fixed)) & 0xff
          return (b & mask) | (rnd[i]! & ~mask & 0xff)
        })
        return ipaddr.fromByteArray(out)
      })
  }
  const blockedV4 = BLOCKED_RANGES.filter((r) => !r.includes(':'))
  const blockedV6 = BLOCKED_RANGES.filter((r) => r.includes(':'))
  const anyBlockedV4 = fc.constantFrom(...blockedV4).chain(inRange) as fc.Arbitrary<ipaddr.IPv4>
  const anyBlockedV6 = fc.constantFrom(...blockedV6).chain(inRange) as fc.Arbitrary<ipaddr.IPv6>

  it('property: every address in a blocked IPv4 range is refused, also IPv4-mapped and via NAT64', () => {
    fc.assert(
      fc.property(anyBlockedV4, (a) => {
        const [o0, o1, o2, o3] = a.octets as [number, number, number, number]
        const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16)
        expect(isPublicAddress(a.toString())).toBe(false)
        expect(isPublicAddress(a.toIPv4MappedAddress().toString())).toBe(false)
        expect(isPublicAddress(`::ffff:${a.toString()}`)).toBe(false)
        expect(isPublicAddress(`64:ff9b::${hex(o0, o1)}:${hex(o2, o3)}`)).toBe(false)
        expect(isPublicAddress(`2002:${hex(o0, o1)}:${hex(o2, o3)}::1`)).toBe(false)
      }),
      { numRuns: 2000 },
    )
  })

  it('property: every address in a blocked IPv6 range is refused', () => {
    fc.assert(
      fc.property(anyBlockedV6, (a) => {
        expect(isPublicAddress(a.toString())).toBe(false)
        expect(isPublicAddress(a.toNormalizedString())).toBe(false)
      }),
      { numRuns: 2000 },
    )
  })

  it('property: an address ipaddr.js does not call unicast is never public', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (s) => {
        const a = ipaddr.parse(s)
        const embedsV4 = ['ipv4Mapped', 'rfc6145', 'rfc6052', '6to4'].includes(a.range())
        if (a.range() !== 'unicast' && !embedsV4) expect(isPublicAddress(s)).toBe(false)
      }),
      { numRuns: 5000 },
    )
  })

  it('property: a string that is not an IP address is refused, without throwing', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const bare = s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s
        if (!ipaddr.isValid(bare)) expect(isPublicAddress(s)).toBe(false)
      }),
    )
  })
})

describe('guardedFetch without the network', () => {
  it.each(['ftp://example.com/', 'file:///etc/passwd', 'gopher://127.0.0.1/', 'data:text/plain,hi'])(
    'refuses scheme of %s',
    async (url) => {
      const err = await guardedFetch(url, { timeoutMs: 1000 }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(SsrfBlockedError)
      expect((err as SsrfBlockedError).reason).toBe('scheme')
    },
  )

  it.each([
    ['http://127.0.0.1/', '127.0.0.1'],
    ['http://2130706433/', '127.0.0.1'], // decimal form, normalised by the URL parser
    ['http://0x7f.1/', '127.0.0.1'],
    ['http://[::1]:8080/', '::1'],
    ['http://[::ffff:169.254.169.254]/latest/meta-data/', '::ffff:a9fe:a9fe'],
    ['https://169.254.169.254/', '169.254.169.254'],
    ['http://0.0.0.0/', '0.0.0.0'],
  ])('refuses literal %s before connecting', async (url, address) => {
    const err = await guardedFetch(url, { timeoutMs: 1000 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SsrfBlockedError)
    expect((err as SsrfBlockedError).reason).toBe('private_address')
    expect((err as SsrfBlockedError).address).toBe(address)
  })
})

describe('save-time checks', () => {
  const dns: Record<string, string[]> = {
    'public.test': ['93.184.216.34'],
    'inside.test': ['10.0.0.8'],
    'both.test': ['93.184.216.34', '127.0.0.1'],
  }
  const resolve = async (host: string) => {
    const list = dns[host]
    if (!list) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' })
    return list.map((address) => ({ address, family: 4 }))
  }

  it.each([
    ['http://public.test/x', { kind: 'public' }],
    ['http://inside.test/x', { kind: 'private', address: '10.0.0.8' }],
    ['http://both.test/x', { kind: 'private', address: '127.0.0.1' }],
    ['http://nowhere.test/x', { kind: 'unresolved' }],
    ['http://127.0.0.1:9/', { kind: 'private', address: '127.0.0.1' }],
    ['http://2130706433/', { kind: 'private', address: '127.0.0.1' }],
    ['http://[::ffff:169.254.169.254]/', { kind: 'private', address: '::ffff:a9fe:a9fe' }],
    ['http://8.8.8.8/', { kind: 'public' }],
    ['not a url', { kind: 'unresolved' }],
  ])('targetVerdict(%s)', async (url, expected) => {
    expect(await targetVerdict(url, { resolve })).toEqual(expected)
  })

  it('a resolver slower than the deadline counts as unresolved', async () => {
    const slow = () => new Promise<never>(() => {})
    expect(await targetVerdict('http://slow.test/', { resolve: slow, timeoutMs: 20 })).toEqual({
      kind: 'unresolved',
    })
  })

  it('refusePrivateTargets: a 400 naming each refused field; nothing when allowed', async () => {
    const fields = [
      { path: 'a', url: 'http://inside.test/' },
      { path: 'b', url: 'http://public.test/' },
      { path: 'c', url: null },
      { path: 'd', url: 'http://nowhere.test/' },
    ]
    const err = await refusePrivateTargets(fields, {
      allowPrivate: false,
      setting: 'X_ALLOW_PRIVATE',
      resolve,
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AppError)
    expect(err).toMatchObject({ status: 400, code: 'validation_failed', details: [{ path: 'a' }] })
    expect((err as AppError).message).toContain('X_ALLOW_PRIVATE')
    await expect(
      refusePrivateTargets(fields, { allowPrivate: false, setting: 'X', resolve, refuseUnresolved: true }),
    ).rejects.toMatchObject({ details: [{ path: 'a' }, { path: 'd', message: 'host does not resolve' }] })
    await expect(
      refusePrivateTargets(fields, { allowPrivate: true, setting: 'X', resolve }),
    ).resolves.toBeUndefined()
  })
})

describe('httpUrl', () => {
  it.each([
    ['https://x.example/a?b={click_id}', true],
    ['HTTP://X.EXAMPLE/', true],
    ['http://127.0.0.1:8080/', true],
    ['javascript:alert(1)', false],
    ['JavaScript:alert(1)', false],
    ['data:text/html,hi', false],
    ['file:///etc/passwd', false],
    ['gopher://x/', false],
    ['ftp://x/', false],
    ['http:x.example', false],
    [`https://x.example/${'a'.repeat(4000)}`, false],
  ])('%s → %s', (url, ok) => {
    expect(httpUrl.safeParse(url).success).toBe(ok)
  })

  it.each([
    ['https://x.example/', true],
    ['Http://x.example/', true],
    ['javascript:alert(1)', false],
    [' https://x.example/', false],
    ['//x.example/', false],
    ['', false],
  ])('isHttpUrl(%j) → %s', (url, ok) => {
    expect(isHttpUrl(url)).toBe(ok)
  })
})
