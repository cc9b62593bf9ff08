/**
 * Static serving of the admin UI (`homeRoutes`) on a bare Fastify app over a real
 * directory: the missing-build page, cache headers, the SPA fallback and the paths it must
 * never swallow.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { homeRoutes, isReservedPath } from '../src/platform/http/home.routes.ts'

let app: FastifyInstance | undefined
let dir: string | undefined

afterEach(async () => {
  await app?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
  app = undefined
  dir = undefined
})

async function serve(build: boolean): Promise<FastifyInstance> {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tf-dist-'))
  if (build) {
    mkdirSync(path.join(dir, 'assets'))
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><div id="root"></div>')
    writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)')
    writeFileSync(path.join(dir, 'favicon.svg'), '<svg/>')
    writeFileSync(path.join(dir, '.build.json'), '{}')
  }
  app = Fastify()
  app.get('/healthz', async () => ({ ok: true }))
  app.get('/api/v1/thing', async () => ({ thing: 1 }))
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: { code: 'not_found' } }))
  await app.register(homeRoutes, { distDir: dir })
  return app
}

describe('reserved paths', () => {
  it.each([
    ['/api/v1/x', true],
    ['/api', true],
    ['/c/sample', true],
    ['/sample/landing', true],
    ['/postback', true],
    ['/healthz', true],
    ['/readyz/', true],
    ['/metrics', true],
    ['/', false],
    ['/reports', false],
    ['/campaigns/abc', false],
    ['/apiary', false],
    ['/metrics-dashboard', false],
    ['/settings/api-keys', false],
  ])('%s → %s', (p, reserved) => expect(isReservedPath(p)).toBe(reserved))
})

describe('homeRoutes', () => {
  it('says how to build the UI when web/dist is missing', async () => {
    const a = await serve(false)
    const res = await a.inject('/reports')
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.body).toContain('npm run build:web')
    expect(res.body).toContain('/api/docs')
  })

  it('serves index.html for UI paths, hashed assets immutable, other files for an hour', async () => {
    const a = await serve(true)
    for (const p of ['/', '/reports?range=7d', '/campaigns/123/streams']) {
      const res = await a.inject(p)
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toMatch(/text\/html/)
      expect(res.headers['cache-control']).toBe('no-cache')
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'")
      expect(res.body).toContain('id="root"')
    }
    const js = await a.inject('/assets/index-abc123.js')
    expect(js.statusCode).toBe(200)
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    const icon = await a.inject('/favicon.svg')
    expect(icon.headers['cache-control']).toBe('public, max-age=3600')
    expect((await a.inject({ method: 'HEAD', url: '/reports' })).statusCode).toBe(200)
  })

  it('never answers reserved paths, missing assets or dotfiles with the page', async () => {
    const a = await serve(true)
    expect((await a.inject('/api/v1/thing')).json()).toEqual({ thing: 1 })
    expect((await a.inject('/healthz')).json()).toEqual({ ok: true })
    for (const p of [
      '/api/v1/missing',
      '/c/x',
      '/sample/other',
      '/postback',
      '/metrics',
      '/assets/gone.js',
    ]) {
      const res = await a.inject(p)
      expect(res.statusCode, p).toBe(404)
      expect(res.body, p).not.toContain('id="root"')
    }
    // Dotfiles are not files of the UI: the page, never their content.
    expect((await a.inject('/.build.json')).body).toContain('id="root"')
    // Traversal out of the build directory is refused.
    const up = await a.inject('/assets/..%2f..%2f..%2fetc%2fpasswd')
    expect(up.statusCode).toBeGreaterThanOrEqual(400)
    expect(up.body).not.toContain('root:')
  })
})
