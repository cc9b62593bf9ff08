/** `/pending`: the account exists but waits for an administrator's approval. */
import { Hourglass } from 'lucide-react'
import { Link, useLocation } from 'react-router'
import { Button } from '@/components/ui/button'

export function Component() {
  const state = (useLocation().state ?? {}) as { email?: string; signedUp?: boolean }
  return (
    <div className="flex flex-col items-center gap-5 text-center" data-testid="pending-page">
      <div className="flex size-14 items-center justify-center rounded-full bg-accent">
        <Hourglass className="size-6 text-accent-foreground" />
      </div>
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">
          {state.signedUp ? 'Account created' : 'Waiting for approval'}
        </h1>
        <p className="mt-2 text-sm text-muted-foreground">
          {state.email ? (
            <>
              The account <span className="font-medium text-foreground">{state.email}</span> is waiting for an
              administrator to approve it.
            </>
          ) : (
            'Your account is waiting for an administrator to approve it.'
          )}{' '}
          You can sign in as soon as it is approved.
        </p>
      </div>
      <div className="w-full rounded-lg border bg-muted/40 p-4 text-left text-sm">
        <p className="font-medium">What happens next</p>
        <ol className="mt-2 list-decimal space-y-1 pl-5 text-muted-foreground">
          <li>An administrator reviews the new account.</li>
          <li>Once approved, sign in with the email and password you chose.</li>
        </ol>
      </div>
      <Button asChild size="lg" className="w-full">
        <Link to="/login">Back to sign in</Link>
      </Button>
    </div>
  )
}
