import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
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
    const m = await createSnapshotManager({
      readVersion: async () => version,
      loadRows: async () => {
        loads++
        await new Promise((r) => setTimeout(r, 20))
        return rowsAt(version)
      },
      compile: (rows) => rows.version,
      pollMs: 1000,
      logger: silent,
    })
    version = 2
    await Promise.all([m.refresh(), m.refresh(), m.refresh()])
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
    })
    m.start()
    version = 5
    for (let i = 0; i < 50 && m.current() !== 5; i++) await new Promise((r) => setTimeout(r, 10))
    m.stop()
    expect(m.current()).toBe(5)
  })
})
