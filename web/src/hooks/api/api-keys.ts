/** API keys of the signed-in user in this workspace: list, create (key shown once), edit, revoke. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api'
import { queryKeys } from '@/lib/query-keys'

/** What a key may do: `read` < `write` < `admin` (a higher scope includes the lower). */
export type ApiKeyScope = 'read' | 'write' | 'admin'

/** A key as listed (`GET /api-keys`); the secret is never listed. */
export interface ApiKey {
  id: string
  name: string
  /** First 12 characters, e.g. `tfk_AbCdEfGh`. */
  prefix: string
  /** Lowest first; keys made before scopes existed are `['admin']`. */
  scopes: ApiKeyScope[]
  /** ISO; null = never expires. */
  expires_at: string | null
  /** `expires_at` has passed (the key is refused). */
  expired: boolean
  last_used_at: string | null
  /** Client IP of the last use. */
  last_used_ip: string | null
  revoked_at: string | null
  created_at: string
}

/** `POST /api-keys` answer: the key itself, returned this once. */
export interface CreatedApiKey extends ApiKey {
  key: string
}

/** Body of `POST /api-keys` and `PATCH /api-keys/:id` (absent = default / unchanged). */
export interface ApiKeyBody {
  name?: string
  scopes?: ApiKeyScope[]
  /** ISO, in the future, at most a year away; null = never expires. */
  expires_at?: string | null
}

export const apiKeyKeys = queryKeys('api-keys')

export function useApiKeys() {
  return useQuery({
    queryKey: apiKeyKeys.list(),
    queryFn: ({ signal }) => api.get<{ items: ApiKey[] }>('/api-keys', undefined, { signal }),
  })
}

export function useCreateApiKey() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: ApiKeyBody & { name: string }) => api.post<CreatedApiKey>('/api-keys', body),
    onSuccess: () => qc.invalidateQueries({ queryKey: apiKeyKeys.all }),
  })
}

export function useUpdateApiKey() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: ApiKeyBody }) =>
      api.patch<ApiKey>(`/api-keys/${encodeURIComponent(id)}`, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: apiKeyKeys.all }),
  })
}

export function useRevokeApiKey() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api.delete(`/api-keys/${encodeURIComponent(id)}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: apiKeyKeys.all }),
  })
}
