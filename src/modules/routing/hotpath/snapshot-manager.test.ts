import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { manualClock } from '../../../platform/clock.ts'
import type { ConfigRows } from '../routing.types.ts'
import { createSnapshotManager } from './snapshot-manager.ts'

const rowsAt = (version: number): ConfigRows => ({
  version,
  campaigns: [],
  streams: [],
  destinations: [],
  sources: [],
})
const silent = pino({ level: 'silent' })

describe('snapshot manager', () => {
  it('reloads only when the configuration version moved', async () => {
    let version = 1
    let loads = 0
    const m = await createSnapshotManager({
      readVersion: async () => version,
      loadRows: async () => {
        loads++
        return rowsAt(version)
      },
      compile: (rows) => ({ compiledAt: rows.version }),
      pollMs: 1000,
      logger: silent,
      clock: manualClock(0),
    })
    expect(m.current()).toEqual({ compiledAt: 1 })
    await m.refresh()
    expect(loads).toBe(1)
    version = 2
    await m.refresh()
    expect(m.current()).toEqual({ compiledAt: 2 })
    expect(m.version()).toBe(2)
    expect(loads).toBe(2)
    await m.refresh(true)
    expect(loads).toBe(3)
  })

  it('keeps serving the last good snapshot when a reload fails', async () => {
    let version = 1
    let fail = false
    const m = await createSnapshotManager({
      readVersion: async () => version,
      loadRows: async () => {
        if (fail) throw new Error('database down')
        return rowsAt(version)
      },
      compile: (rows) => rows.version,
      pollMs: 1000,
      logger: silent,
      clock: manualClock(0),
    })
    fail = true
    version = 2
    await m.refresh()
    expect(m.current()).toBe(1)
    fail = false
    await m.refresh()
    expect(m.current()).toBe(2)
  })

  it('coalesces concurrent refreshes into one reload', async () => {
    let version = 1
    let loads = 0
    // Reloads after the first wait for the gate, so the three refreshes overlap for sure.
    let open: () => void = () => {}
    const gate = new Promise<void>((r) => {
      open = r
    })
    const m = await createSnapshotManager({
      readVersion: async () => version,
      loadRows: async () => {
        loads++
        if (loads > 1) await gate
        return rowsAt(version)
      },
      compile: (rows) => rows.version,
      pollMs: 1000,
      logger: silent,
      clock: manualClock(0),
    })
    version = 2
    const refreshes = Promise.all([m.refresh(), m.refresh(), m.refresh()])
    await expect.poll(() => loads).toBe(2)
    open()
    await refreshes
    expect(loads).toBe(2) // the first load at creation, one reload
    expect(m.current()).toBe(2)
  })

  it('polls on its own once started', async () => {
    let version = 1
    const m = await createSnapshotManager({
      readVersion: async () => version,
      loadRows: async () => rowsAt(version),
      compile: (rows) => rows.version,
      pollMs: 20,
      logger: silent,
      clock: manualClock(0),
    })
    m.start()
    version = 5
    await expect.poll(() => m.current()).toBe(5)
    m.stop()
  })

  it('times a rebuild on the injected clock', async () => {
    let version = 1
    const clock = manualClock('2026-01-01T00:00:00Z')
    const logged: { ms?: number }[] = []
    const logger = pino({ level: 'debug' }, { write: (line: string) => logged.push(JSON.parse(line)) })
    const m = await createSnapshotManager({
      readVersion: async () => version,
      loadRows: async () => {
        clock.advance(250)
        return rowsAt(version)
      },
      compile: (rows) => rows.version,
      pollMs: 1000,
      logger,
      clock,
    })
    version = 2
    await m.refresh()
    expect(logged.map((l) => l.ms)).toEqual([250])
  })

  it('refreshes when its subscription says so, and once more for a change during a refresh', async () => {
    let version = 1
    let release: (() => void) | undefined
    let onChange: (() => void) | undefined
    let unsubscribed = false
    let read = 1
    const m = await createSnapshotManager({
      readVersion: async () => {
        const v = version
        read = v
        // The first notified refresh stalls after reading, so a change can land meanwhile.
        if (release === undefined && v === 2) await new Promise<void>((r) => (release = r))
        return v
      },
      // The rows of the version just read (as one consistent read would give).
      loadRows: async () => rowsAt(read),
      compile: (rows) => rows.version,
      pollMs: 60_000,
      logger: silent,
      clock: manualClock(0),
      subscribe: (cb) => {
        onChange = cb
        return () => {
          unsubscribed = true
        }
      },
    })
    m.start()
    version = 2
    onChange!()
    await new Promise((r) => setTimeout(r, 10))
    version = 3
    onChange!() // arrives while the refresh that read "2" is in flight
    release!()
    for (let i = 0; i < 50 && m.current() !== 3; i++) await new Promise((r) => setTimeout(r, 5))
    expect(m.current()).toBe(3)
    m.stop()
    expect(unsubscribed).toBe(true)
  })
})
