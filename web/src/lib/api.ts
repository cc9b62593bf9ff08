/**
 * The one HTTP client of the UI. Every request goes through {@link apiFetch}:
 *
 * - same-origin, with the session cookie (`credentials: 'same-origin'`);
 * - writes (POST/PUT/PATCH/DELETE) carry the CSRF header `X-Requested-With: traffoflex`
 *   the API demands of cookie-authenticated writes;
 * - JSON in and out; `204` resolves to `undefined`;
 * - a failure becomes an {@link ApiError} parsed from the API's error body
 *   `{error:{code,message,details}}` — `details` of a validation failure is
 *   `[{path, message}]` and becomes {@link ApiError.fieldErrors};
 * - `401` calls the registered `onUnauthorized` handler (the app sends the user to
 *   `/login`), `403 pending_approval` calls `onPendingApproval` (the approval-pending page),
 *   `403 two_factor_enrollment_required` calls `onTwoFactorRequired` (the Security page),
 *   unless the request opted out with `skipAuthRedirect` (login, sign-up, the `me` probe).
 *
 * Data hooks (`src/hooks/api/*.ts`) call `api.get/post/patch/delete`; components never
 * call `fetch` themselves.
 */

/** Base path of the REST API. */
export const API_BASE = '/api/v1'

/** CSRF header the API requires on cookie-authenticated writes. */
export const CSRF_HEADER = 'X-Requested-With'
/** Value of {@link CSRF_HEADER}. */
export const CSRF_VALUE = 'traffoflex'

/** One invalid field of a request, as named by the API (`"destinations.0.weight"`). */
export interface FieldError {
  path: string
  message: string
}

/** A failed API call (HTTP error, or `status 0` when the server could not be reached). */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor(
    /** HTTP status; 0 for a network failure. */
    readonly status: number,
    /** The API's stable code (`validation_failed`, `unauthorized`, `pending_approval`, …). */
    readonly code: string,
    message: string,
    /** The raw `details` of the error body. */
    readonly details: unknown = undefined,
    /** `details` when it is a list of `{path, message}`; else empty. */
    readonly fieldErrors: readonly FieldError[] = [],
  ) {
    super(message)
  }

  /** The first message the API gave for `path`, if any. */
  fieldError(path: string): string | undefined {
    return this.fieldErrors.find((f) => f.path === path)?.message
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null

/** `details` as field errors when it has the `[{path, message}]` shape (other entries skipped). */
export function parseFieldErrors(details: unknown): FieldError[] {
  if (!Array.isArray(details)) return []
  const out: FieldError[] = []
  for (const d of details) {
    if (isRecord(d) && typeof d.path === 'string' && typeof d.message === 'string') {
      out.push({ path: d.path, message: d.message })
    }
  }
  return out
}

/**
 * Turns an error response into an {@link ApiError}. A body without the API's error shape
 * (a proxy's HTML page, an empty body) still gives a readable message from the status.
 */
export function toApiError(status: number, body: unknown, statusText = ''): ApiError {
  const err = isRecord(body) && isRecord(body.error) ? body.error : null
  if (err && typeof err.code === 'string') {
    const message = typeof err.message === 'string' && err.message ? err.message : err.code
    return new ApiError(status, err.code, message, err.details, parseFieldErrors(err.details))
  }
  const fallback: Record<number, [string, string]> = {
    401: ['unauthorized', 'Please sign in.'],
    403: ['forbidden', 'You are not allowed to do this.'],
    404: ['not_found', 'Not found.'],
    429: ['rate_limited', 'Too many requests; try again in a moment.'],
  }
  const [code, message] =
    fallback[status] ??
    (status >= 500
      ? ['internal', 'The server had a problem. Try again in a moment.']
      : [`http_${status}`, statusText || `Request failed (${status}).`])
  return new ApiError(status, code, message)
}

/** True for 401: the session is missing or expired. */
export const isUnauthorized = (e: unknown): e is ApiError => e instanceof ApiError && e.status === 401

/**
 * True when the account waits for an admin's approval: 403 with code `pending_approval`
 * (also the older `forbidden` + "pending approval" message the API answered before the
 * dedicated code existed).
 */
export function isPendingApproval(e: unknown): e is ApiError {
  if (!(e instanceof ApiError) || e.status !== 403) return false
  return e.code === 'pending_approval' || (e.code === 'forbidden' && /pending approval/i.test(e.message))
}

/**
 * True when the session's workspace requires two-factor authentication and the user has not
 * enrolled yet: 403 `two_factor_enrollment_required` (only the Security page works).
 */
export const isTwoFactorEnrollmentRequired = (e: unknown): e is ApiError =>
  e instanceof ApiError && e.status === 403 && e.code === 'two_factor_enrollment_required'

/** Global reactions to auth failures, set once by the app (see `main.tsx`). */
export interface AuthHandlers {
  onUnauthorized?(error: ApiError): void
  onPendingApproval?(error: ApiError): void
  /** 403 `two_factor_enrollment_required`: the app opens the Security page. */
  onTwoFactorRequired?(error: ApiError): void
}

let handlers: AuthHandlers = {}

/** Registers the app's reactions to 401 and 403 `pending_approval` (replaces earlier ones). */
export function setAuthHandlers(next: AuthHandlers): void {
  handlers = next
}

/** A query-string value: arrays repeat the parameter; `undefined`/`null` leave it out. */
export type QueryValue = string | number | boolean | null | undefined | readonly (string | number)[]
/** Query-string parameters of a request. */
export type QueryParams = Record<string, QueryValue>

/**
 * `/api/v1<path>?<query>`. Arrays become repeated parameters (`country=DE&country=AT`);
 * an empty string is kept (the reports read `sub1=` as "no value recorded").
 */
export function apiUrl(path: string, query?: QueryParams): string {
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === null) continue
    if (Array.isArray(v)) for (const item of v) qs.append(k, String(item))
    else qs.append(k, String(v))
  }
  const s = qs.toString()
  return `${API_BASE}${path}${s ? `?${s}` : ''}`
}

