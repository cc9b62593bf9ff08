/**
 * Session and account hooks: who is signed in (`useMe`), sign in/out, sign up and the
 * password-reset pair. Public-page calls pass `skipAuthRedirect` so a 401/403 is shown on
 * the page instead of redirecting.
 */
import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api'

/** `GET /auth/me`. */
export interface Me {
  user: {
    id: string
    email: string
    role: 'user' | 'admin'
    status: 'pending' | 'active' | 'suspended'
    name?: string | null
  }
  workspace: {
    id: string
    name: string
    /** Your role here; `owner` in admin view. */
    role?: 'owner' | 'admin' | 'member'
    /** False in admin view: a platform admin acting in a workspace they are not a member of. */
    member?: boolean
  }
  via: 'session' | 'api_key'
}

export const authKeys = { me: ['auth', 'me'] as const }

/**
 * `GET /auth/me` as query options: `main.tsx` prefetches it at boot so the sign-in check
 * runs while the page's code chunks download, instead of after them.
 */
export const meQuery = queryOptions({
  queryKey: authKeys.me,
  queryFn: ({ signal }) => api.get<Me>('/auth/me', undefined, { signal, skipAuthRedirect: true }),
  staleTime: 5 * 60_000,
  retry: false,
})

/** The signed-in user and workspace; errors with 401 when there is no session. */
export function useMe() {
  return useQuery(meQuery)
}

/**
 * `POST /auth/login`; on success the `me` query is refetched. With two-factor
 * authentication the answer is `{two_factor_required: true}` and no session yet: the login
 * page then asks for the code (`useLoginSecondFactor`).
 */
export function useLogin() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: { email: string; password: string }) =>
      api.post<
        | { user: { id: string; email: string }; expires_at: string }
        | { two_factor_required: true; trusted_device_days: number }
      >('/auth/login', body, { skipAuthRedirect: true }),
    onSuccess: async (res) => {
      if ('two_factor_required' in res) return
      qc.removeQueries({ queryKey: authKeys.me })
      await qc.prefetchQuery({
        queryKey: authKeys.me,
        queryFn: () => api.get<Me>('/auth/me', undefined, { skipAuthRedirect: true }),
      })
    },
  })
}

/** `POST /auth/logout`; clears every cached query whatever the answer. */
export function useLogout() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: () => api.post<void>('/auth/logout', undefined, { skipAuthRedirect: true }),
    onSettled: () => qc.clear(),
  })
}

/** `POST /auth/signup` (201: the account waits for approval). */
export function useSignup() {
  return useMutation({
    mutationFn: (body: Record<string, string>) =>
      api.post<{ user: { id: string; email: string; status: string } }>('/auth/signup', body, {
        skipAuthRedirect: true,
      }),
  })
}

/** `POST /auth/password-reset/request` (always 202). */
export function useRequestPasswordReset() {
  return useMutation({
    mutationFn: (body: { email: string }) =>
      api.post<{ message: string }>('/auth/password-reset/request', body, { skipAuthRedirect: true }),
  })
}

/** `POST /auth/password-reset/confirm` (204; every session of the user ends). */
export function useConfirmPasswordReset() {
  return useMutation({
    mutationFn: (body: { token: string; password: string }) =>
      api.post<void>('/auth/password-reset/confirm', body, { skipAuthRedirect: true }),
  })
}
