/**
 * Every route of the UI. Pages are route folders (`src/routes/<page>/index.tsx`) exporting
 * `Component`, loaded on demand through React Router's `lazy` (each page is its own chunk).
 * To add or build a page: create or replace its folder, and list it here once.
 */
import { createBrowserRouter, type LoaderFunctionArgs, type RouteObject, redirect } from 'react-router'
import { AppLayout } from '@/components/layout/app-layout'
import { AuthLayout } from '@/components/layout/auth-layout'
import { FullPageLoader } from '@/components/layout/full-page'
import { RequireAuth } from '@/components/layout/require-auth'
import { RootLayout } from '@/components/layout/root-layout'
import { RouteError } from '@/components/layout/route-error'

/** Public pages (no session needed). */
const publicRoutes: RouteObject[] = [
  { path: 'login', lazy: () => import('./routes/login') },
  { path: 'signup', lazy: () => import('./routes/signup') },
  { path: 'pending', lazy: () => import('./routes/pending') },
  { path: 'forgot-password', lazy: () => import('./routes/forgot-password') },
  { path: 'reset-password', lazy: () => import('./routes/reset-password') },
]

/**
 * A route that only redirects to `to` (plus the rest of the path matched by `*`), keeping
 * the query string: old links keep working.
 */
function redirectTo(to: string): RouteObject['loader'] {
  return ({ request, params }: LoaderFunctionArgs) => {
    const rest = params['*'] ? `/${params['*']}` : ''
    return redirect(`${to}${rest}${new URL(request.url).search}`)
  }
}

/** Pages of the signed-in app (inside the sidebar layout). */
const appRoutes: RouteObject[] = [
  { index: true, lazy: () => import('./routes/dashboard') },
  { path: 'reports', lazy: () => import('./routes/reports') },
  { path: 'campaigns/*', lazy: () => import('./routes/campaigns') },
  // Offers: the canonical path of the destinations page; old /destinations links redirect.
  { path: 'offers/*', lazy: () => import('./routes/destinations') },
  { path: 'destinations/*', loader: redirectTo('/offers') },
  { path: 'landers/*', lazy: () => import('./routes/landers') },
  { path: 'sources/*', lazy: () => import('./routes/sources') },
  { path: 'networks/*', lazy: () => import('./routes/networks') },
  // Postbacks are tabs of Logs (same tab names): `/postbacks?tab=outbound` → `/logs?tab=outbound`.
  { path: 'postbacks/*', loader: ({ request }) => redirect(`/logs${new URL(request.url).search}`) },
  { path: 'logs/*', lazy: () => import('./routes/logs') },
  { path: 'clicks', lazy: () => import('./routes/clicks') },
  { path: 'clicks/:clickId', lazy: () => import('./routes/clicks/click-page') },
  { path: 'logs/conversions/:id', lazy: () => import('./routes/logs/conversions') },
  { path: 'logs/outbound/:id', lazy: () => import('./routes/logs/outbound') },
  { path: 'health/*', lazy: () => import('./routes/health') },
  { path: 'autopilot/*', lazy: () => import('./routes/autopilot') },
  { path: 'visitors/*', lazy: () => import('./routes/visitors') },
  { path: 'outreach/*', lazy: () => import('./routes/outreach') },
  { path: 'billing/*', lazy: () => import('./routes/billing') },
  { path: 'settings/workspace', lazy: () => import('./routes/settings/workspace') },
  { path: 'settings/api-keys', lazy: () => import('./routes/settings/api-keys') },
  { path: 'settings/profile', lazy: () => import('./routes/settings/profile') },
  { path: 'settings/security', lazy: () => import('./routes/settings/security') },
  { path: 'users/*', lazy: () => import('./routes/users') },
  { path: 'invitations/accept', lazy: () => import('./routes/invitations') },
  { path: '*', lazy: () => import('./routes/not-found') },
]

export const routes: RouteObject[] = [
  {
    element: <RootLayout />,
    HydrateFallback: FullPageLoader,
    errorElement: <RouteError />,
    children: [
      { element: <AuthLayout />, errorElement: <RouteError />, children: publicRoutes },
      // Recipients of outreach emails: no session, no app frame.
      {
        path: 'unsubscribe/:token',
        errorElement: <RouteError />,
        lazy: () => import('./routes/unsubscribe'),
      },
      {
        element: (
          <RequireAuth>
            <AppLayout />
          </RequireAuth>
        ),
        children: [{ errorElement: <RouteError />, children: appRoutes }],
      },
    ],
  },
]

export const router = createBrowserRouter(routes)
