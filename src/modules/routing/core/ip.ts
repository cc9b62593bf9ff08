/**
 * IP address and CIDR matching for the `ip` condition, IPv4 and IPv6.
 *
 * Addresses are reduced to unsigned 32-bit words (one for IPv4, four for IPv6) and matched
 * as `(addr & mask) === net`, so a request costs one parse plus a few integer compares per
 * CIDR. IPv4-mapped IPv6 (`::ffff:1.2.3.4`) is treated as the IPv4 address on both sides:
 * a rule `1.2.3.0/24` matches a request from `::ffff:1.2.3.4`, and a rule
 * `::ffff:1.2.3.0/120` is stored as `1.2.3.0/24`.
 */
import ipaddr from 'ipaddr.js'

/** A parsed client address: IPv4 as one unsigned word, IPv6 as four (big-endian). */
export type ParsedIp =
  | { readonly v: 4; readonly n: number }
  | { readonly v: 6; readonly w: readonly number[] }

/** Compiled list of addresses and networks. Parallel arrays keep the hot loop tight. */
export interface IpSet {
  readonly v4Net: readonly number[]
  readonly v4Mask: readonly number[]
  /** Four words per IPv6 network, flattened. */
  readonly v6Net: readonly number[]
  readonly v6Mask: readonly number[]
}

/** Unsigned 32-bit mask with the top `bits` bits set (0–32). */
function mask32(bits: number): number {
  if (bits <= 0) return 0
  if (bits >= 32) return 0xffffffff
  return (0xffffffff << (32 - bits)) >>> 0
}

/**
 * Strict dotted-quad IPv4 parser (four decimal parts 0–255). Returns the address as an
 * unsigned 32-bit number, or -1. Stricter than ipaddr.js, which also accepts "127.1" and hex.
 */
export function parseIPv4(s: string): number {
  let n = 0
  let part = 0
  let digits = 0
  let dots = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1
      n = n * 256 + part
      part = 0
      digits = 0
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48)
      if (++digits > 3 || part > 255) return -1
    } else {
      return -1
    }
  }
  if (dots !== 3 || digits === 0) return -1
  return n * 256 + part
}

/** IPv6 (optionally with a zone id) to four words, or null; IPv4-mapped becomes IPv4. */
function parseIPv6(s: string): ParsedIp | null {
  if (!s.includes(':') || s.length > 64) return null
  try {
    const a = ipaddr.IPv6.parse(s)
    if (a.isIPv4MappedAddress()) {
      const [o0 = 0, o1 = 0, o2 = 0, o3 = 0] = a.toIPv4Address().octets
      return { v: 4, n: ((o0 << 24) | (o1 << 16) | (o2 << 8) | o3) >>> 0 }
    }
    const p = a.parts
    const w: number[] = []
    for (let i = 0; i < 8; i += 2) w.push((((p[i] ?? 0) << 16) | (p[i + 1] ?? 0)) >>> 0)
    return { v: 6, w }
  } catch {
    return null
  }
}

/** Parses a client IP (dotted IPv4 or IPv6, surrounding whitespace ignored); null when invalid. Never throws. */
export function parseIp(raw: string): ParsedIp | null {
  if (typeof raw !== 'string') return null
  const s = raw.trim()
  const v4 = parseIPv4(s)
  if (v4 >= 0) return { v: 4, n: v4 }
  return parseIPv6(s)
}

/**
 * Compiles IPs and CIDRs ("10.0.0.0/8", "2001:db8::/32", "1.2.3.4", "::1"). Host bits
 * inside a CIDR are ignored. Invalid entries are skipped and reported through `warn`.
 */
export function compileIpSet(
  values: readonly unknown[] | undefined,
  warn: (msg: string) => void = () => {},
): IpSet {
  const set = { v4Net: [] as number[], v4Mask: [] as number[], v6Net: [] as number[], v6Mask: [] as number[] }
  for (const value of Array.isArray(values) ? values : []) {
    if (!addEntry(set, typeof value === 'string' ? value.trim() : ''))
      warn(`invalid IP or CIDR ${JSON.stringify(value)}`)
  }
  return set
}

/** Adds one entry; false when it does not parse. */
function addEntry(
  set: { v4Net: number[]; v4Mask: number[]; v6Net: number[]; v6Mask: number[] },
  entry: string,
): boolean {
  const slash = entry.indexOf('/')
  const addrText = slash < 0 ? entry : entry.slice(0, slash)
  const prefixText = slash < 0 ? '' : entry.slice(slash + 1)
  if (slash >= 0 && !/^\d{1,3}$/.test(prefixText)) return false
  const addr = parseIp(addrText)
  if (!addr) return false
  let prefix = slash < 0 ? (addr.v === 4 ? 32 : 128) : Number(prefixText)
  // A mapped network written as IPv6 (prefix counted over 128 bits) shrinks to IPv4.
  if (addr.v === 4 && addrText.includes(':') && slash >= 0) {
    if (prefix < 96 || prefix > 128) return false
    prefix -= 96
  }
  if (addr.v === 4) {
    if (prefix > 32) return false
    const m = mask32(prefix)
    set.v4Mask.push(m)
    set.v4Net.push((addr.n & m) >>> 0)
    return true
  }
  if (prefix > 128) return false
  for (let i = 0; i < 4; i++) {
    const m = mask32(prefix - 32 * i)
    set.v6Mask.push(m)
    set.v6Net.push(((addr.w[i] ?? 0) & m) >>> 0)
  }
  return true
}

/** True when `ip` lies in any network of `set`. */
export function ipInSet(ip: ParsedIp, set: IpSet): boolean {
  if (ip.v === 4) {
    const { v4Net, v4Mask } = set
    for (let i = 0; i < v4Net.length; i++) if ((ip.n & (v4Mask[i] ?? 0)) >>> 0 === v4Net[i]) return true
    return false
  }
  const { v6Net, v6Mask } = set
  const w = ip.w
  for (let i = 0; i < v6Net.length; i += 4) {
    if (
      (w[0]! & v6Mask[i]!) >>> 0 === v6Net[i] &&
      (w[1]! & v6Mask[i + 1]!) >>> 0 === v6Net[i + 1] &&
      (w[2]! & v6Mask[i + 2]!) >>> 0 === v6Net[i + 2] &&
      (w[3]! & v6Mask[i + 3]!) >>> 0 === v6Net[i + 3]
    )
      return true
  }
  return false
}
