/**
 * The current workspace and its members (`/api/v1/workspace`): read, add an active user by
 * email, change a member's role, remove a member (or leave).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api'
import { queryKeys } from '@/lib/query-keys'

export type WorkspaceRole = 'owner' | 'admin' | 'member'

export interface WorkspaceMember {
  user_id: string
  email: string
  name: string | null
  status: 'pending' | 'active' | 'suspended'
  role: WorkspaceRole
  joined_at: string
}

/** `GET /workspace`: the workspace, the caller's role, members (owners first). */
export interface WorkspaceDetail {
  workspace: { id: string; name: string; created_at: string }
  role: WorkspaceRole
  members: WorkspaceMember[]
}

export const workspaceKeys = queryKeys('workspace')

export function useWorkspace() {
  return useQuery({
    queryKey: workspaceKeys.details(),
    queryFn: ({ signal }) => api.get<WorkspaceDetail>('/workspace', undefined, { signal }),
  })
}

export function useAddMember() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: { email: string; role: 'admin' | 'member' }) =>
      api.post<WorkspaceMember>('/workspace/members', body),
    onSuccess: () => qc.invalidateQueries({ queryKey: workspaceKeys.all }),
  })
}

export function useChangeMemberRole() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: WorkspaceRole }) =>
      api.patch<WorkspaceMember>(`/workspace/members/${encodeURIComponent(userId)}`, { role }),
    onSuccess: () => qc.invalidateQueries({ queryKey: workspaceKeys.all }),
  })
}

export function useRemoveMember() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (userId: string) => api.delete(`/workspace/members/${encodeURIComponent(userId)}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: workspaceKeys.all }),
  })
}
