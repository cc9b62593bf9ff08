/** The signed-in user's own profile (`PATCH /auth/me`) and password (`POST /auth/password`). */
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { authKeys, type Me } from '@/hooks/api/auth'
import { api } from '@/lib/api'

/** Editable profile fields; `null` or `""` clears one. */
export interface ProfilePatch {
  name?: string | null
  phone?: string | null
  company?: string | null
  vat_id?: string | null
  address?: string | null
  city?: string | null
  country?: string | null
}

/** The profile as `GET /auth/me` returns it (all fields). */
export type MeWithProfile = Me & { user: Me['user'] & Required<ProfilePatch> }

export function useUpdateProfile() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: ProfilePatch) => api.patch<MeWithProfile>('/auth/me', body),
    onSuccess: (me) => qc.setQueryData(authKeys.me, me),
  })
}

/** 204; a wrong current password is 400 `invalid_credentials`. */
export function useChangePassword() {
  return useMutation({
    mutationFn: (body: { current_password: string; new_password: string }) =>
      api.post<void>('/auth/password', body),
  })
}
