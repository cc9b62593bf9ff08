// Baseline for bench:redirect: the cheapest possible node:http server answering 302.
import http from 'node:http'

const port = Number(process.argv[2] ?? 0)
http
  .createServer((_req, res) => {
    res.writeHead(302, {
      Location: 'https://offer.example/landing?c=1',
      'Cache-Control': 'no-store',
      'Content-Length': '0',
    })
    res.end()
  })
  .listen(port, '127.0.0.1', () => process.stdout.write('ready\n'))
