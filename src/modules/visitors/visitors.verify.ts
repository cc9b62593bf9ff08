/**
 * Ownership verification, the shell (pure parts: `visitors.verify.core.ts`): fetches the
 * token file through the SSRF guard, asks DNS for the TXT record, and records the outcome in
 * `visitor_hosts`. {@link recheckHosts} is what the engine calls before a run and at least
 * hourly while it runs.
 */
import { resolveTxt as dnsResolveTxt } from 'node:dns/promises'
import type { LookupAddress } from 'node:dns'
import type { Db } from '../../platform/db/client.ts'
import { guardedFetch, SsrfBlockedError } from '../../platform/net/ssrf.ts'
import { type HostRow, recordCheck } from './visitors.projects.repository.ts'
import {
  type Attempt,
  fileProves,
  type HostTarget,
  isIpLiteral,
  txtProves,
  txtRecordName,
  verdict,
  verificationToken,
  wellKnownUrl,
} from './visitors.verify.core.ts'

/** What a check needs. */
export interface VerifyDeps {
  db: Db
  /** The token key (`deriveVerifyKey(loadSecretKey(…))`). */
  key: Buffer
  /** `VISITORS_ALLOW_PRIVATE`: let the token fetch reach private and loopback addresses. */
  allowPrivate: boolean
  /** TXT lookup, default `dns.resolveTxt` (tests inject one). */
  resolveTxt?: (name: string) => Promise<string[][]>
  /** A/AAAA lookup of the token fetch, default the system's (see `guardedFetch`'s `resolve`). */
  resolveAddresses?: (hostname: string) => Promise<LookupAddress[]>
  /** Deadline per fetch and per DNS query, ms; default 5000. */
  timeoutMs?: number
}

/** The User-Agent of the token fetch: says who asks, like every visit of the engine. */
export const VERIFY_USER_AGENT = 'traffoflex-verify/1 (+ownership check of a traffoflex visitor project)'

function errorText(e: unknown): string {
  if (e instanceof SsrfBlockedError)
    return e.reason === 'private_address'
      ? `refused: the host resolves to a private or loopback address (${e.address}); VISITORS_ALLOW_PRIVATE=true allows it`
      : e.message
  const code = (e as { code?: string }).code
  const msg = e instanceof Error ? e.message : String(e)
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timeout after ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([p, t])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Checks one host now — the token file on each of its schemes (first hit wins), then the
 * TXT record (not for an IP literal) — and records the outcome.
 * @returns the host's row after the check (status `verified` or `failed` with `last_error`).
 */
export async function checkHost(
  deps: VerifyDeps,
  workspaceId: string,
  target: HostTarget,
  now: Date,
): Promise<HostRow> {
  const token = verificationToken(deps.key, workspaceId, target.host)
  const timeoutMs = deps.timeoutMs ?? 5_000
  const attempts: Attempt[] = []
  for (const scheme of target.schemes) {
    const url = wellKnownUrl(scheme, target.host)
    try {
      const res = await guardedFetch(url, {
        allowPrivate: deps.allowPrivate,
        timeoutMs,
        maxBodyBytes: 4096,
        headers: { 'user-agent': VERIFY_USER_AGENT, accept: 'text/plain' },
        ...(deps.resolveAddresses ? { resolve: deps.resolveAddresses } : {}),
      })
      if (res.status !== 200)
        attempts.push({ method: 'http', ok: false, error: `${url} answered ${res.status}` })
      else if (!fileProves(res.body.toString('utf8'), token))
        attempts.push({ method: 'http', ok: false, error: `${url} does not contain this workspace's token` })
      else {
        attempts.push({ method: 'http', ok: true })
        break
      }
    } catch (e) {
      attempts.push({ method: 'http', ok: false, error: `${url}: ${errorText(e)}` })
    }
  }
  if (!attempts.some((a) => a.ok) && !isIpLiteral(target.host)) {
    const name = txtRecordName(target.host)
    try {
      const records = await withTimeout((deps.resolveTxt ?? dnsResolveTxt)(name), timeoutMs, name)
      attempts.push(
        txtProves(records, token)
          ? { method: 'dns', ok: true }
          : { method: 'dns', ok: false, error: `no TXT record at ${name} holds this workspace's token` },
      )
    } catch (e) {
      attempts.push({ method: 'dns', ok: false, error: `${name}: ${errorText(e)}` })
    }
  }
  return recordCheck(deps.db, workspaceId, target.host, verdict(attempts), now)
}

/** Outcome of {@link recheckHosts}. */
export interface RecheckResult {
  /** Every host verified just now. */
  ok: boolean
  /** Hosts whose check failed, with the reason (also stored as the host's `last_error`). */
  failed: { host: string; error: string }[]
}

/**
 * Re-checks hosts over the network now and records each outcome — the engine calls it
 * before each start and at least hourly while a project runs, and pauses the project with
 * the reason when `ok` is false. A host given as a plain string is tried on https, then
 * http; a {@link HostTarget} (see `hostTargets(urls)`) on its own schemes. Checks run one
 * after another (a project has few hosts; the owner's server is not hammered).
 */
export async function recheckHosts(
  deps: VerifyDeps,
  workspaceId: string,
  hosts: readonly (string | HostTarget)[],
  now: Date,
): Promise<RecheckResult> {
  const failed: RecheckResult['failed'] = []
  for (const h of hosts) {
    const target: HostTarget =
      typeof h === 'string' ? { host: h.toLowerCase(), schemes: ['https', 'http'] } : h
    const row = await checkHost(deps, workspaceId, target, now)
    if (row.status !== 'verified') failed.push({ host: target.host, error: row.lastError ?? 'not verified' })
  }
  return { ok: failed.length === 0, failed }
}
