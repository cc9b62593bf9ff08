/** The replay CLI (`npm run autopilot:replay`) as a user runs it: a real child process. */
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { ROOT } from './helpers/server.ts'

const run = promisify(execFile)
const cli = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'autopilot-replay', ...args], { cwd: ROOT })

describe('autopilot-replay CLI', () => {
  it('prints the calls and the final budget of the example day', async () => {
    const { stdout } = await cli('src/modules/autopilot/replay.example.json')
    expect(stdout).toContain('max_daily=$110.00')
    expect(stdout).toMatch(/final: CONDITION_TWO, paused, daily budget \$146\.00/)
    const json = JSON.parse((await cli('src/modules/autopilot/replay.example.json', '--json')).stdout)
    expect(json.final.daily_budget_micros).toBe(146_000_000)
  }, 30_000)

  it('names the bad fields of an invalid trace and exits 1', async () => {
    const file = path.join(tmpdir(), `bad-trace-${process.pid}.json`)
    writeFileSync(file, JSON.stringify({ start: 'soon', settings: {}, destinations: [{ id: 'a' }] }))
    const err = await cli(file).catch((e: { code: number; stderr: string }) => e)
    expect((err as { code: number }).code).toBe(1)
    expect((err as { stderr: string }).stderr).toMatch(/start:.*\n.*settings\.price_per_1000_micros/s)
    expect((err as { stderr: string }).stderr).toContain('destinations.0.remaining')
  }, 30_000)
})
