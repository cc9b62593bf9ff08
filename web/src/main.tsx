/**
 * Entry point: global styles, the query client, the router, and the app-wide reactions to
 * auth failures (401 → sign-in page, 403 pending_approval → approval-pending page).
 */
import { QueryClientProvider } from '@tanstack/react-query'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { RouterProvider } from 'react-router'
import { meQuery } from '@/hooks/api/auth'
import { setAuthHandlers } from '@/lib/api'
import { redirectForAuthFailure, SECURITY_PATH } from '@/lib/auth-paths'
import { captureInvitationToken } from '@/lib/invitation-token'
import { queryClient } from '@/lib/query-client'
import { router } from './router'
import './index.css'

const go = (kind: 'unauthorized' | 'pending') => {
  const { pathname, search } = router.state.location
  const to = redirectForAuthFailure(kind, pathname, search)
  if (!to) return
  // Nothing cached belongs to a user any more.
  queryClient.clear()
  void router.navigate(to, { replace: true })
}
// Before the router can redirect to sign-in and drop the link's fragment.
captureInvitationToken()
setAuthHandlers({
  onUnauthorized: () => go('unauthorized'),
  onPendingApproval: () => go('pending'),
  // The workspace requires 2FA and this user has none: only the Security page works (it says why).
  onTwoFactorRequired: () => {
    if (router.state.location.pathname !== SECURITY_PATH) void router.navigate(SECURITY_PATH)
  },
})
// Who is signed in, asked at once: in parallel with the route's lazy chunks, not after them.
void queryClient.prefetchQuery(meQuery)

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
)
