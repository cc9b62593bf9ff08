/**
 * Cost-update hooks (`/api/v1/cost-updates`, see src/modules/routing/API.md "Cost updates"):
 * preview, apply, history, revert, CSV import preview and import. Money in currency units of
 * the campaign; ROI in percent (null when the cost is 0).
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api'
import { reportKeys } from './reports'

/** Body of a preview or an update. `from`/`to`: `YYYY-MM-DD` (whole days, `to` included) in `timezone`. */
export interface CostUpdateBody {
  campaign_id: string
  from: string
  to: string
  timezone?: string
  sub_key?: string
  sub_value?: string
  /** Total real cost of the range, decimal text in the campaign currency. */
  cost: string
}

/** What an update would do. */
export interface CostPreview {
  campaign_id: string
  from: string
  to: string
  timezone: string
  sub_key: string | null
  sub_value: string | null
  currency: string
  clicks: number
  current_cost: number
  new_cost: number
  delta: number
  revenue: number
  roi_before: number | null
  roi_after: number | null
}

/** A recorded update. */
export interface CostUpdate {
  id: string
  campaign_id: string
  from: string
  to: string
  timezone: string
  sub_key: string | null
  sub_value: string | null
  cost: number
  currency: string
  clicks: number
  previous_cost: number
  status: 'applied' | 'reverted'
  origin: string
  created_at: string
  reverted_at: string | null
}

/** Answer of the CSV import preview. */
export interface CostImportPreview {
  rows: (CostPreview & { line: number; campaign_name: string })[]
  errors: { line: number; issues: { path: string; message: string }[] }[]
  valid: number
  invalid: number
}

export const costKeys = {
  all: ['cost-updates'] as const,
  list: (campaignId: string) => ['cost-updates', 'list', campaignId] as const,
  preview: (body: CostUpdateBody) => ['cost-updates', 'preview', body] as const,
}

/** Live preview of `body` (disabled while `body` is null). */
export function useCostPreview(body: CostUpdateBody | null) {
  return useQuery({
    queryKey: costKeys.preview(body ?? ({} as CostUpdateBody)),
    queryFn: ({ signal }) => api.post<CostPreview>('/cost-updates/preview', body, { signal }),
    enabled: body !== null,
    placeholderData: keepPreviousData,
    retry: false,
  })
}

/** Updates of one campaign, newest first. */
export function useCostUpdates(campaignId: string) {
  return useQuery({
    queryKey: costKeys.list(campaignId),
    queryFn: ({ signal }) =>
      api.get<{ items: CostUpdate[] }>('/cost-updates', { campaign_id: campaignId, limit: 100 }, { signal }),
  })
}

function useInvalidate() {
  const qc = useQueryClient()
  return () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: costKeys.all }),
      qc.invalidateQueries({ queryKey: reportKeys.all }),
    ])
}

/** Applies an update (`id` makes a retried submit safe). */
export function useApplyCostUpdate() {
  const invalidate = useInvalidate()
  return useMutation({
    mutationFn: (body: CostUpdateBody & { id: string }) => api.post<CostUpdate>('/cost-updates', body),
    onSuccess: invalidate,
  })
}

/** Reverts an update. */
export function useRevertCostUpdate() {
  const invalidate = useInvalidate()
  return useMutation({
    mutationFn: (id: string) => api.post<CostUpdate>(`/cost-updates/${encodeURIComponent(id)}/revert`),
    onSuccess: invalidate,
  })
}

/** Checks a cost CSV (per-line errors, preview figures). */
export function useCostImportPreview() {
  return useMutation({
    mutationFn: (csv: string) => api.post<CostImportPreview>('/cost-updates/import/preview', { csv }),
  })
}

/** Applies a cost CSV (all rows or none). */
export function useCostImport() {
  const invalidate = useInvalidate()
  return useMutation({
    mutationFn: (b: { csv: string; batch_id: string }) =>
      api.post<{ batch_id: string; items: CostUpdate[] }>('/cost-updates/import', b),
    onSuccess: invalidate,
  })
}
