/**
 * Autopilot hooks (`/api/v1/autopilot`, see src/modules/autopilot/README.md): TrafficStars
 * accounts, autopilot campaigns with their panel state, the toggle, the dry run and the
 * audit log. Money is integer **micros of USD** as the API sends it; the page converts.
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api'
import { queryKeys } from '@/lib/query-keys'

/** A TrafficStars account; the API key is write-only (`api_key_hint` is "…" + last 4). */
export interface TsAccount {
  id: string
  name: string
  base_url: string
  api_key_hint: string
  created_at: string
}

/** Per-campaign settings (API names; money in micros of USD). */
export interface AutopilotSettings {
  price_per_1000_micros: number
  wait_minutes: number
  spent_threshold_micros: number
  start_above_clicks: number
  pause_at_clicks: number
  high_budget_micros: number
  budget_interval_minutes: number
  threshold_margin_micros: number
  daily_budget_cap_micros: number
  max_cycles_per_day: number
}

export type AutopilotPhase = 'IDLE' | 'WAITING' | 'CONDITION_ONE' | 'CONDITION_TWO'

/** The state machine as the panel shows it. */
export interface AutopilotState {
  phase: AutopilotPhase
  /** 1 = spent below the threshold, 2 = at or above; null outside the conditions. */
  condition: 1 | 2 | null
  day: string
  wait_until: string | null
  expected_status: 'running' | 'paused' | null
  expected_end_time: string | null
  unconfirmed_daily_budget_micros: number | null
  /** destination id → micros added today. */
  budgeted: Record<string, number>
  /** destination id → micros waiting (high-budget mode). */
  pending: Record<string, number>
  pending_total_micros: number
  cycles_today: number
  problem: string | null
}

/** What the last tick saw at TrafficStars and in the router. */
export interface AutopilotObservation {
  status?: 'running' | 'paused' | null
  daily_budget_micros?: number | null
  end_time?: string | null
  spent_micros?: number | null
  spent_source?: string | null
  remaining?: number
  destinations?: number
}

export interface AutopilotCampaign {
  id: string
  campaign_id: string
  campaign_name: string | null
  account_id: string
  ts_campaign_id: number
  enabled: boolean
  settings: AutopilotSettings
  state: AutopilotState
  last_observation: AutopilotObservation | null
  last_tick_at: string | null
  next_check_at: string | null
  remaining_clicks: number | null
}

/** One audit-log row (`GET /campaigns/:id/actions`), newest first. */
export interface AutopilotAction {
  id: number
  at: string
  kind: string
  rule: string
  text: string
  inputs: Record<string, unknown>
  /** `ok`, `failed`, `deferred` for calls; `noted` for events. */
  outcome: string
  error: string | null
}

interface Reason {
  rule: string
  text: string
  inputs: Record<string, unknown>
}

/** The dry run (`GET /campaigns/:id/plan`): nothing is sent or saved. */
export interface AutopilotPlan {
  observation: Record<string, unknown>
  before: AutopilotState
  after: AutopilotState
  actions: Array<{
    kind: 'run' | 'pause' | 'patch'
    max_daily_micros?: number
    end_time?: string
    correction: boolean
    reason: Reason
  }>
  events: Array<{ kind: string; reason: Reason }>
}

export const tsAccountKeys = queryKeys('autopilot-accounts')
export const autopilotKeys = queryKeys('autopilot-campaigns')

/** How often the panel refreshes while open (ms). */
export const AUTOPILOT_POLL_MS = 2_000

export function useTsAccounts() {
  return useQuery({
    queryKey: tsAccountKeys.list(),
    queryFn: ({ signal }) => api.get<{ items: TsAccount[] }>('/autopilot/accounts', undefined, { signal }),
  })
}

export function useCreateTsAccount() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: { name: string; base_url: string; api_key: string }) =>
      api.post<TsAccount>('/autopilot/accounts', body),
    onSuccess: () => qc.invalidateQueries({ queryKey: tsAccountKeys.all }),
  })
}

export function useUpdateTsAccount() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, ...body }: { id: string; name?: string; base_url?: string; api_key?: string }) =>
      api.patch<TsAccount>(`/autopilot/accounts/${encodeURIComponent(id)}`, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: tsAccountKeys.all }),
  })
}

export function useDeleteTsAccount() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api.delete(`/autopilot/accounts/${encodeURIComponent(id)}`),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: tsAccountKeys.all })
      await qc.invalidateQueries({ queryKey: autopilotKeys.all })
    },
  })
}

/** Every autopilot campaign with its panel data, refreshed every 2 s while mounted. */
export function useAutopilotCampaigns() {
  return useQuery({
    queryKey: autopilotKeys.list(),
    queryFn: ({ signal }) =>
      api.get<{ items: AutopilotCampaign[] }>('/autopilot/campaigns', undefined, { signal }),
    refetchInterval: AUTOPILOT_POLL_MS,
  })
}

/** The recent actions of one campaign (newest first), refreshed every 2 s. */
export function useAutopilotActions(id: string, limit = 25) {
  return useQuery({
    queryKey: [...autopilotKeys.detail(id), 'actions', limit],
    queryFn: ({ signal }) =>
      api.get<{ items: AutopilotAction[] }>(
        `/autopilot/campaigns/${encodeURIComponent(id)}/actions`,
        { limit },
        { signal },
      ),
    refetchInterval: AUTOPILOT_POLL_MS,
    placeholderData: keepPreviousData,
  })
}

/** The dry run; fetched only when asked (`enabled`), never cached as fresh. */
export function useAutopilotPlan(id: string, enabled: boolean) {
  return useQuery({
    queryKey: [...autopilotKeys.detail(id), 'plan'],
    queryFn: ({ signal }) =>
      api.get<AutopilotPlan>(`/autopilot/campaigns/${encodeURIComponent(id)}/plan`, undefined, { signal }),
    enabled,
    staleTime: 0,
    gcTime: 0,
    retry: false,
  })
}

export function useCreateAutopilotCampaign() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: {
      campaign_id: string
      account_id: string
      ts_campaign_id: number
      enabled: boolean
      settings: Partial<AutopilotSettings> & { price_per_1000_micros: number }
    }) => api.post<AutopilotCampaign>('/autopilot/campaigns', body),
    onSuccess: () => qc.invalidateQueries({ queryKey: autopilotKeys.all }),
  })
}

export function useUpdateAutopilotCampaign() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({
      id,
      ...body
    }: {
      id: string
      account_id?: string
      ts_campaign_id?: number
      settings?: Partial<AutopilotSettings>
    }) => api.patch<AutopilotCampaign>(`/autopilot/campaigns/${encodeURIComponent(id)}`, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: autopilotKeys.all }),
  })
}

export function useDeleteAutopilotCampaign() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api.delete(`/autopilot/campaigns/${encodeURIComponent(id)}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: autopilotKeys.all }),
  })
}

/** The toggle: `POST /campaigns/:id/enable` or `/disable`. */
export function useToggleAutopilot() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, enabled }: { id: string; enabled: boolean }) =>
      api.post<AutopilotCampaign>(
        `/autopilot/campaigns/${encodeURIComponent(id)}/${enabled ? 'enable' : 'disable'}`,
      ),
    onSuccess: () => qc.invalidateQueries({ queryKey: autopilotKeys.all }),
  })
}
