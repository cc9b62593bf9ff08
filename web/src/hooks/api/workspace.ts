/**
 * The current workspace and its members (`/api/v1/workspace`): read, change a member's role,
 * remove a member (or leave). Invitations: the workspace's (invite an email address, list,
 * revoke) and the signed-in user's own (`/invitations`: accept or decline). And the workspace switcher:
 * the workspaces the user can act in (`GET /auth/workspaces`; for a platform admin every
 * workspace, those they are not a member of in "admin view") and switching the session
 * (`POST /auth/workspace`), which drops every cached query so each page reloads its data.
 */
import { type Query, useMutation, useMutationState, useQuery, useQueryClient } from '@tanstack/react-query'
import { useNavigate } from 'react-router'
import { api } from '@/lib/api'
import { queryKeys } from '@/lib/query-keys'
import { authKeys } from './auth'

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
  workspace: {
    id: string
    name: string
    created_at: string
    /** Members must use two-factor authentication (owners change it). */
    require_2fa?: boolean
  }
  /** The caller's role; `owner` in admin view. */
  role: WorkspaceRole
  /** False in admin view (a platform admin who is not a member). */
  member?: boolean
  members: WorkspaceMember[]
}

export const workspaceKeys = queryKeys('workspace')

export function useWorkspace() {
  return useQuery({
    queryKey: workspaceKeys.details(),
    queryFn: ({ signal }) => api.get<WorkspaceDetail>('/workspace', undefined, { signal }),
  })
}

/** An invitation (`/workspace/invitations` and `/invitations`). */
export interface Invitation {
  id: string
  email: string
  role: 'admin' | 'member'
  workspace: { id: string; name: string }
  invited_by: { email: string; name: string | null } | null
  created_at: string
  expires_at: string
  expired: boolean
}

export const invitationKeys = queryKeys('workspace-invitations')
export const myInvitationsKey = ['auth', 'invitations'] as const

/** The workspace's invitations (owners and admins; `enabled` false for the others). */
export function useWorkspaceInvitations(enabled: boolean) {
  return useQuery({
    queryKey: invitationKeys.lists(),
    queryFn: ({ signal }) =>
      api.get<{ items: Invitation[] }>('/workspace/invitations', undefined, { signal }),
    select: (d) => d.items,
    enabled,
  })
}

/** `POST /workspace/invitations`: emails the address a link; re-inviting replaces the pending one. */
export function useInvite() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: { email: string; role: 'admin' | 'member' }) =>
      api.post<Invitation>('/workspace/invitations', body),
    onSuccess: () => qc.invalidateQueries({ queryKey: invitationKeys.all }),
  })
}

export function useRevokeInvitation() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api.delete(`/workspace/invitations/${encodeURIComponent(id)}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: invitationKeys.all }),
  })
}

/** The invitations addressed to the signed-in user's email (`GET /invitations`). */
export function useMyInvitations() {
  return useQuery({
    queryKey: myInvitationsKey,
    queryFn: ({ signal }) => api.get<{ items: Invitation[] }>('/invitations', undefined, { signal }),
    select: (d) => d.items,
  })
}

/** What accepting answers: the workspace joined and your role there. */
export interface JoinedWorkspace {
  workspace: { id: string; name: string }
  role: WorkspaceRole
}

/**
 * Accepts or declines an invitation, by its id (from {@link useMyInvitations}) or by the
 * token of the emailed link; then refreshes your invitations and workspaces.
 */
export function useAnswerInvitation() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({
      answer,
      ...by
    }: { answer: 'accept' | 'decline' } & ({ id: string } | { token: string })) =>
      'id' in by
        ? api.post<JoinedWorkspace | undefined>(`/invitations/${encodeURIComponent(by.id)}/${answer}`)
        : api.post<JoinedWorkspace | undefined>(`/invitations/${answer}`, { token: by.token }),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: myInvitationsKey })
      await qc.invalidateQueries({ queryKey: myWorkspacesKey })
    },
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

/** One entry of `GET /auth/workspaces`. */
export interface SwitchableWorkspace {
  id: string
  name: string
  /** The role you act with there (`owner` in admin view). */
  role: WorkspaceRole
  /** False for a workspace a platform admin can enter without being a member (admin view). */
  member: boolean
  /** The workspace this session acts in now. */
  current: boolean
}

export const myWorkspacesKey = ['auth', 'workspaces'] as const
/** Key of the switch mutation: the app shell hides the page while one is in flight. */
export const switchWorkspaceKey = ['auth', 'switch-workspace'] as const

/**
 * The workspaces the user can switch to: memberships first, then (admins only) the others.
 * @param enabled false until the switcher is opened, so the shell costs no extra request.
 */
export function useMyWorkspaces(enabled: boolean) {
  return useQuery({
    queryKey: myWorkspacesKey,
    queryFn: ({ signal }) =>
      api.get<{ items: SwitchableWorkspace[] }>('/auth/workspaces', undefined, { signal }),
    select: (d) => d.items,
    enabled,
  })
}

const isMeQuery = (q: Query) => q.queryKey[0] === authKeys.me[0] && q.queryKey[1] === authKeys.me[1]

/**
 * `POST /auth/workspace`, then: go to the dashboard, drop every cached query but `me` (all
 * of them hold the old workspace's data) and refetch `me`. All of it happens before the
 * mutation settles, so the shell, which hides the page while {@link switchWorkspaceKey} is
 * pending, shows the dashboard only once it can load fresh data. A failed switch changes
 * nothing on the server; the list is refetched (the workspace may be gone).
 */
export function useSwitchWorkspace() {
  const qc = useQueryClient()
  const navigate = useNavigate()
  return useMutation({
    mutationKey: switchWorkspaceKey,
    mutationFn: (to: { id: string; name: string }) =>
      api.post<{ workspace: { id: string; name: string; role: WorkspaceRole } }>('/auth/workspace', {
        workspace_id: to.id,
      }),
    onSuccess: async () => {
      await navigate('/')
      qc.removeQueries({ predicate: (q) => !isMeQuery(q) })
      await qc.refetchQueries({ queryKey: authKeys.me })
    },
    onError: () => qc.invalidateQueries({ queryKey: myWorkspacesKey }),
  })
}

/** The name of the workspace a switch is in flight to, or undefined when none is. */
export function usePendingWorkspaceSwitch(): string | undefined {
  const names = useMutationState({
    filters: { mutationKey: switchWorkspaceKey, status: 'pending' },
    select: (m) => (m.state.variables as { name: string } | undefined)?.name ?? '',
  })
  return names.at(-1)
}
