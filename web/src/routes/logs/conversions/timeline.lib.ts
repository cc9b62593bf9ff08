/**
 * The history of one conversion as a timeline (pure): the click, each accepted change (with
 * the postback that made it and the payout before and after), and the other postbacks of
 * the same conversion — duplicates and refusals — in time order.
 */
import type { ConversionDetail, ConversionEvent, PostbackLog } from '@/hooks/api/postbacks'

/** One entry of {@link conversionTimeline}; `at` is ISO 8601. */
export type TimelineEntry =
  | { kind: 'click'; at: string }
  | {
      kind: 'change'
      at: string
      event: ConversionEvent
      /** Payout on record before the change, micros; null for the creation. */
      previousPayoutMicros: number | null
      /** The accepted postback that made the change, when it is still in the log. */
      postback?: PostbackLog
    }
  | { kind: 'postback'; at: string; postback: PostbackLog }

/**
 * Does the log row concern this conversion? Rows that named it (accepted, duplicate), and
 * refused rows (no conversion) of its transaction — `logs` are already those of its click
 * and network.
 */
function concerns(c: ConversionDetail, log: PostbackLog): boolean {
  if (log.conversion_id !== null) return log.conversion_id === c.id
  return log.click_id === c.click_id && log.transaction_id === c.transaction_id
}

/**
 * Builds the timeline, oldest first. An accepted postback is shown inside the change it made
 * (same instant: the change's `ts` is the postback's `received_at`), not on its own.
 * @param logs postback log rows of the conversion's click (any order, any outcome).
 */
export function conversionTimeline(c: ConversionDetail, logs: readonly PostbackLog[]): TimelineEntry[] {
  const mine = logs.filter((l) => concerns(c, l))
  const used = new Set<string>()
  const entries: TimelineEntry[] = [{ kind: 'click', at: c.click_ts }]
  const events = [...c.events].sort((a, b) => a.seq - b.seq)
  events.forEach((event, i) => {
    const at = Date.parse(event.ts)
    const postback = mine.find(
      (l) => l.outcome === 'accepted' && !used.has(l.id) && Date.parse(l.received_at) === at,
    )
    if (postback) used.add(postback.id)
    entries.push({
      kind: 'change',
      at: event.ts,
      event,
      previousPayoutMicros: i === 0 ? null : events[i - 1]!.payout_micros,
      ...(postback ? { postback } : {}),
    })
  })
  for (const l of mine)
    if (!used.has(l.id)) entries.push({ kind: 'postback', at: l.received_at, postback: l })
  // Stable: at equal times the click comes first, then changes before loose postbacks.
  return entries
    .map((e, i) => ({ e, i, t: Date.parse(e.at) }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map(({ e }) => e)
}

/** Headline of a change: "Created as lead", "lead → sale". */
export function changeTitle(e: ConversionEvent): string {
  return e.previous_status ? `${e.previous_status} → ${e.status}` : `Created as ${e.status}`
}
