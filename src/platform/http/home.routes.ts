/**
 * `GET /`: the admin UI's home. Until the React UI lands this serves the placeholder
 * `web/index.html` (links to the API docs, the sample campaign and the operator endpoints).
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync } from 'fastify'

const INDEX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web/index.html')

/** Registers `GET /` serving the placeholder page (read once at start-up). */
export const homeRoutes: FastifyPluginAsync = async (app) => {
  const html = readFileSync(INDEX, 'utf8')
  app.get('/', { schema: { hide: true } }, async (_req, reply) => {
    reply.type('text/html; charset=utf-8').send(html)
  })
}
