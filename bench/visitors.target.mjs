// The bare local target of bench:visitors: a minimal node:http server answering every GET
// with a tiny HTML page without subresources (so the bench measures the visitor engine,
// not the site). Keep-alive on. Prints `PORT <n>` on stdout once listening; stops on SIGTERM.
import http from 'node:http'

const body = Buffer.from('<!doctype html><html><head><title>t</title></head><body>ok</body></html>')
const server = http.createServer((req, res) => {
  req.resume()
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length })
  res.end(body)
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PORT ${server.address().port}\n`)
})
process.on('SIGTERM', () => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
})
