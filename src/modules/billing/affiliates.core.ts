/**
 * Affiliate money rules (pure). The payments side books commissions with these; the
 * affiliates side (codes, payouts, releases) adds its own rules here.
 */

/**
 * The commission on a payment: `floor(amountMinor × rate)` in minor units (cents; rounding
 * down, so the platform never pays a fraction of a cent more than the rate).
 * @param amountMinor the paid amount in minor units, an integer ≥ 0.
 * @param rate the commission rate in 0..1 (e.g. 0.2 = 20%).
 * @throws RangeError for a negative or fractional amount or a rate outside 0..1.
 */
export function commissionMinor(amountMinor: number, rate: number): number {
  if (!Number.isSafeInteger(amountMinor) || amountMinor < 0)
    throw new RangeError('amount must be an integer ≥ 0')
  if (!(rate >= 0 && rate <= 1)) throw new RangeError('rate must be within 0..1')
  // The rate in millionths as an integer, so 0.2 × 1005 is 201 and not 200.99999999999997.
  const ppm = BigInt(Math.round(rate * 1_000_000))
  return Number((BigInt(amountMinor) * ppm) / 1_000_000n)
}
