/**
 * What an outbound postback carries (pure): the target (scheme, host, path) and the query
 * parameters of its URL, decoded, in order. The URL is the API's, with secret-looking values
 * already shown as `***`; nothing here reveals more.
 */

/** The parts of an outbound postback URL. */
export interface Payload {
  /** `https://host/path` without the query. */
  target: string
  /** Query parameters, decoded, in URL order (a repeated name appears twice). */
  params: [name: string, value: string][]
}

/** Splits `url`; null when it is empty or not an absolute URL (a template that failed to render). */
export function payloadOf(url: string): Payload | null {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return null
  }
  return { target: `${u.origin}${u.pathname}`, params: [...u.searchParams.entries()] }
}

/** "#3" for the automatic round, "retry 1 · #2" for attempts of a manual retry. */
export function attemptLabel(round: number, attempt: number): string {
  return round === 0 ? `#${attempt}` : `retry ${round} · #${attempt}`
}
