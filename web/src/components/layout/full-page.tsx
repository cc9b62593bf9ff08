import { Spinner } from '@/components/ui/spinner'
import { ErrorState } from '@/components/common/states'
import { Brand } from './brand'

/** Shown while the session or the first route loads. */
export function FullPageLoader() {
  return (
    <div className="flex min-h-dvh flex-col items-center justify-center gap-4" data-testid="page-loading">
      <Brand />
      <Spinner className="size-5 text-muted-foreground" />
    </div>
  )
}

/** A failure before any page could render (the session check failed for another reason than 401). */
export function FullPageError({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <div className="flex min-h-dvh flex-col items-center justify-center gap-2 p-6">
      <Brand />
      <ErrorState error={error} title="traffoflex could not start" {...(onRetry ? { onRetry } : {})} />
    </div>
  )
}
