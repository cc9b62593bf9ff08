/**
 * Browser end-to-end helpers: Debian's Chromium through playwright-core, the built admin UI,
 * screenshots at desktop and phone width, and a watch for errors the page logs.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { ROOT } from './server.ts'

export const CHROMIUM = '/usr/bin/chromium'
/** Screenshots of every run (gitignored); look at them after UI changes. */
export const SHOTS = path.join(ROOT, 'test', 'screenshots')
export const DESKTOP = { width: 1366, height: 800 }
export const PHONE = { width: 390, height: 844 }
/** A desktop Chrome user agent, so the browser's own campaign clicks are not counted as bots. */
export const CHROME_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'

/** Launches headless Chromium with the flags the project uses. @throws when it is not installed. */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: apt-get install chromium`)
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
}

/**
 * For UI tests: builds the UI when `web/dist` is missing or stale (what `npm start` does),
 * makes the screenshot folder and launches Chromium.
 */
export function launchForUi(): Promise<Browser> {
  execFileSync(process.execPath, ['scripts/build-web.mjs'], { cwd: ROOT, stdio: 'inherit' })
  mkdirSync(SHOTS, { recursive: true })
  return launchChromium()
}

/** Full-page screenshot `<name>-<viewport width>.png` in {@link SHOTS}. */
export const shot = (p: Page, name: string) =>
  p.screenshot({ path: path.join(SHOTS, `${name}-${p.viewportSize()?.width}.png`), fullPage: true })

/**
 * Collects the page's uncaught errors and console errors into `errors`. The browser logs
 * every 4xx answer as a console error; `allowedStatus` lists those a test expects (e.g. the
 * 401 session probe before sign-in), e.g. `/status of 40[13]\b/`.
 */
export function watchErrors(p: Page, errors: string[], allowedStatus: RegExp): void {
  p.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
  p.on('console', (m) => {
    if (m.type() === 'error' && !allowedStatus.test(m.text())) errors.push(`console: ${m.text()}`)
  })
}
