import { RefreshCw, TriangleAlert } from 'lucide-react'
import { isRouteErrorResponse, Link, useRouteError } from 'react-router'
import { Button } from '@/components/ui/button'
import { errorMessage } from '@/lib/api'

/**
 * A page that threw while rendering or loading. A failed chunk import means a new version
 * was deployed since this tab opened: a reload fixes it.
 */
export function RouteError() {
  const error = useRouteError()
  const stale =
    error instanceof Error &&
    /dynamically imported module|Importing a module script failed|error loading/i.test(error.message)
  const message = isRouteErrorResponse(error) ? `${error.status} ${error.statusText}` : errorMessage(error)
  return (
    <div
      className="flex min-h-[60dvh] flex-col items-center justify-center gap-3 p-6 text-center"
      role="alert"
    >
      <div className="flex size-12 items-center justify-center rounded-full bg-destructive/10">
        <TriangleAlert className="size-6 text-destructive" />
      </div>
      <h1 className="text-xl font-semibold">{stale ? 'A new version is available' : 'This page broke'}</h1>
      <p className="max-w-md text-sm text-muted-foreground">
        {stale ? 'traffoflex was updated since this tab was opened. Reload to continue.' : message}
      </p>
      <div className="flex gap-2">
        <Button onClick={() => window.location.reload()}>
          <RefreshCw /> Reload
        </Button>
        <Button asChild variant="outline">
          <Link to="/">Dashboard</Link>
        </Button>
      </div>
    </div>
  )
}
