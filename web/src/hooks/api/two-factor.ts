/**
 * Two-factor authentication (`/api/v1/auth/2fa*`, `/auth/login/2fa`, `PATCH
 * /workspace/settings`): status, enrolment (set-up → confirm → recovery codes), disable,
 * regenerate codes, remembered devices, the second sign-in step and the workspace's
 * "require 2FA" switch.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api'
import { authKeys, type Me } from './auth'
import { workspaceKeys } from './workspace'

/** `GET /auth/2fa`. */
export interface TwoFactorStatus {
  enabled: boolean
  enabled_at: string | null
  recovery_codes_left: number
  /** The current workspace requires 2FA of its members. */
  required_by_workspace: boolean
  /** Days "remember this device" lasts. */
  trusted_device_days: number
  devices: {
    id: string
    label: string | null
    created_at: string
    last_used_at: string | null
    expires_at: string
  }[]
}

/** `POST /auth/2fa/setup`. */
export interface TwoFactorSetup {
  otpauth_uri: string
  /** SVG QR code as a data URL, for an `<img>`. */
  qr_data_url: string
  /** Base32 secret for typing into the app by hand. */
  secret: string
}

export const twoFactorKey = ['auth', '2fa'] as const

export function useTwoFactorStatus() {
  return useQuery({
    queryKey: twoFactorKey,
    queryFn: ({ signal }) => api.get<TwoFactorStatus>('/auth/2fa', undefined, { signal }),
  })
}

export function useTwoFactorSetup() {
  return useMutation({ mutationFn: () => api.post<TwoFactorSetup>('/auth/2fa/setup') })
}

/** Confirms set-up with a code; answers the recovery codes (shown once). */
export function useTwoFactorEnable() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (code: string) => api.post<{ recovery_codes: string[] }>('/auth/2fa/enable', { code }),
    // Enrolment may unblock a workspace that requires 2FA: everything reloads.
    onSuccess: () => qc.invalidateQueries(),
  })
}

/** A code from the app, or a recovery code. */
export type Factor = { code: string } | { recovery_code: string }

export function useTwoFactorDisable() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: { password: string } & Factor) => api.post<void>('/auth/2fa/disable', body),
    onSuccess: () => qc.invalidateQueries({ queryKey: twoFactorKey }),
  })
}

export function useRegenerateRecoveryCodes() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: Factor) => api.post<{ recovery_codes: string[] }>('/auth/2fa/recovery-codes', body),
    onSuccess: () => qc.invalidateQueries({ queryKey: twoFactorKey }),
  })
}

export function useRemoveTrustedDevice() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api.delete(`/auth/2fa/devices/${id}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: twoFactorKey }),
  })
}

/** `POST /auth/login/2fa`: the second sign-in step; on success the `me` query is refetched. */
export function useLoginSecondFactor() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: Factor & { remember_device: boolean }) =>
      api.post<{ user: { id: string; email: string } }>('/auth/login/2fa', body, { skipAuthRedirect: true }),
    onSuccess: async () => {
      qc.removeQueries({ queryKey: authKeys.me })
      await qc.prefetchQuery({
        queryKey: authKeys.me,
        queryFn: () => api.get<Me>('/auth/me', undefined, { skipAuthRedirect: true }),
      })
    },
  })
}

/** `PATCH /workspace/settings` (owners): require 2FA of every member, or not. */
export function useSetWorkspaceRequire2fa() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (require_2fa: boolean) =>
      api.patch<{ require_2fa: boolean }>('/workspace/settings', { require_2fa }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: workspaceKeys.all })
      void qc.invalidateQueries({ queryKey: twoFactorKey })
    },
  })
}
