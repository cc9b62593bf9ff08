import type { ServerResponse } from 'node:http'
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { ClickEvent, PipelineEvent } from './events.ts'
import { createLiveHub } from './live.ts'
import type { PipelineListener } from './pipeline.types.ts'

function click(ws: string, id: string, extra: Partial<ClickEvent> = {}): ClickEvent {
  return {
    type: 'click',
    click_id: id,
    ts: Date.UTC(2025, 0, 1, 12),
    workspace_id: ws,
    campaign_id: 'c',
    stream_id: 's',
    destination_id: 'd',
    source_id: '',
    is_unique: 1,
    is_bot: 0,
    ip: '203.0.113.9',
    country: 'DE',
    language: 'de',
    device: 'mobile',
    os: 'iOS',
    os_version: '',
    browser: 'Safari',
    user_agent: 'UA',
    referrer: '',
    user_key: 'k',
    cost_micros: 25_000,
    currency: 'EUR',
    external_id: '',
    sub1: 'x',
    sub2: '',
    sub3: '',
    sub4: '',
    sub5: '',
    sub6: '',
    sub7: '',
    sub8: '',
    sub9: '',
    sub10: '',
    utm_source: '',
    utm_medium: '',
    utm_campaign: '',
    utm_term: '',
    utm_content: '',
    source: '',
    destination_url: 'https://x.example/',
    lander_id: '',
    ...extra,
  }
}

/** A pipeline stand-in that records its listener, and a real stream as the client socket. */
function setup(opts: Parameters<typeof createLiveHub>[0] = {}) {
  const source = {
    listener: null as PipelineListener | null,
    setListener(l: PipelineListener | null) {
      this.listener = l
    },
  }
  const hub = createLiveHub({ source, flushMs: 1, ...opts })
  const client = (ws: string, highWaterMark?: number) => {
    const res = new PassThrough(highWaterMark ? { highWaterMark } : {})
    let text = ''
    const reading = highWaterMark === undefined
    if (reading) res.on('data', (d) => (text += d))
    const off = hub.subscribe(ws, res as unknown as ServerResponse)
    return { res, off, text: () => text }
  }
  const push = (events: PipelineEvent[]) => source.listener?.(events)
  return { hub, source, client, push }
}

