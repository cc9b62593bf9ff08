import { defineConfig } from 'vitest/config'

// Unit tests sit beside the code (src/**/*.test.ts); "medium" tests that need real
// PostgreSQL, PGlite, ClickHouse (chDB) or a running server live in test/.
// chDB binds one data directory per process, hence the forks pool.
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts', 'web/src/**/*.test.{ts,tsx}'] } },
      { extends: true, test: { name: 'medium', include: ['test/**/*.test.ts'], fileParallelism: true } },
    ],
  },
})
