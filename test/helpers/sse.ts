/**
 * A Server-Sent Events reader for tests: opens `GET <url>` with `fetch` and parses the
 * `event:` / `data:` blocks as they arrive (comments such as `: ping` are skipped).
 */

/** One parsed SSE message (`data` is the JSON of its `data:` line). */
export interface SseEvent {
  event: string
  data: Record<string, unknown>
}

/** An open SSE stream: parsed events as they arrive. */
export interface SseStream {
  status: number
  contentType: string | null
  events: SseEvent[]
  /** True once the server ended the stream. */
  ended: boolean
  /** Resolves with the first event matching `pred`. @throws after `ms` (default 8,000) without one. */
  next(pred: (e: SseEvent) => boolean, ms?: number): Promise<Record<string, unknown>>
  close(): void
}

/** Opens the stream at `url` with `headers` (e.g. a cookie or `Authorization`). */
export async function openSse(url: string, headers: Record<string, string>): Promise<SseStream> {
  const ac = new AbortController()
  const res = await fetch(url, { headers, signal: ac.signal })
  const stream: SseStream = {
    status: res.status,
    contentType: res.headers.get('content-type'),
    events: [],
    ended: false,
    async next(pred, ms = 8000) {
      const deadline = Date.now() + ms
      for (;;) {
        const hit = stream.events.find(pred)
        if (hit) return hit.data
        if (Date.now() > deadline)
          throw new Error(`no matching event within ${ms} ms: ${JSON.stringify(stream.events)}`)
        await new Promise((r) => setTimeout(r, 25))
      }
    },
    close: () => ac.abort(),
  }
  if (res.status !== 200 || !res.body) return stream
  void (async () => {
    const decoder = new TextDecoder()
    let buf = ''
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true })
        let i = buf.indexOf('\n\n')
        while (i !== -1) {
          const block = buf.slice(0, i)
          buf = buf.slice(i + 2)
          let event = 'message'
          let data = ''
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7)
            else if (line.startsWith('data: ')) data += line.slice(6)
          }
          if (data) stream.events.push({ event, data: JSON.parse(data) as Record<string, unknown> })
          i = buf.indexOf('\n\n')
        }
      }
      stream.ended = true
    } catch {
      // aborted by close()
    }
  })()
  return stream
}
