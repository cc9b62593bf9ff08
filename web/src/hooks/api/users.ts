/**
 * Platform users for admins (`/api/v1/admin/users`): list with status filter and search,
 * approve (pending → active), suspend, reactivate.
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api'
import type { Paged } from '@/lib/api-types'
import { queryKeys } from '@/lib/query-keys'

export type UserStatus = 'pending' | 'active' | 'suspended'

/** A user as the admin list shows it. */
export interface AdminUser {
  id: string
  email: string
  role: 'user' | 'admin'
  status: UserStatus
  name: string | null
  phone?: string | null
  company?: string | null
  vat_id?: string | null
  address?: string | null
  city?: string | null
  country?: string | null
  created_at: string
  approved_at: string | null
  approved_by?: string | null
}

export interface UserListParams {
  status?: UserStatus
  /** Substring of email, name or company. */
  q?: string
  limit?: number
  offset?: number
}

export type UserAction = 'approve' | 'suspend' | 'reactivate'

export const userKeys = queryKeys('admin-users')

export function useUsers(params: UserListParams = {}) {
  return useQuery({
    queryKey: userKeys.list(params),
    queryFn: ({ signal }) => api.get<Paged<AdminUser>>('/admin/users', { ...params }, { signal }),
    placeholderData: keepPreviousData,
  })
}

/** `POST /admin/users/:id/{approve|suspend|reactivate}`. */
export function useUserAction() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, action }: { id: string; action: UserAction }) =>
      api.post<AdminUser>(`/admin/users/${encodeURIComponent(id)}/${action}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: userKeys.all }),
  })
}
