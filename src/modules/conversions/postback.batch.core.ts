/**
 * Pure part of postbacks by group commit (`postback.committer.ts`): the identity of the
 * conversion a postback addresses, and the plan of one batch — every key's postbacks
 * decided in arrival order against the key's stored state, each decision seeing the state
 * the previous one left (so a duplicate inside the batch, or a lead → sale inside the batch,
 * is decided exactly as if the postbacks had been applied one by one).
 *
 * Functions of (stored states, postbacks in arrival order) → plan; no I/O, no clock.
 */
import {
  type ConversionEvent,
  type ConversionState,
  type DecideDefaults,
  type Decision,
  decide,
  type NormalizedPostback,
} from './conversions.core.ts'

/**
 * The key of the conversion a postback addresses (see README "Identity and dedupe"):
 * `t|<network>|<transaction ID>` when it carries a transaction ID, else
 * `c|<network>|<click ID>`. Network IDs are lower-case UUIDs.
 */
export function conversionKeyOf(networkId: string, clickId: string, transactionId: string): string {
  return transactionId !== '' ? `t|${networkId}|${transactionId}` : `c|${networkId}|${clickId}`
}

/** One postback of a batch, as the plan needs it. */
export interface PlanItem {
  /** {@link conversionKeyOf} of the postback. */
  key: string
  postback: NormalizedPostback
  /** When it was received, ms since the epoch (UTC): the decision's `now`. */
  now: number
  defaults: DecideDefaults
}

/** The plan of one key: what to write and what each of its postbacks is answered. */
export interface KeyPlan {
  key: string
  /** The stored state the plan started from (undefined = no conversion yet). */
  stored: ConversionState | undefined
  /** The state after the batch (undefined = still none: nothing was accepted). */
  final: ConversionState | undefined
  /** Decisions, one per item of this key, with the item's index in the batch. */
  decisions: { index: number; decision: Decision }[]
  /** Accepted changes in order (seq increasing), with the index of the item that made each. */
  events: { index: number; event: ConversionEvent; after: ConversionState }[]
}

/**
 * Decides one key's postbacks in arrival order, starting from `stored`.
 * @param items the key's items with their batch indexes, in arrival order.
 */
export function planKey(
  key: string,
  stored: ConversionState | undefined,
  items: readonly { index: number; item: PlanItem }[],
): KeyPlan {
  let state = stored
  const decisions: KeyPlan['decisions'] = []
  const events: KeyPlan['events'] = []
  for (const { index, item } of items) {
    const d = decide(state, item.postback, item.now, item.defaults)
    decisions.push({ index, decision: d })
    if (d.outcome === 'accepted' && d.next && d.event) {
      state = d.next
      events.push({ index, event: d.event, after: d.next })
    }
  }
  return { key, stored, final: state, decisions, events }
}

/**
 * Groups a batch by key (first appearance order) and plans every key.
 * @param stored the stored state of each key that has a conversion (absent = none).
 * @returns one plan per distinct key; every item index appears in exactly one plan's decisions.
 */
export function planBatch(
  items: readonly PlanItem[],
  stored: ReadonlyMap<string, ConversionState>,
): KeyPlan[] {
  const byKey = new Map<string, { index: number; item: PlanItem }[]>()
  items.forEach((item, index) => {
    const list = byKey.get(item.key)
    if (list) list.push({ index, item })
    else byKey.set(item.key, [{ index, item }])
  })
  return [...byKey].map(([key, list]) => planKey(key, stored.get(key), list))
}
