/**
 * Above every page while invitations to join other workspaces wait for the signed-in user:
 * who invited them where, with Accept (and a switch into the workspace) and Decline.
 */
import { MailOpen } from 'lucide-react'
import { useLocation } from 'react-router'
import { Button } from '@/components/ui/button'
import { toast } from '@/components/ui/sonner'
import {
  type Invitation,
  useAnswerInvitation,
  useMyInvitations,
  useSwitchWorkspace,
} from '@/hooks/api/workspace'
import { errorMessage } from '@/lib/api'

function InvitationNote({ inv }: { inv: Invitation }) {
  const answer = useAnswerInvitation()
  const switchTo = useSwitchWorkspace()
  const who = inv.invited_by ? inv.invited_by.name || inv.invited_by.email : 'Someone'
  const respond = (a: 'accept' | 'decline') =>
    answer.mutate(
      { answer: a, id: inv.id },
      {
        onSuccess: (joined) => {
          if (!joined) return void toast.success(`Invitation to ${inv.workspace.name} declined`)
          toast.success(`You joined ${joined.workspace.name}`, {
            action: { label: 'Open', onClick: () => switchTo.mutate(joined.workspace) },
          })
        },
        onError: (e) => toast.error(errorMessage(e)),
      },
    )
  return (
    <div
      role="note"
      data-testid="invitation-banner"
      data-workspace={inv.workspace.name}
      className="mb-5 flex flex-col gap-3 rounded-lg border border-primary/40 bg-primary/5 px-3 py-2.5 text-sm sm:flex-row sm:items-center"
    >
      <div className="flex min-w-0 flex-1 items-start gap-2.5">
        <MailOpen className="mt-0.5 size-4 shrink-0" aria-hidden="true" />
        <p className="min-w-0">
          <span className="font-medium">
            {who} invited you to {inv.workspace.name}
          </span>{' '}
          <span className="text-muted-foreground">as {inv.role}.</span>
        </p>
      </div>
      <div className="flex shrink-0 gap-2">
        <Button size="sm" disabled={answer.isPending} onClick={() => respond('accept')}>
          Accept
        </Button>
        <Button size="sm" variant="outline" disabled={answer.isPending} onClick={() => respond('decline')}>
          Decline
        </Button>
      </div>
    </div>
  )
}

/** One note per pending invitation; none on the accept page, which shows its own. */
export function InvitationsBanner() {
  const mine = useMyInvitations()
  if (useLocation().pathname === '/invitations/accept') return null
  return (
    <>
      {(mine.data ?? []).map((inv) => (
        <InvitationNote key={inv.id} inv={inv} />
      ))}
    </>
  )
}
