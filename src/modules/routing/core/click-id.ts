/**
 * Click IDs: 26 characters of Crockford base32 (ULID layout): 10 characters of a 48-bit
 * millisecond timestamp followed by 16 characters of 80 random bits.
 * - time-sortable: the alphabet is in ASCII order and the timestamp is fixed-width, so
 *   lexicographic order equals time order (at millisecond resolution);
 * - URL-safe: only 0-9 and upper-case letters (no I, L, O, U);
 * - unguessable: 80 bits from the caller's CSPRNG (the shell passes crypto.getRandomValues).
 */

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const DECODE: Readonly<Record<string, number>> = Object.fromEntries([...ALPHABET].map((c, i) => [c, i]))
const MAX_TIME = 2 ** 48 - 1
const CLICK_ID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/

/** Length of a click ID in characters. */
export const CLICK_ID_LENGTH = 26

/** Encodes 40 bits (as a non-negative integer < 2^40) into 8 base32 characters. */
function encode40(n: number): string {
  let out = ''
  for (let i = 7; i >= 0; i--) out += ALPHABET[Math.floor(n / 32 ** i) % 32]
  return out
}

/**
 * New click ID for `nowMs` with 10 random bytes.
 * @param nowMs epoch milliseconds, integer in [0, 2^48)
 * @param randomBytes at least 10 bytes from a CSPRNG (only the first 10 are used)
 * @throws RangeError when `nowMs` is out of range or fewer than 10 bytes are given
 */
export function newClickId(nowMs: number, randomBytes: Uint8Array): string {
  if (!Number.isInteger(nowMs) || nowMs < 0 || nowMs > MAX_TIME)
    throw new RangeError(`invalid click time ${nowMs}`)
  if (!(randomBytes instanceof Uint8Array) || randomBytes.length < 10) {
    throw new RangeError('newClickId needs 10 random bytes')
  }
  let time = ''
  let t = nowMs
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time
    t = Math.floor(t / 32)
  }
  const b = randomBytes
  const hi = b[0]! * 2 ** 32 + ((b[1]! << 24) >>> 0) + (b[2]! << 16) + (b[3]! << 8) + b[4]!
  const lo = b[5]! * 2 ** 32 + ((b[6]! << 24) >>> 0) + (b[7]! << 16) + (b[8]! << 8) + b[9]!
  return time + encode40(hi) + encode40(lo)
}

/** True when `id` has the click ID shape (26 Crockford base32 characters, upper case). */
export function isClickId(id: string): boolean {
  return typeof id === 'string' && CLICK_ID.test(id)
}

/** Epoch milliseconds embedded in a click ID, or undefined when `id` is not a click ID. */
export function clickIdTime(id: string): number | undefined {
  if (!isClickId(id)) return undefined
  let t = 0
  for (let i = 0; i < 10; i++) t = t * 32 + (DECODE[id[i]!] ?? 0)
  return t
}
