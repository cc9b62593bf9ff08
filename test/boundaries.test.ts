/**
 * The module-boundary rules (.dependency-cruiser.cjs, run by `npm run lint:boundaries`)
 * catch what they claim to: a throwaway tree with one deliberate violation per rule must
 * report exactly that rule, and the same tree without them must pass. The real tree is
 * checked by `npm test` itself (lint:boundaries runs before vitest).
 */
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { ROOT } from './helpers/server.ts'

const run = promisify(execFile)
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** A clean miniature of the layout: platform, two modules with index files, a web file. */
const CLEAN: Record<string, string> = {
  'src/platform/clock.ts': 'export const now = () => 0\n',
  'src/modules/alpha/index.ts': "export { a } from './alpha.core.ts'\n",
  'src/modules/alpha/alpha.core.ts': "import { now } from '../../platform/clock.ts'\nexport const a = now\n",
  'src/modules/beta/index.ts': "export { b } from './beta.service.ts'\n",
  'src/modules/beta/beta.service.ts': "import { a } from '../alpha/index.ts'\nexport const b = a\n",
  'src/modules/routing/core/macros.ts': 'export const m = 1\n',
  'src/server.ts': "import { b } from './modules/beta/index.ts'\nexport const s = b\n",
  'web/src/main.ts': "import { m } from '../../src/modules/routing/core/macros.ts'\nexport const w = m\n",
}

/** Each rule with files that break it (added to the clean tree). */
const VIOLATIONS: Record<string, Record<string, string>> = {
  'platform-imports-no-module': {
    'src/platform/bad.ts': "import { a } from '../modules/alpha/index.ts'\nexport const x = a\n",
  },
  'module-through-index': {
    'src/modules/beta/beta.bad.ts': "import { a } from '../alpha/alpha.core.ts'\nexport const x = a\n",
  },
  'composition-through-index': {
    'src/bad.ts': "import { b } from './modules/beta/beta.service.ts'\nexport const x = b\n",
  },
  'no-cycles': {
    'src/modules/alpha/alpha.one.ts': "import { two } from './alpha.two.ts'\nexport const one = () => two\n",
    'src/modules/alpha/alpha.two.ts': "import { one } from './alpha.one.ts'\nexport const two = () => one\n",
  },
  'web-imports-only-shared-files': {
    'web/src/bad.ts': "import { b } from '../../src/modules/beta/index.ts'\nexport const x = b\n",
  },
  'web-shared-files-stay-import-free': {
    'src/modules/routing/core/macros.ts':
      "import { now } from '../../../platform/clock.ts'\nexport const m = now\n",
  },
}

/** Writes the tree into a temp dir and runs depcruise there with the project's config. */
async function cruise(files: Record<string, string>): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tf-boundaries-'))
  dirs.push(dir)
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        allowImportingTsExtensions: true,
        noEmit: true,
      },
    }),
  )
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
    writeFileSync(path.join(dir, rel), text)
  }
  const bin = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs')
  const config = path.join(ROOT, '.dependency-cruiser.cjs')
  const out = await run(
    process.execPath,
    [bin, 'src', 'web/src', '--config', config, '--output-type', 'json'],
    {
      cwd: dir,
    },
  ).catch((err: { stdout: string }) => ({ stdout: err.stdout }))
  const result = JSON.parse(out.stdout) as { summary: { violations: { rule: { name: string } }[] } }
  return [...new Set(result.summary.violations.map((v) => v.rule.name))].sort()
}

describe('module boundaries (dependency-cruiser)', () => {
  it('a tree that follows the rules passes', async () => {
    expect(await cruise(CLEAN)).toEqual([])
  })

  it.each(Object.entries(VIOLATIONS))('%s: a deliberate violation is reported', async (rule, bad) => {
    expect(await cruise({ ...CLEAN, ...bad })).toEqual([rule])
  })
})
