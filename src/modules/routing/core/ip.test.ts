import { describe, expect, it } from 'vitest'
import { compileIpSet, ipInSet, parseIp, parseIPv4 } from './ip.ts'

describe('parseIp', () => {
  it.each([
    ['1.2.3.4', { v: 4, n: 0x01020304 }],
    ['255.255.255.255', { v: 4, n: 0xffffffff }],
    [' 10.0.0.1 ', { v: 4, n: 0x0a000001 }],
    ['::ffff:1.2.3.4', { v: 4, n: 0x01020304 }],
    ['::1', { v: 6, w: [0, 0, 0, 1] }],
    ['2001:db8::1', { v: 6, w: [0x20010db8, 0, 0, 1] }],
    ['fe80::1%eth0', { v: 6, w: [0xfe800000, 0, 0, 1] }],
  ])('%s', (input, expected) => {
    expect(parseIp(input)).toEqual(expected)
  })

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.0.0.1',
    '1..2.3',
    '127.1',
    '0x7f.0.0.1',
    'abc',
    ':::',
    '1.2.3.4/8',
  ])('rejects %j', (input) => {
    expect(parseIp(input)).toBeNull()
  })

  it('parses IPv4 strictly', () => {
    expect(parseIPv4('1.2.3.4')).toBe(0x01020304)
    expect(parseIPv4('1.2.3.')).toBe(-1)
  })
})

describe('compileIpSet', () => {
  it('skips invalid entries with a warning', () => {
    const warnings: string[] = []
    const set = compileIpSet(['10.0.0.0/8', 'nope', '10.0.0.0/33', '::/129', '1.2.3.4/x'], (w) =>
      warnings.push(w),
    )
    expect(warnings).toHaveLength(4)
    expect(ipInSet(parseIp('10.1.1.1')!, set)).toBe(true)
  })

  it('ignores host bits in a CIDR', () => {
    const set = compileIpSet(['192.168.1.77/24', '2001:db8::dead/64'])
    expect(ipInSet(parseIp('192.168.1.1')!, set)).toBe(true)
    expect(ipInSet(parseIp('192.168.2.1')!, set)).toBe(false)
    expect(ipInSet(parseIp('2001:db8::1')!, set)).toBe(true)
    expect(ipInSet(parseIp('2001:db8:0:1::1')!, set)).toBe(false)
  })

  it('handles /0, /32 and /128 edges', () => {
    expect(ipInSet(parseIp('8.8.8.8')!, compileIpSet(['0.0.0.0/0']))).toBe(true)
    expect(ipInSet(parseIp('8.8.8.8')!, compileIpSet(['8.8.8.8/32']))).toBe(true)
    expect(ipInSet(parseIp('8.8.8.9')!, compileIpSet(['8.8.8.8/32']))).toBe(false)
    expect(ipInSet(parseIp('2001:db8::1')!, compileIpSet(['2001:db8::1/128']))).toBe(true)
    expect(ipInSet(parseIp('2001:db8::2')!, compileIpSet(['2001:db8::1/128']))).toBe(false)
    expect(ipInSet(parseIp('2001:db8:ffff:ffff::1')!, compileIpSet(['2001:db8:8000::/33']))).toBe(true)
    expect(ipInSet(parseIp('2001:db8:7fff::1')!, compileIpSet(['2001:db8:8000::/33']))).toBe(false)
  })
})
