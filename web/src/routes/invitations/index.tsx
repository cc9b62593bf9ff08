/**
 * `/invitations/accept#token=…` — the link of an invitation email. After sign-in (the token
 * waits in sessionStorage meanwhile, see `lib/invitation-token.ts`) the user accepts or
 * declines with a click — never on page load, so opening the link alone changes nothing.
 * Accepted: they are a member and can open the workspace. Refused: the page says why (used
 * or revoked link, another account's invitation, expired).
 */
import { CircleAlert, CircleCheck, MailOpen } from 'lucide-react'
import { useState } from 'react'
import { Link } from 'react-router'
import { PageHeader } from '@/components/common/page-header'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Button } from '@/components/ui/button'
import { Card, CardContent } from '@/components/ui/card'
import { Spinner } from '@/components/ui/spinner'
import { useMe } from '@/hooks/api/auth'
import { type JoinedWorkspace, useAnswerInvitation, useSwitchWorkspace } from '@/hooks/api/workspace'
import { ApiError, errorMessage } from '@/lib/api'
import { clearInvitationToken, storedInvitationToken } from '@/lib/invitation-token'

/** A sentence for a refused answer. */
function refusal(e: unknown, email: string | undefined): string {
  if (!(e instanceof ApiError)) return errorMessage(e)
  if (e.code === 'wrong_account')
    return `This invitation is for another email address. You are signed in as ${email ?? 'someone else'}: sign out and sign in with the invited address.`
  if (e.code === 'invitation_expired') return 'This invitation has expired. Ask for a new one.'
  if (e.code === 'invalid_token') return 'This invitation link was already used or revoked.'
  return e.message
}

export function Component() {
  const me = useMe()
  const [token] = useState(storedInvitationToken)
  const answer = useAnswerInvitation()
  const switchTo = useSwitchWorkspace()
  const [done, setDone] = useState<{ joined?: JoinedWorkspace; declined?: boolean }>()
  const respond = (a: 'accept' | 'decline') =>
    token &&
    answer.mutate(
      { answer: a, token },
      {
        onSuccess: (joined) => {
          clearInvitationToken()
          setDone(joined ? { joined } : { declined: true })
        },
      },
    )

  return (
    <div className="flex flex-col gap-6">
      <PageHeader title="Invitation" description="Join a workspace you were invited to." />
      <Card className="max-w-xl" data-testid="invitation-accept">
        <CardContent className="flex flex-col gap-4 py-2">
          {!token ? (
            <p className="text-sm text-muted-foreground">
              This link is incomplete. Open the link from the email exactly as it was sent, or see your
              pending invitations at the top of any page.
            </p>
          ) : done?.joined ? (
            <>
              <p className="flex items-center gap-2 font-medium">
                <CircleCheck className="size-5 text-success" aria-hidden="true" />
                You joined {done.joined.workspace.name} as {done.joined.role}.
              </p>
              <div>
                <Button disabled={switchTo.isPending} onClick={() => switchTo.mutate(done.joined!.workspace)}>
                  {switchTo.isPending && <Spinner />} Open {done.joined.workspace.name}
                </Button>
              </div>
            </>
          ) : done?.declined ? (
            <p className="font-medium">Invitation declined. Nothing changed.</p>
          ) : (
            <>
              <p className="flex items-start gap-2.5 text-sm">
                <MailOpen className="mt-0.5 size-4 shrink-0" aria-hidden="true" />
                <span>
                  You were invited to join a workspace. Accepting adds{' '}
                  <span className="font-medium">{me.data?.user.email}</span> to it; it sees what you do there,
                  and you see and change its configuration.
                </span>
              </p>
              {answer.isError && (
                <Alert variant="destructive">
                  <CircleAlert />
                  <AlertDescription>{refusal(answer.error, me.data?.user.email)}</AlertDescription>
                </Alert>
              )}
              <div className="flex gap-2">
                <Button disabled={answer.isPending} onClick={() => respond('accept')}>
                  {answer.isPending && <Spinner />} Accept invitation
                </Button>
                <Button variant="outline" disabled={answer.isPending} onClick={() => respond('decline')}>
                  Decline
                </Button>
              </div>
            </>
          )}
          <Link to="/" className="text-sm text-muted-foreground underline-offset-4 hover:underline">
            Back to the dashboard
          </Link>
        </CardContent>
      </Card>
    </div>
  )
}
