/**
 * The two interfaces of the event log (README "Event log"), implemented for NATS JetStream
 * (`eventlog.nats.ts`) and Kafka (`eventlog.kafka.ts`): the publishing {@link EventLogSink}
 * a traffic node's pipeline commits into, and the {@link EventLogConsumer} a worker runs to
 * insert the log into ClickHouse.
 */
import type { EventSink, EventTable, PipelineLogger } from '../pipeline.types.ts'

/** A failure as reported by the stats. */
export interface EventLogError {
  /** ISO time. */
  at: string
  message: string
}

/** Counters of an {@link EventLogSink}. */
export interface EventLogSinkStats {
  kind: 'nats' | 'kafka'
  /** Ranges committed (every message acknowledged). */
  commits: number
  /** Messages acknowledged by the log (duplicates included). */
  published: number
  /** Messages the log acknowledged as duplicates of an earlier one (NATS only; 0 for Kafka). */
  duplicates: number
  /** Failed commits (each retried by the pipeline). */
  errors: number
  lastError: EventLogError | null
}

/** A pipeline sink that publishes into the event log. */
export interface EventLogSink extends EventSink {
  readonly kind: 'nats' | 'kafka'
  stats(): EventLogSinkStats
}

/** Counters of an {@link EventLogConsumer}. */
export interface EventLogConsumerStats {
  kind: 'nats' | 'kafka'
  /** True between `start` and `stop` while the loop runs. */
  running: boolean
  /** Messages taken from the log (redeliveries included). */
  consumed: number
  /** Batches inserted (and then acknowledged). */
  insertedBatches: number
  /** Rows handed to ClickHouse per table (in replayed batches: only the unstored ones are inserted). */
  rows: Record<EventTable, number>
  /** Batches that had to look stored rows up (a redelivery, a republish, a fresh partition). */
  replayedBatches: number
  /** Messages that were not storable events (acknowledged, never inserted). */
  corrupt: number
  /** Messages dropped as a repeat of a key earlier in the same batch. */
  duplicates: number
  /** Failed attempts (fetch, insert, ack); each is retried. */
  errors: number
  lastError: EventLogError | null
  /** Messages in the log not yet delivered to this consumer group (NATS `num_pending`); null until known. */
  lag: number | null
  /** Delivered but not yet acknowledged (NATS `num_ack_pending`); null until known. */
  ackPending: number | null
  /** ISO time of the last inserted batch. */
  lastBatchAt: string | null
}

/** A worker's loop from the event log into ClickHouse. */
export interface EventLogConsumer {
  readonly kind: 'nats' | 'kafka'
  /**
   * Connects, ensures the stream/topic and the durable consumer/group, and starts the loop
   * in the background. Resolves once consuming has started.
   * @throws (rejects with) a connection or setup failure (nothing is started then).
   */
  start(): Promise<void>
  /**
   * Stops the loop: the batch in hand is finished (inserted and acknowledged) or left
   * unacknowledged for redelivery, then the connection is drained. Idempotent.
   */
  stop(): Promise<void>
  stats(): EventLogConsumerStats
}

/** Test-only seams of the consumers. */
export interface EventLogConsumerTestHooks {
  /**
   * Runs after a batch's inserts and before its acknowledgement. A throw makes the consumer
   * behave as if its process was killed right there: the connection is closed at once with
   * nothing acknowledged (no drain, no nak), the loop ends and `stats().lastError` says so.
   */
  afterInsert?(info: { first: string; last: string; messages: number }): void | Promise<void>
}

/** Logger of the event-log shells (a pino logger fits). */
export type EventLogLogger = PipelineLogger
