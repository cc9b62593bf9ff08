import { defineConfig } from 'vitest/config'

// Unit tests sit beside the code (src/**/*.test.ts); "medium" tests that need real
// PostgreSQL, PGlite, ClickHouse (chDB) or a running server live in test/.
// chDB binds one data directory per process, hence the forks pool.
//
// On the 2-core CI machines Vitest runs one file at a time (its default: cores − 1). Two at
// a time was measured (2026-12-06, 199 files): 1,728 s against ~1,706 s for 185 files one at
// a time — the suite is bound by CPU (Chromium, chDB, PGlite), not by waiting — and the
// files that measure rates, p99s and dropped visits then failed beside another file. So one.
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // `expect.poll` waits for something another process or the browser does; Vitest's 1 s
    // default is shorter than a page load on a busy 2-core machine.
    expect: { poll: { timeout: 10_000 } },
    projects: [
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts', 'web/src/**/*.test.{ts,tsx}'] } },
      { extends: true, test: { name: 'medium', include: ['test/**/*.test.ts'], fileParallelism: true } },
    ],
  },
})
