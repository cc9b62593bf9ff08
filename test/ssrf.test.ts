import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FetchTimeoutError, guardedFetch, SsrfBlockedError } from '../src/platform/net/ssrf.ts'

// A real loopback HTTP server: the guard must refuse it by default and reach it when allowed.
let server: http.Server
let base: string
let port: number
const seen: string[] = []

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    if (req.url === '/ok') {
      res.end('hello')
    } else if (req.url === '/redirect') {
      res.writeHead(302, { location: '/ok' }).end()
    } else if (req.url === '/after-100ms') {
      setTimeout(() => res.end('hello'), 100).unref()
    } else if (req.url === '/slow') {
      setTimeout(() => res.end('late'), 3000).unref()
    } else if (req.url === '/big') {
      res.end(Buffer.alloc(100_000, 'x'))
    } else if (req.url === '/echo') {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => res.end(`${req.headers.host}|${Buffer.concat(chunks).toString()}`))
    } else {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  port = (server.address() as AddressInfo).port
  base = `http://127.0.0.1:${port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
})

describe('guardedFetch against a loopback server', () => {
  it('refuses the loopback target by default without opening a connection', async () => {
    const before = seen.length
    const err = await guardedFetch(`${base}/ok`, { timeoutMs: 2000 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SsrfBlockedError)
    expect(err).toMatchObject({ reason: 'private_address', address: '127.0.0.1' })
    expect(seen.length).toBe(before)
  })

  it('reaches it with allowPrivate', async () => {
    const res = await guardedFetch(`${base}/ok`, { timeoutMs: 2000, allowPrivate: true })
    expect(res.status).toBe(200)
    expect(res.body.toString()).toBe('hello')
    expect(res.address).toBe('127.0.0.1')
    expect(res.truncated).toBe(false)
  })

  it('measures latency up to the response headers', async () => {
    const res = await guardedFetch(`${base}/after-100ms`, { timeoutMs: 2000, allowPrivate: true })
    expect(res.status).toBe(200)
    // A lower bound only: a latency that is not measured (0) or measured from the wrong point fails.
    expect(res.latencyMs).toBeGreaterThanOrEqual(90)
  })

  it('refuses a host name that resolves to loopback ("localhost")', async () => {
    const before = seen.length
    const err = await guardedFetch(`http://localhost:${port}/ok`, { timeoutMs: 2000 }).catch(
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(SsrfBlockedError)
    expect(['127.0.0.1', '::1']).toContain((err as SsrfBlockedError).address)
    expect(seen.length).toBe(before)
  })

  it('connects through the pinned lookup for a host name when allowed (Host header keeps the name)', async () => {
    const res = await guardedFetch(`http://localhost:${port}/echo`, {
      method: 'POST',
      body: 'ping',
      timeoutMs: 2000,
      allowPrivate: true,
    })
    expect(res.status).toBe(200)
    expect(res.body.toString()).toBe(`localhost:${port}|ping`)
    expect(res.address).toBe('127.0.0.1')
  })

  it('connects to the checked addresses only: one resolution, no second DNS query (rebinding)', async () => {
    // "rebind.invalid" does not exist in DNS: reaching the server proves the socket used our answer.
    const calls: string[] = []
    const resolve = async (host: string) => {
      calls.push(host)
      return [{ address: '127.0.0.1', family: 4 }]
    }
    const res = await guardedFetch(`http://rebind.invalid:${port}/echo`, {
      timeoutMs: 2000,
      allowPrivate: true,
      resolve,
    })
    expect(res.status).toBe(200)
    expect(res.body.toString()).toBe(`rebind.invalid:${port}|`)
    expect(calls).toEqual(['rebind.invalid'])
  })

  it('refuses a name with any non-public address among public ones', async () => {
    const before = seen.length
    const resolve = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ]
    const err = await guardedFetch(`http://mixed.invalid:${port}/ok`, { timeoutMs: 2000, resolve }).catch(
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ name: 'SsrfBlockedError', reason: 'private_address', address: '127.0.0.1' })
    expect(seen.length).toBe(before)
  })

  it('does not follow redirects', async () => {
    const before = seen.length
    const res = await guardedFetch(`${base}/redirect`, { timeoutMs: 2000, allowPrivate: true })
    expect(res.status).toBe(302)
    expect(res.headers.location).toBe('/ok')
    expect(seen.slice(before)).toEqual(['GET /redirect'])
  })

  it('times out', async () => {
    const t0 = Date.now()
    const err = await guardedFetch(`${base}/slow`, { timeoutMs: 200, allowPrivate: true }).catch(
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(FetchTimeoutError)
    expect((err as FetchTimeoutError).timeoutMs).toBe(200)
    expect(Date.now() - t0).toBeLessThan(2000)
  })

  it('cuts the body at maxBodyBytes', async () => {
    const res = await guardedFetch(`${base}/big`, { timeoutMs: 2000, allowPrivate: true, maxBodyBytes: 1000 })
    expect(res.status).toBe(200)
    expect(res.body.length).toBe(1000)
    expect(res.truncated).toBe(true)
    const none = await guardedFetch(`${base}/big`, { timeoutMs: 2000, allowPrivate: true, maxBodyBytes: 0 })
    expect(none.status).toBe(200)
    expect(none.body.length).toBe(0)
  })

  it('supports HEAD and reports non-2xx statuses as responses, not errors', async () => {
    const res = await guardedFetch(`${base}/missing`, { method: 'HEAD', timeoutMs: 2000, allowPrivate: true })
    expect(res.status).toBe(404)
  })

  it('reports a refused connection as a Node network error', async () => {
    const closed = http.createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const p = (closed.address() as AddressInfo).port
    await new Promise((r) => closed.close(r))
    const err = await guardedFetch(`http://127.0.0.1:${p}/`, { timeoutMs: 2000, allowPrivate: true }).catch(
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ code: 'ECONNREFUSED' })
  })
})
