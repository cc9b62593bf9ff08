#!/usr/bin/env node
/**
 * Builds the admin UI (`web/`) into `web/dist` with Vite, and reports the initial JS size.
 *
 *   node scripts/build-web.mjs           build only when web/dist is missing or stale (npm prestart)
 *   node scripts/build-web.mjs --force   always build (npm run build:web)
 *
 * Stale means: a file the last build read (recorded in `web/dist/.build.json`: every module
 * in the bundle outside node_modules, e.g. the API's report constants under src/), a file
 * under web/src or web/public, web/index.html, web/vite.config.ts or package-lock.json is
 * newer than that build. So `npm start` stays fast when nothing changed.
 *
 * The build goes to a temporary directory and replaces web/dist at the end, so a running
 * server never serves a half-written build; a lock directory serialises concurrent runs
 * (two test files starting at once). Prints `web: initial JS <n> KB gzipped`: the entry
 * chunk plus its static imports, i.e. what the browser must load before the first page.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const WEB = path.join(ROOT, 'web')
const DIST = path.join(WEB, 'dist')
const STAMP = path.join(DIST, '.build.json')
const LOCK = path.join(WEB, '.build-lock')
const LOCK_STALE_MS = 10 * 60_000

const force = process.argv.includes('--force')
// A production bundle whatever the caller's environment (vitest runs with NODE_ENV=test,
// which would make Vite bundle React's development build).
process.env.NODE_ENV = 'production'

/** Every file below `dir` (recursively), absolute paths. */
function walk(dir) {
  let out = []
  let entries
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true })
  } catch {
    return out
  }
  for (const e of entries) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) out = out.concat(walk(p))
    else if (e.isFile()) out.push(p)
  }
  return out
}

const mtime = (p) => {
  try {
    return fs.statSync(p).mtimeMs
  } catch {
    return Number.POSITIVE_INFINITY // a recorded input that vanished: rebuild
  }
}

/** Why a build is needed, or null when web/dist is current. */
function staleReason() {
  if (!fs.existsSync(path.join(DIST, 'index.html'))) return 'web/dist is missing'
  let stamp
  try {
    stamp = JSON.parse(fs.readFileSync(STAMP, 'utf8'))
  } catch {
    return 'web/dist has no build record'
  }
  const inputs = [
    ...walk(path.join(WEB, 'src')),
    ...walk(path.join(WEB, 'public')),
    path.join(WEB, 'index.html'),
    path.join(WEB, 'vite.config.ts'),
    path.join(ROOT, 'package-lock.json'),
    ...(stamp.inputs ?? []).map((p) => path.join(ROOT, p)),
  ]
  for (const p of inputs) {
    if (mtime(p) > stamp.startedAt) return `${path.relative(ROOT, p)} changed`
  }
  return null
}

/** Gzipped size of the JS the browser loads before the first page (entry + static imports). */
function initialSizes(dist) {
  const manifest = JSON.parse(fs.readFileSync(path.join(dist, '.vite', 'manifest.json'), 'utf8'))
  const seen = new Set()
  const css = new Set()
  const visit = (key) => {
    if (seen.has(key)) return
    seen.add(key)
    const chunk = manifest[key]
    for (const c of chunk.css ?? []) css.add(c)
    for (const i of chunk.imports ?? []) visit(i)
  }
  for (const [key, chunk] of Object.entries(manifest)) if (chunk.isEntry) visit(key)
  const gz = (file) => gzipSync(fs.readFileSync(path.join(dist, file))).length
  let js = 0
  for (const key of seen) js += gz(manifest[key].file)
  let cssBytes = 0
  for (const c of css) cssBytes += gz(c)
  return { js, css: cssBytes, chunks: seen.size }
}

const kb = (n) => (n / 1000).toFixed(1)

function acquireLock() {
  for (;;) {
    try {
      fs.mkdirSync(LOCK)
      return true
    } catch (err) {
      if (err.code !== 'EEXIST') throw err
      try {
        if (Date.now() - fs.statSync(LOCK).mtimeMs > LOCK_STALE_MS) fs.rmSync(LOCK, { recursive: true, force: true })
      } catch {
        // removed meanwhile
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250)
    }
  }
}

async function build() {
  const startedAt = Date.now()
  const tmp = path.join(WEB, `.dist-tmp-${process.pid}`)
  const { build: viteBuild } = await import('vite')
  const inputs = new Set()
  await viteBuild({
    configFile: path.join(WEB, 'vite.config.ts'),
    mode: 'production',
    logLevel: force ? 'info' : 'warn',
    build: { outDir: tmp, emptyOutDir: true },
    plugins: [
      {
        name: 'traffoflex-record-inputs',
        generateBundle() {
          for (const id of this.getModuleIds()) {
            const file = id.split('?')[0]
            if (!file.startsWith(ROOT) || file.includes(`${path.sep}node_modules${path.sep}`)) continue
            if (fs.existsSync(file)) inputs.add(path.relative(ROOT, file))
          }
        },
      },
    ],
  })
  const sizes = initialSizes(tmp)
  fs.writeFileSync(
    path.join(tmp, '.build.json'),
    `${JSON.stringify({ startedAt, builtAt: Date.now(), initialJsGzipBytes: sizes.js, initialCssGzipBytes: sizes.css, inputs: [...inputs].sort() }, null, 2)}\n`,
  )
  const old = path.join(WEB, `.dist-old-${process.pid}`)
  if (fs.existsSync(DIST)) fs.renameSync(DIST, old)
  fs.renameSync(tmp, DIST)
  fs.rmSync(old, { recursive: true, force: true })
  return { sizes, ms: Date.now() - startedAt }
}

async function main() {
  let reason = force ? 'forced' : staleReason()
  if (!reason) {
    const stamp = JSON.parse(fs.readFileSync(STAMP, 'utf8'))
    console.log(`web: up to date (initial JS ${kb(stamp.initialJsGzipBytes)} KB gzipped)`)
    return
  }
  acquireLock()
  try {
    // Another run may have built it while we waited for the lock.
    if (!force) reason = staleReason()
    if (!reason) {
      console.log('web: up to date (built by a concurrent run)')
      return
    }
    console.log(`web: building the admin UI (${reason}) …`)
    const { sizes, ms } = await build()
    console.log(
      `web: initial JS ${kb(sizes.js)} KB gzipped (${sizes.chunks} chunks; CSS ${kb(sizes.css)} KB) — built in ${(ms / 1000).toFixed(1)} s`,
    )
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true })
  }
}

main().catch((err) => {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes("'vite'")) {
    // An install with --omit=dev: Vite and the UI libraries are devDependencies.
    console.error('web: Vite is not installed (npm install --omit=dev?): build web/dist where devDependencies are installed (npm run build:web)')
  } else {
    console.error(`web: build failed: ${err?.stack ?? err}`)
  }
  if (!force && fs.existsSync(path.join(DIST, 'index.html'))) {
    console.error('web: serving the previous build in web/dist')
    return
  }
  process.exitCode = 1
})
