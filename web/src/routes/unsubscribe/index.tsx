/**
 * `/unsubscribe/:token` — the page behind the unsubscribe link of an outreach email. Public:
 * no session, outside the admin layout, and neutral (the recipient is not a user). It shows
 * the masked address (`GET /api/v1/outreach/unsubscribe/:token`) and unsubscribes only on the
 * button (`POST` of the same URL, the RFC 8058 one-click endpoint mail clients call too) —
 * never on page load, since link scanners open every link.
 */
import { CircleAlert, CircleCheck, MailX } from 'lucide-react'
import { useParams } from 'react-router'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Button } from '@/components/ui/button'
import { Card, CardContent } from '@/components/ui/card'
import { Skeleton } from '@/components/ui/skeleton'
import { Spinner } from '@/components/ui/spinner'
import { useUnsubscribe, useUnsubscribeInfo } from '@/hooks/api/outreach'
import { ApiError, errorMessage } from '@/lib/api'

function Done({ email, already }: { email: string; already: boolean }) {
  return (
    <div className="grid justify-items-center gap-2 text-center" data-testid="unsubscribed">
      <CircleCheck className="size-10 text-success" aria-hidden="true" />
      <h1 className="text-xl font-semibold">You are unsubscribed</h1>
      <p className="text-sm text-muted-foreground">
        {already
          ? `${email} was already unsubscribed.`
          : `${email} will not get any more emails from this sender.`}
      </p>
    </div>
  )
}

export function Component() {
  const { token = '' } = useParams()
  const info = useUnsubscribeInfo(token)
  const unsubscribe = useUnsubscribe(token)
  const bad = info.error instanceof ApiError && (info.error.status === 400 || info.error.status === 404)
  return (
    <main className="flex min-h-dvh items-center justify-center bg-muted/40 px-4 py-10">
      <Card className="w-full max-w-md" data-testid="unsubscribe-page">
        <CardContent className="py-4">
          {info.isPending ? (
            <Skeleton className="h-32 w-full" />
          ) : info.isError ? (
            <div className="grid justify-items-center gap-2 text-center" role="alert">
              <CircleAlert className="size-10 text-destructive" aria-hidden="true" />
              <h1 className="text-xl font-semibold">
                {bad ? 'This link is not valid' : 'Something went wrong'}
              </h1>
              <p className="text-sm text-muted-foreground">
                {bad
                  ? 'Open the unsubscribe link from the email exactly as it was sent, or reply to the email asking to be removed.'
                  : errorMessage(info.error)}
              </p>
            </div>
          ) : unsubscribe.isSuccess || info.data.already ? (
            <Done email={info.data.email_masked} already={!unsubscribe.isSuccess} />
          ) : (
            <div className="grid justify-items-center gap-3 text-center">
              <MailX className="size-10 text-muted-foreground" aria-hidden="true" />
              <h1 className="text-xl font-semibold">Unsubscribe</h1>
              <p className="text-sm text-muted-foreground">
                Stop all emails from this sender to{' '}
                <span className="font-medium text-foreground" data-testid="masked-email">
                  {info.data.email_masked}
                </span>
                ?
              </p>
              {unsubscribe.isError && (
                <Alert variant="destructive" className="text-left">
                  <CircleAlert />
                  <AlertDescription>{errorMessage(unsubscribe.error)}</AlertDescription>
                </Alert>
              )}
              <Button
                size="lg"
                onClick={() => unsubscribe.mutate()}
                disabled={unsubscribe.isPending}
                data-testid="unsubscribe-button"
              >
                {unsubscribe.isPending && <Spinner />} Unsubscribe
              </Button>
            </div>
          )}
        </CardContent>
      </Card>
    </main>
  )
}
