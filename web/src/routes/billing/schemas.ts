/**
 * Form schemas of the billing pages. They mirror the billing API's validation (contract:
 * `POST /billing/orders {amount}`, `POST /billing/affiliate/payouts {destination,
 * amount_minor?}`, `POST /billing/admin/adjustments {workspace_id, visits, reason (3..500)}`,
 * `POST /billing/admin/payments/:id/assign {order_id}`, payouts `paid {reference}` /
 * `reject {reason}`); the API validates again and its field errors are shown on the same
 * fields (`applyApiErrors`). Amounts are typed as text in major units and read by
 * `parseAmount` (≤ 2 decimals).
 */
import { z } from 'zod'
import { parseAmount } from './quote.lib'

/** An amount in major units typed as text; '' allowed when `optional`. */
const amountText = (optional: boolean) =>
  z
    .string()
    .trim()
    .superRefine((s, ctx) => {
      const r = parseAmount(s)
      if (r.ok) return
      if (r.error === null && optional) return
      ctx.addIssue({ code: 'custom', message: r.error ?? 'Enter an amount' })
    })

/** "Buy credits": the amount to pay (major units). */
export const buySchema = z.object({ amount: amountText(false) })
export type BuyValues = z.infer<typeof buySchema>

/** Affiliate payout request; an empty amount asks for everything available. */
export const payoutSchema = z.object({
  destination: z
    .string()
    .trim()
    .min(3, 'Say where to pay (IBAN, PayPal email, …)')
    .max(200, 'At most 200 characters'),
  amount: amountText(true),
})
export type PayoutValues = z.infer<typeof payoutSchema>

const uuid = (what: string) =>
  z
    .string()
    .trim()
    .pipe(z.uuid(`Enter the ${what} (a UUID)`))

/** Admin: assign an unmatched payment to an order. */
export const assignSchema = z.object({ order_id: uuid('order ID') })
export type AssignValues = z.infer<typeof assignSchema>

/** Admin: manual credit/debit of visits with a reason (audited). */
export const adjustmentSchema = z.object({
  workspace_id: uuid('workspace ID'),
  visits: z
    .string()
    .trim()
    .regex(/^[+-]?\d+$/, 'A whole number: positive adds visits, negative removes them')
    .refine((s) => Number(s) !== 0, 'Not 0')
    .refine((s) => Number.isSafeInteger(Number(s)), 'Too large'),
  reason: z.string().trim().min(3, 'Give a reason (3 characters or more)').max(500, 'At most 500 characters'),
})
export type AdjustmentValues = z.infer<typeof adjustmentSchema>

/** Admin: mark a payout paid with the bank/PayPal reference. */
export const payoutPaidSchema = z.object({
  reference: z.string().trim().min(1, 'Enter the payment reference').max(200, 'At most 200 characters'),
})
/** Admin: reject a payout with a reason (the money goes back to available). */
export const payoutRejectSchema = z.object({
  reason: z.string().trim().min(3, 'Give a reason (3 characters or more)').max(500, 'At most 500 characters'),
})
