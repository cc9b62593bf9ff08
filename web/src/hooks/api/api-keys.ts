/** API keys of the signed-in user in this workspace: list, create (key shown once), revoke. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api'
import { queryKeys } from '@/lib/query-keys'

/** A key as listed (`GET /api-keys`); the secret is never listed. */
export interface ApiKey {
  id: string
  name: string
  /** First 12 characters, e.g. `tfk_AbCdEfGh`. */
  prefix: string
  last_used_at: string | null
  revoked_at: string | null
  created_at: string
}

/** `POST /api-keys` answer: the key itself, returned this once. */
export interface CreatedApiKey extends ApiKey {
  key: string
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
    mutationFn: (body: { name: string }) => api.post<CreatedApiKey>('/api-keys', body),
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
