/** Click-ingestion status (`GET /api/v1/ingestion/status`): this process's pipeline counters and recent errors. */
import { useQuery } from '@tanstack/react-query'
import { api } from '@/lib/api'

/** Counters of the click pipeline of the process that answered (since its start). */
export interface PipelineStats {
  queued: number
  queueMax: number
  /** New events go to disk only (queue full, or a backlog replays). */
  spilling: boolean
  recovering: boolean
  /** Spool lines not yet committed to ClickHouse. */
  pending: number
  pendingBytes: number
  pushed: number
  inserted: { clicks: number; trafficback: number }
  batches: number
  /** Events not kept in memory because the queue was full. */
  backpressure: number
  insertErrors: number
  spoolWriteErrors: number
  errors: number
  lastError: { at: string; stage: string; message: string } | null
  lastCommitAt: string | null
}

/** One failed batch recorded by any node. */
export interface IngestionError {
  ts: string
  node: string
  stage: string
  error: string
  events: number
  attempts: number
  /** First event of the batch; admins only. */
  sample: string | null
}

export interface IngestionStatus {
  pipeline: PipelineStats
  recent_errors: IngestionError[]
  /** Set when ClickHouse could not be read. */
  recent_errors_unavailable?: string
}

/** Ingestion status, polled every 15 s. */
export function useIngestionStatus(limit = 50) {
  return useQuery({
    queryKey: ['ingestion-status', { limit }],
    queryFn: ({ signal }) => api.get<IngestionStatus>('/ingestion/status', { limit }, { signal }),
    refetchInterval: 15_000,
  })
}