describe('live hub', () => {
  it('listens to the pipeline only while a client is connected', () => {
    const { source, client } = setup()
    expect(source.listener).toBeNull()
    const a = client('w1')
    const b = client('w2')
    expect(source.listener).toBeTypeOf('function')
    a.off()
    expect(source.listener).toBeTypeOf('function')
    b.res.destroy() // a closed socket unsubscribes too
    b.res.emit('close')
    expect(source.listener).toBeNull()
  })

  it('sends each workspace only its own events, without visitor identifiers', async () => {
    const { client, push, hub } = setup()
    const a = client('w1')
    const b = client('w2')
    push([click('w1', 'A1'), click('w2', 'B1'), click('w3', 'C1')])
    // One fan-out writes both streams; once each has its event, nothing else is on the way.
    await expect.poll(() => a.text()).toContain('"click_id":"A1"')
    await expect.poll(() => b.text()).toContain('"click_id":"B1"')
    expect(a.text()).toContain('event: click\ndata: {"type":"click","click_id":"A1"')
    expect(a.text()).not.toContain('B1')
    expect(b.text()).toContain('"click_id":"B1"')
    expect(a.text()).not.toContain('203.0.113.9')
    const data = JSON.parse(a.text().split('data: ')[1]!.split('\n')[0]!)
    expect(data).toMatchObject({
      cost: 0.025,
      currency: 'EUR',
      is_bot: false,
      is_unique: true,
      ts: '2025-01-01T12:00:00.000Z',
    })
    expect(hub.stats()).toMatchObject({ clients: 2, published: 2 })
    hub.publish('w2', { type: 'hit', url: 'https://y.example/' })
    await expect.poll(() => b.text()).toContain('event: hit\ndata: {"type":"hit","url":"https://y.example/"}')
    hub.close()
  })

  it('drops events for a slow client and tells it how many', async () => {
    const { client, push, hub } = setup({ maxClientBufferBytes: 1000 })
    // Nobody reads this stream, so its buffer only grows.
    const slow = client('w1', 16)
    // One fan-out per click (each waits for the previous one to be written).
    for (let i = 0; i < 20; i++) {
      push([click('w1', `S${i}`)])
      await expect.poll(() => hub.stats().published, { interval: 2 }).toBe(i + 1)
    }
    expect(hub.stats().droppedSlow).toBeGreaterThan(0)
    // Reading it now drains the buffer; the next write carries the drop notice.
    let text = ''
    slow.res.on('data', (d) => (text += d))
    await expect.poll(() => slow.res.writableLength).toBe(0)
    push([click('w1', 'LAST')])
    await expect
      .poll(() => text)
      .toMatch(
        /event: dropped\ndata: \{"count":\d+\}\n\nevent: click\ndata: \{"type":"click","click_id":"LAST"/,
      )
    hub.close()
  })

  it('bounds the events waiting for the next fan-out', async () => {
    const { client, push, hub } = setup({ maxPending: 3, flushMs: 50 })
    client('w1')
    push([1, 2, 3, 4, 5].map((i) => click('w1', `P${i}`)))
    expect(hub.stats().droppedPending).toBe(2)
    hub.close()
  })

  it('ends every stream on close and refuses new ones', () => {
    const { client, hub, source } = setup({ maxClients: 1 })
    const a = client('w1')
    expect(hub.hasRoom()).toBe(false)
    hub.close()
    expect(a.res.writableEnded).toBe(true)
    expect(source.listener).toBeNull()
    expect(hub.hasRoom()).toBe(false)
  })

  it('asks each client whether it may still receive, and ends the ones that may not', async () => {
    const { hub } = setup({ recheckMs: 5 })
    const answers = { ok: true, broken: true, gone: true }
    let calls = 0
    let inFlight = 0
    let overlapped = false
    const subscribe = (name: keyof typeof answers) => {
      const res = new PassThrough()
      let text = ''
      res.on('data', (d) => (text += d))
      hub.subscribe(name, res as unknown as ServerResponse, {
        stillAllowed: async () => {
          calls++
          if (++inFlight > 1 && name === 'ok') overlapped = true
          // Slower than the interval: a check is never started while the last one runs.
          await new Promise((r) => setTimeout(r, name === 'ok' ? 12 : 0))
          inFlight--
          if (name === 'broken' && !answers.broken) throw new Error('database unreachable')
          return answers[name]
        },
      })
      return { res, text: () => text }
    }
    const ok = subscribe('ok')
    const broken = subscribe('broken')
    const gone = subscribe('gone')
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))
    /** Polls `cond` (a loaded machine may delay timers); @throws after 5 s. */
    const until = async (cond: () => boolean) => {
      for (let i = 0; !cond(); i++) {
        if (i > 1000) throw new Error('condition not met within 5 s')
        await wait(5)
      }
    }
    await until(() => calls >= 6)
    expect(hub.stats().clients).toBe(3)
    answers.gone = false
    answers.broken = false
    // Refused and failed checks end the stream and remove the client: nothing more reaches it.
    await until(() => gone.res.writableEnded && broken.res.writableEnded)
    expect(ok.res.writableEnded).toBe(false)
    expect(hub.stats().clients).toBe(1)
    hub.publish('gone', { type: 'probe' })
    hub.publish('ok', { type: 'probe' })
    await until(() => ok.text().includes('event: probe'))
    expect(gone.text()).toBe('')
    expect(overlapped).toBe(false)
    // Closing the hub stops the checks too.
    hub.close()
    const before = calls
    await wait(30)
    expect(calls).toBe(before)
  })
})