/** Options of {@link apiFetch}. */
export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  query?: QueryParams
  /** Sent as JSON. */
  body?: unknown
  signal?: AbortSignal
  /** Do not call the global 401 / pending-approval handlers (the caller handles them). */
  skipAuthRedirect?: boolean
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * Calls the API and resolves with the parsed JSON body (`undefined` for 204).
 * @throws ApiError for any non-2xx answer or when the server cannot be reached.
 */
export async function apiFetch<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method ?? 'GET'
  const headers: Record<string, string> = { accept: 'application/json' }
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  if (WRITES.has(method)) headers[CSRF_HEADER] = CSRF_VALUE
  let res: Response
  try {
    res = await fetch(apiUrl(path, opts.query), {
      method,
      headers,
      credentials: 'same-origin',
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    })
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err
    throw new ApiError(0, 'network_error', 'Cannot reach the server. Check your connection and try again.')
  }
  if (res.status === 204) return undefined as T
  const text = await res.text()
  let body: unknown = null
  if (text) {
    try {
      body = JSON.parse(text)
    } catch {
      body = null
    }
  }
  if (!res.ok) {
    const error = toApiError(res.status, body, res.statusText)
    if (!opts.skipAuthRedirect) {
      if (error.status === 401) handlers.onUnauthorized?.(error)
      else if (isPendingApproval(error)) handlers.onPendingApproval?.(error)
      else if (isTwoFactorEnrollmentRequired(error)) handlers.onTwoFactorRequired?.(error)
    }
    throw error
  }
  return body as T
}

type Opts = Omit<RequestOptions, 'method' | 'body' | 'query'>

/** Verb shorthands over {@link apiFetch}. */
export const api = {
  get: <T>(path: string, query?: QueryParams, opts?: Opts) =>
    apiFetch<T>(path, { ...opts, ...(query ? { query } : {}) }),
  post: <T>(path: string, body?: unknown, opts?: Opts) =>
    apiFetch<T>(path, { ...opts, method: 'POST', body }),
  put: <T>(path: string, body?: unknown, opts?: Opts) => apiFetch<T>(path, { ...opts, method: 'PUT', body }),
  patch: <T>(path: string, body?: unknown, opts?: Opts) =>
    apiFetch<T>(path, { ...opts, method: 'PATCH', body }),
  delete: <T = void>(path: string, opts?: Opts) => apiFetch<T>(path, { ...opts, method: 'DELETE' }),
}

/** A human sentence for any error a query or mutation can throw. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message
  if (e instanceof Error) return e.message
  return 'Something went wrong.'
}
