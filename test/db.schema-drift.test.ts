/**
 * The modules' Drizzle tables (`src/modules/*\/*.tables.ts`, `config_version`) and the SQL
 * migrations in `drizzle/` describe the same schema: `drizzle-kit generate` against a copy
 * of `drizzle/` must find nothing to migrate. A table edited without `npm run db:generate`
 * fails here instead of at a user's start-up.
 */
import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, expect, it } from 'vitest'
import { ROOT } from './helpers/server.ts'

const dir = mkdtempSync(path.join(os.tmpdir(), 'tf-drift-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

it('the tables match the committed migrations', async () => {
  const out = path.join(dir, 'drizzle')
  cpSync(path.join(ROOT, 'drizzle'), out, { recursive: true })
  const before = readdirSync(out).sort()
  const config = path.join(dir, 'drizzle.config.ts')
  // The project's config with only the output folder changed (drizzle-kit wants it relative).
  writeFileSync(
    config,
    `import base from ${JSON.stringify(path.join(ROOT, 'drizzle.config.ts'))}\n` +
      `export default { ...base, out: ${JSON.stringify(path.relative(ROOT, out))} }\n`,
  )
  const bin = path.join(ROOT, 'node_modules/drizzle-kit/bin.cjs')
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    [bin, 'generate', '--config', config],
    {
      cwd: ROOT,
    },
  )
  expect(stdout + stderr).toContain('No schema changes')
  expect(readdirSync(out).sort()).toEqual(before)
})
