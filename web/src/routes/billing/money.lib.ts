/**
 * Money and visit formatting of the billing pages. The API gives money as integer minor units
 * (`*_minor`, cents for EUR) with an ISO 4217 `currency`, quotes and orders also in major
 * units (`amount`, ≤ 2 decimals); visits are integers. Every figure is shown with its
 * currency or unit. `locale` defaults to the browser's.
 */

const nfCache = new Map<string, Intl.NumberFormat>()
function nf(locale: string | undefined, opts: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale ?? ''}|${JSON.stringify(opts)}`
  let f = nfCache.get(key)
  if (!f) {
    f = new Intl.NumberFormat(locale, opts)
    nfCache.set(key, f)
  }
  return f
}

/** Shown for a missing value. */
export const NONE = '—'

const isCurrency = (c: string | null | undefined): c is string => !!c && /^[A-Z]{3}$/.test(c)

/**
 * Decimal places of a currency's minor unit (EUR 2, JPY 0, BHD 3) as Intl knows them; 2 for
 * an unknown or missing code.
 */
export function minorDigits(currency: string | null | undefined): number {
  if (!isCurrency(currency)) return 2
  try {
    return nf('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2
  } catch {
    return 2
  }
}

/** Minor units → major units (1234 EUR cents → 12.34). */
export function minorToMajor(minor: number, currency: string | null | undefined): number {
  return minor / 10 ** minorDigits(currency)
}

/** Major units → integer minor units, rounded to the nearest (12.345 → 1235 for EUR). */
export function majorToMinor(major: number, currency: string | null | undefined): number {
  return Math.round(major * 10 ** minorDigits(currency))
}

/**
 * Major units as money with the currency ("€12.50", "12,50 €" in de); without a valid code,
 * the number with the code (or nothing) after it.
 */
export function formatMajor(
  major: number | null | undefined,
  currency: string | null | undefined,
  locale?: string,
): string {
  if (major === null || major === undefined || !Number.isFinite(major)) return NONE
  const digits = minorDigits(currency)
  if (isCurrency(currency)) {
    try {
      return nf(locale, {
        style: 'currency',
        currency,
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      }).format(major)
    } catch {
      // An ISO-shaped code Intl does not know: fall through to "12.50 XYZ".
    }
  }
  const n = nf(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(major)
  return currency ? `${n} ${currency}` : n
}

/** Integer minor units as money with the currency (1234, 'EUR' → "€12.34"). */
export function formatMinor(
  minor: number | null | undefined,
  currency: string | null | undefined,
  locale?: string,
): string {
  if (minor === null || minor === undefined || !Number.isFinite(minor)) return NONE
  return formatMajor(minorToMajor(minor, currency), currency, locale)
}

/** A signed change in minor units with an explicit sign ("+€12.34", "−€5.00"). */
export function formatMinorDelta(
  minor: number,
  currency: string | null | undefined,
  locale?: string,
): string {
  if (!Number.isFinite(minor)) return NONE
  const abs = formatMinor(Math.abs(minor), currency, locale)
  return minor > 0 ? `+${abs}` : minor < 0 ? `−${abs}` : abs
}

/** Price of 1,000 visits (major units) with up to 4 decimals: "€0.40" (never fewer than 2). */
export function formatRate(
  rate: number | null | undefined,
  currency: string | null | undefined,
  locale?: string,
) {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return NONE
  const opts: Intl.NumberFormatOptions = { minimumFractionDigits: 2, maximumFractionDigits: 4 }
  if (isCurrency(currency)) {
    try {
      return nf(locale, { ...opts, style: 'currency', currency }).format(rate)
    } catch {
      // Unknown code: plain number below.
    }
  }
  const n = nf(locale, opts).format(rate)
  return currency ? `${n} ${currency}` : n
}

/** A visit count with its unit: "1,250,000 visits", "1 visit". */
export function formatVisits(n: number | null | undefined, locale?: string): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return NONE
  return `${nf(locale, { maximumFractionDigits: 0 }).format(n)} ${Math.abs(n) === 1 ? 'visit' : 'visits'}`
}

/** A signed visit change: "+1,000 visits", "−250 visits", "0 visits". */
export function formatVisitsDelta(n: number, locale?: string): string {
  if (!Number.isFinite(n)) return NONE
  const abs = formatVisits(Math.abs(n), locale)
  return n > 0 ? `+${abs}` : n < 0 ? `−${abs}` : abs
}

/** A share 0..1 as a percentage: 0.2 → "20%", 0.125 → "12.5%". */
export function formatShare(share: number | null | undefined, locale?: string): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return NONE
  return nf(locale, { style: 'percent', maximumFractionDigits: 2 }).format(share)
}
