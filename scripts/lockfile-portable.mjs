// Keeps package-lock.json usable on every platform: adds the records of platform-specific
// optional dependencies (native builds such as @chdb/lib-darwin-arm64 or
// @esbuild/win32-x64) that the lockfile lacks.
//
// Why: npm writes a record for such a package only when the registry it installs from
// serves it. With a registry that serves only some platforms' builds, `npm install` leaves
// the others out of package-lock.json, and `npm ci` elsewhere then refuses the lockfile
// ("Missing: … from lock file"). Each missing package gets a record with the version its
// parent pins and the os/cpu/libc read from its name, so `npm ci` skips it on platforms it
// does not fit and fetches it where it does.
//
// A maintainer runs it on purpose, never as an install hook: after an `npm install` that
// changed dependencies, `npm run lockfile:portable`, then commit package-lock.json. It
// writes the file only when it added something; plain `npm install` never rewrites it.
import { readFileSync, writeFileSync } from 'node:fs'

const file = new URL('../package-lock.json', import.meta.url)
const lock = JSON.parse(readFileSync(file, 'utf8'))
const OS = ['darwin', 'linux', 'win32', 'freebsd', 'openbsd', 'netbsd', 'sunos', 'android', 'aix', 'openharmony', 'wasi']
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el', 'wasm32']

function platformOf(name) {
  const parts = name.split('/').pop().split('-')
  const os = parts.find((p) => OS.includes(p))
  const cpu = parts.find((p) => CPU.includes(p))
  if (!os || !cpu) return undefined
  const libc = parts.includes('musl') ? 'musl' : parts.includes('gnu') ? 'glibc' : undefined
  return { os: [os], cpu: [cpu], ...(libc ? { libc: [libc] } : {}) }
}

/** The lockfile key npm resolves `dep` to from the package at `path` (its own node_modules, then upwards). */
function resolve(path, dep) {
  let at = path
  for (;;) {
    const key = at === '' ? `node_modules/${dep}` : `${at}/node_modules/${dep}`
    if (lock.packages[key]) return key
    if (at === '') return undefined
    const i = at.lastIndexOf('/node_modules/')
    at = i < 0 ? '' : at.slice(0, i)
  }
}

let added = 0
// Shallow parents first, so the hoisted slot goes to the top-level package's pin, as npm lays it out.
const parents = Object.entries(lock.packages).sort(([a], [b]) => a.split('/node_modules/').length - b.split('/node_modules/').length)
for (const [path, entry] of parents) {
  for (const [dep, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const platform = platformOf(dep)
    if (!platform || !/^\d+\.\d+\.\d+/.test(range)) continue
    const found = resolve(path, dep)
    if (found && lock.packages[found].version === range) continue
    // Missing: hoist it if that slot is free; otherwise (another version is there) nest it under its parent.
    const key = found ? `${path === '' ? '' : `${path}/`}node_modules/${dep}` : `node_modules/${dep}`
    if (lock.packages[key]) continue
    lock.packages[key] = {
      version: range,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      ...platform,
    }
    added++
  }
}
if (added > 0) {
  lock.packages = Object.fromEntries(
    Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
  )
  writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`)
}
console.log(`lockfile:portable: added ${added} platform records${added > 0 ? ' (commit package-lock.json)' : ''}`)
