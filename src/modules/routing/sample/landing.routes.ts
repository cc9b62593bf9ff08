/**
 * The sample landing page the seeded sample campaign's destinations point at: it shows
 * which offer the visitor got and every parameter it received, so the demo works offline.
 */
import type { FastifyPluginAsync } from 'fastify'

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  )

/** Renders the landing HTML for the received query parameters. */
export function renderLanding(query: Record<string, string>): string {
  const offer = query.offer ?? '?'
  const rows = Object.entries(query)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v) || '<em>(empty)</em>'}</td></tr>`)
    .join('')
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Sample offer ${escapeHtml(offer)} · traffoflex</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1f2937}
.tag{display:inline-block;background:#fef3c7;color:#92400e;border-radius:.4rem;padding:.1rem .5rem;font-size:.8rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e5e7eb}
th{width:35%;color:#6b7280;font-weight:500}td{word-break:break-all}h1{margin:.5rem 0}</style></head><body>
<span class="tag">Sample landing page · served by traffoflex</span>
<h1 id="offer">Offer ${escapeHtml(offer)}</h1>
<p>The sample campaign routed you here. These are the parameters this destination received:</p>
<table id="params">${rows}</table></body></html>`
}

/** `GET /sample/landing`: the sample destination. */
export const landingRoutes: FastifyPluginAsync = async (app) => {
  app.get('/sample/landing', async (req, reply) => {
    const q = req.query as Record<string, string | string[]>
    const flat = Object.fromEntries(
      Object.entries(q).map(([k, v]) => [k, Array.isArray(v) ? (v[0] ?? '') : v]),
    )
    reply.header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(renderLanding(flat))
  })
}
