import type * as React from 'react'
import { Navigate, useLocation } from 'react-router'
import { useMe } from '@/hooks/api/auth'
import { isPendingApproval, isUnauthorized } from '@/lib/api'
import { loginPathFor } from '@/lib/auth-paths'
import { FullPageError, FullPageLoader } from './full-page'

/** Renders its children for a signed-in, approved user; sends everyone else to the right page. */
export function RequireAuth({ children }: { children: React.ReactNode }) {
  const me = useMe()
  const location = useLocation()
  if (me.isPending) return <FullPageLoader />
  if (me.isError) {
    if (isUnauthorized(me.error))
      return <Navigate to={loginPathFor(location.pathname, location.search)} replace />
    if (isPendingApproval(me.error)) return <Navigate to="/pending" replace />
    return <FullPageError error={me.error} onRetry={() => void me.refetch()} />
  }
  return children
}
