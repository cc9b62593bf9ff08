import { defineConfig } from 'vitest/config'

// Unit tests sit beside the code (src/**/*.test.ts); "medium" tests that need real
// PostgreSQL, PGlite, ClickHouse (chDB) or a running server live in test/.
// chDB binds one data directory per process, hence the forks pool.
//
// Two test files run at a time: most medium tests wait on servers, Chromium and timers
// rather than burn CPU, so on the 2-core CI machines a second worker cuts the suite's wall
// time (one worker — Vitest's default there — took ~29 min). The files that measure time
// or load (a rate over 30 s, p99 under a flood, the event loop's longest stall, kill -9 at
// a random moment) run afterwards, one at a time, on a quiet machine: SERIAL below.
const SERIAL = [
  'test/conversions.flood.test.ts',
  'test/visitors.engine.test.ts',
  'test/autopilot.replay.api.test.ts',
  'test/analytics.crash.test.ts',
  'test/e2e.crash.test.ts',
  // Chromium visits against a page cap and a memory cap, with 30 s budgets.
  'test/visitors.browser.test.ts',
  // The visitor engine drops a start it cannot launch within 250 ms; the run panel must show none.
  'test/web.visitors.e2e.test.ts',
]

export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // `expect.poll` waits for something another process or the browser does; Vitest's 1 s
    // default is shorter than a page load beside another test file on a 2-core machine.
    expect: { poll: { timeout: 10_000 } },
    projects: [
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts', 'web/src/**/*.test.{ts,tsx}'] } },
      { extends: true, test: { name: 'medium', include: ['test/**/*.test.ts'], exclude: SERIAL } },
      {
        extends: true,
        test: { name: 'serial', include: SERIAL, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
})
