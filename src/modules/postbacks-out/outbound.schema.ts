/**
 * zod schemas of the outbound postbacks API: list query, path parameters and response
 * shapes. Timestamps are ISO 8601 (UTC); latencies in milliseconds.
 */
import { z } from 'zod'

/** Delivery states (see README). */
export const OUTBOUND_STATES = ['pending', 'delivered', 'failed', 'dead'] as const

const limit = z.coerce.number().int().min(1).max(500).default(50).describe('page size, 1–500')
const offset = z.coerce.number().int().min(0).max(1_000_000).default(0).describe('rows to skip')

/** `state=failed,dead`: one state or a comma-separated list. */
const STATE_LIST = new RegExp(`^(${OUTBOUND_STATES.join('|')})(,(${OUTBOUND_STATES.join('|')}))*$`)
const stateList = z
  .string()
  .regex(STATE_LIST, `one of ${OUTBOUND_STATES.join(', ')}, or a comma-separated list of them`)
  .transform((s) => s.split(',') as (typeof OUTBOUND_STATES)[number][])
  .describe(
    'one of pending, delivered, failed, dead, or a comma-separated list (failed,dead = the dead-letter list)',
  )

/** Query of `GET /outbound-postbacks`. */
export const outboundListQuery = z.object({
  state: stateList.optional(),
  source_id: z.uuid().optional(),
  conversion_id: z.uuid().optional(),
  limit,
  offset,
})
/** Parsed {@link outboundListQuery}. */
export type OutboundListQuery = z.infer<typeof outboundListQuery>

/** `:id` path parameter. */
export const outboundIdParams = z.object({ id: z.uuid() })

const ts = z.string().describe('ISO 8601 timestamp')

/** One outbound postback. */
export const outboundOut = z.object({
  id: z.uuid(),
  conversion_id: z.uuid(),
  conversion_event_id: z.number(),
  source_id: z.uuid().nullable(),
  status: z.string().describe('conversion status this postback reports'),
  url: z.string().describe('the URL sent, secret-looking query values shown as ***'),
  state: z.enum(OUTBOUND_STATES),
  attempts: z.number().describe('attempts in the current round'),
  manual_retries: z.number().describe('rounds started by POST …/retry'),
  next_attempt_at: ts.nullable(),
  last_error: z.string(),
  last_status_code: z.number().nullable(),
  delivered_at: ts.nullable(),
  created_at: ts,
  updated_at: ts,
})

/** One delivery attempt. */
export const attemptOut = z.object({
  round: z.number().describe('0 for the automatic round, n for the n-th manual retry'),
  attempt: z.number().describe('1-based within its round'),
  url: z.string(),
  status_code: z.number().nullable(),
  outcome: z.enum(['delivered', 'retry', 'failed', 'dead']),
  error: z.string(),
  latency_ms: z.number(),
  created_at: ts,
})
