import http from 'node:http'
import proxyAddr from 'proxy-addr'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createContextBuilder, openGeo, parseTrustedProxies, primaryLanguage } from './request-context.ts'

const UA = {
  iphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  ipad: 'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  windowsChrome:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  macFirefox: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0',
  android:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
}

describe('primaryLanguage', () => {
  it.each([
    [undefined, ''],
    ['', ''],
    ['de-DE,de;q=0.9,en;q=0.8', 'de'],
    ['en-GB;q=0.5,fr-FR', 'fr'],
    ['*', ''],
    ['PT-br', 'pt'],
    ['x1-garbage;q=abc', ''],
  ])('%s → %s', (header, lang) => {
    expect(primaryLanguage(header)).toBe(lang)
  })
})

describe('context from real user agents and the DB-IP database', () => {
  const b = createContextBuilder({ trustedProxies: [], geo: openGeo() })
  it.each([
    [UA.iphone, 'mobile', 'iOS', 'Safari', false],
    [UA.ipad, 'tablet', 'iOS', 'Safari', false],
    [UA.windowsChrome, 'desktop', 'Windows', 'Chrome', false],
    [UA.macFirefox, 'desktop', 'macOS', 'Firefox', false],
    [UA.android, 'mobile', 'Android', 'Chrome', false],
    [UA.googlebot, 'desktop', '', '', true],
    ['', 'desktop', '', '', true],
  ])('%s', (ua, device, os, browser, bot) => {
    const ctx = b.fromFacts({ ip: '8.8.8.8', userAgent: ua, query: {} })
    expect([ctx.device, ctx.os, ctx.browser, ctx.isBot]).toEqual([device, os, browser, bot])
  })

  it.each([
    ['8.8.8.8', 'US'],
    ['81.2.69.142', 'GB'],
    ['2a00:1450:4001:80b::200e', 'DE'],
    ['::ffff:8.8.8.8', 'US'],
    ['127.0.0.1', ''],
    ['not-an-ip', ''],
  ])('country of %s is %s', (ip, country) => {
    expect(b.fromFacts({ ip, userAgent: '', query: {} }).country).toBe(country)
  })

  it('gives the same visitor the same user key and different visitors different keys', () => {
    const k = (ip: string, ua: string) => b.fromFacts({ ip, userAgent: ua, query: {} }).userKey
    expect(k('1.2.3.4', UA.iphone)).toBe(k('1.2.3.4', UA.iphone))
    expect(k('1.2.3.4', UA.iphone)).not.toBe(k('1.2.3.5', UA.iphone))
    expect(k('1.2.3.4', UA.iphone)).not.toBe(k('1.2.3.4', UA.android))
  })
})

describe('client IP behind proxies (real HTTP)', () => {
  let server: http.Server
  let port: number
  let builder = createContextBuilder({ trustedProxies: [], geo: () => '' })
  beforeAll(async () => {
    server = http.createServer((req, res) => res.end(builder.clientIp(req)))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    port = (server.address() as AddressInfo).port
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  const ask = async (xff?: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/`, { headers: xff ? { 'x-forwarded-for': xff } : {} })
    return res.text()
  }

  it('ignores X-Forwarded-For from an untrusted peer', async () => {
    builder = createContextBuilder({ trustedProxies: [], geo: () => '' })
    expect(await ask('8.8.8.8')).toBe('127.0.0.1')
  })

  it('honours X-Forwarded-For from a trusted proxy, skipping trusted hops', async () => {
    builder = createContextBuilder({
      trustedProxies: parseTrustedProxies('127.0.0.1/32, 10.0.0.0/8'),
      geo: () => '',
    })
    expect(await ask('8.8.8.8')).toBe('8.8.8.8')
    expect(await ask('8.8.8.8, 10.1.2.3')).toBe('8.8.8.8')
    // A client-supplied first entry behind an untrusted hop is not believed.
    expect(await ask('1.1.1.1, 8.8.8.8')).toBe('8.8.8.8')
    expect(await ask()).toBe('127.0.0.1')
  })

  it('answers a single forwarded address as proxy-addr does, trusted or not, valid or not', async () => {
    builder = createContextBuilder({
      trustedProxies: parseTrustedProxies('127.0.0.1/32, 10.0.0.0/8'),
      geo: () => '',
    })
    expect(await ask('10.1.2.3')).toBe('10.1.2.3')
    expect(await ask(' 2001:db8::1 ')).toBe('2001:db8::1')
    expect(await ask('unknown')).toBe(proxyAddrAnswer('unknown'))
  })
})

/** What proxy-addr itself answers for a request from 127.0.0.1 (trusted) with this X-Forwarded-For. */
function proxyAddrAnswer(xff: string): string {
  const req = { headers: { 'x-forwarded-for': xff }, socket: { remoteAddress: '127.0.0.1' } }
  return proxyAddr(req as never, proxyAddr.compile(['127.0.0.1/32', '10.0.0.0/8']))
}
