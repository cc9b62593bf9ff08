/**
 * Report column presets of the signed-in user in the current workspace
 * (`/api/v1/report-presets`, see src/modules/analytics/presets.routes.ts).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api'
import type { MetricKey, ReportDimension } from '@/lib/report-meta'

/** What a preset restores. */
export interface PresetDefinition {
  /** Metric columns shown, in order. */
  columns: MetricKey[]
  dimensions?: ReportDimension[]
  /** Filter parameter → values. */
  filters?: Record<string, string[]>
}

export interface ReportPreset {
  id: string
  name: string
  definition: PresetDefinition
  created_at: string
  updated_at: string
}

const KEY = ['report-presets'] as const

export function useReportPresets() {
  return useQuery({
    queryKey: KEY,
    queryFn: ({ signal }) => api.get<{ items: ReportPreset[] }>('/report-presets', undefined, { signal }),
  })
}

export function useSaveReportPreset() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (b: { id?: string; name: string; definition: PresetDefinition }) =>
      b.id
        ? api.put<ReportPreset>(`/report-presets/${encodeURIComponent(b.id)}`, {
            name: b.name,
            definition: b.definition,
          })
        : api.post<ReportPreset>('/report-presets', { name: b.name, definition: b.definition }),
    onSuccess: () => qc.invalidateQueries({ queryKey: KEY }),
  })
}

export function useDeleteReportPreset() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api.delete(`/report-presets/${encodeURIComponent(id)}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: KEY }),
  })
}
