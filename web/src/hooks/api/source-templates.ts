/**
 * Traffic source templates and campaign links: `GET /source-templates` (the catalogue and
 * the workspace's saved ones), `POST /sources/:id/save-as-template`, `DELETE
 * /source-templates/:id`, `GET /campaigns/:id/link`. Shapes: src/modules/routing/API.md.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api'
import { queryKeys } from '@/lib/query-keys'
import type { SourceParamTarget } from '../../../../src/modules/routing/source.templates.ts'
/** How a source charges (same as `CostModel` in ./sources). */
type CostModel = 'cpc' | 'cpm' | 'none'

export type { SourceParamTarget }

/** One token a source substitutes, and where it lands. */
export interface SourceParam {
  /** Short identifier (letters, digits, `_ . -`). */
  name: string
  /** The source's macro, verbatim (`{zone_id}`, `${SUBID}`, `{{ad.id}}`). */
  token: string
  target: SourceParamTarget
  label?: string
}

/** A template (catalogue or saved). */
export interface SourceTemplate {
  /** Catalogue key, or the saved template's id. */
  key: string
  kind: 'catalogue' | 'saved'
  id: string | null
  name: string
  cost_model: CostModel
  cost_param: string | null
  external_id_param: string
  params: SourceParam[]
  postback_url: string | null
  docs: string
  docs_url: string | null
  created_at: string | null
}

/** The campaign link with the source's tokens. */
export interface CampaignLink {
  url: string
  base_url: string
  params: (SourceParam & { query_param: string | null })[]
  source: {
    id: string
    name: string
    template: string
    external_id_param: string
    postback_url: string | null
  } | null
}

export const sourceTemplateKeys = queryKeys('source-templates')

/** The catalogue then the workspace's saved templates. */
export function useSourceTemplates() {
  return useQuery({
    queryKey: sourceTemplateKeys.lists(),
    queryFn: ({ signal }) => api.get<{ items: SourceTemplate[] }>('/source-templates', undefined, { signal }),
    staleTime: 60_000,
  })
}

/** Saves a source as a template of the workspace (409 naming `name` when taken). */
export function useSaveSourceAsTemplate() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ sourceId, name }: { sourceId: string; name: string }) =>
      api.post<SourceTemplate>(`/sources/${encodeURIComponent(sourceId)}/save-as-template`, { name }),
    onSuccess: () => qc.invalidateQueries({ queryKey: sourceTemplateKeys.all }),
  })
}

/** Deletes a saved template. */
export function useDeleteSourceTemplate() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api.delete(`/source-templates/${encodeURIComponent(id)}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: sourceTemplateKeys.all }),
  })
}

/** The campaign's link with its source's tokens (refetched when the campaign or its source changes). */
export function useCampaignLink(campaignId: string | undefined, version?: string) {
  return useQuery({
    queryKey: ['campaigns', 'link', campaignId ?? '', version ?? ''],
    queryFn: ({ signal }) =>
      api.get<CampaignLink>(`/campaigns/${encodeURIComponent(campaignId ?? '')}/link`, undefined, { signal }),
    enabled: Boolean(campaignId),
  })
}
