/**
 * `/settings/workspace` — the workspace and its members: invite an email address with a role
 * (they join when they accept the emailed link), the pending invitations (revoke), change
 * roles, remove (or leave). Owners and admins manage; only owners touch owners.
 */
import { zodResolver } from '@hookform/resolvers/zod'
import { CircleAlert, Mail, Send, Users } from 'lucide-react'
import { useState } from 'react'
import { useForm } from 'react-hook-form'
import { z } from 'zod'
import { FormField, fieldAria } from '@/components/common/form-field'
import { PageHeader } from '@/components/common/page-header'
import { EmptyState, QueryStates } from '@/components/common/states'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
} from '@/components/ui/dialog'
import { Input } from '@/components/ui/input'
import { Select } from '@/components/ui/select'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { useMe } from '@/hooks/api/auth'
import {
  type Invitation,
  useChangeMemberRole,
  useInvite,
  useRemoveMember,
  useRevokeInvitation,
  useWorkspace,
  useWorkspaceInvitations,
  type WorkspaceMember,
  type WorkspaceRole,
} from '@/hooks/api/workspace'
import { errorMessage } from '@/lib/api'
import { formatDateTime } from '@/lib/format'
import { applyApiErrors } from '@/lib/forms'
import { Require2faCard } from './require-2fa'

const addSchema = z.object({
  email: z.string().trim().min(1, 'Enter their email').max(320).pipe(z.email('Enter a valid email address')),
  role: z.enum(['admin', 'member']),
})
type AddValues = z.infer<typeof addSchema>

function InviteForm() {
  const invite = useInvite()
  const form = useForm<AddValues>({
    resolver: zodResolver(addSchema),
    defaultValues: { email: '', role: 'member' },
  })
  const { errors, isSubmitting } = form.formState
  const onSubmit = form.handleSubmit(async (v) => {
    try {
      await invite.mutateAsync(v)
      toast.success(`Invitation sent to ${v.email}`)
      form.reset({ email: '', role: v.role })
    } catch (e) {
      applyApiErrors(e, form.setError, ['email', 'role'])
    }
  })
  return (
    <form onSubmit={onSubmit} noValidate className="grid gap-3" data-testid="invite-member">
      {errors.root?.server && (
        <Alert variant="destructive">
          <CircleAlert />
          <AlertDescription>{errors.root.server.message}</AlertDescription>
        </Alert>
      )}
      <div className="grid gap-3 sm:grid-cols-[1fr_10rem_auto] sm:items-start">
        <FormField
          id="member-email"
          label="Email"
          error={errors.email?.message}
          hint="They join when they accept the emailed link."
        >
          <Input
            type="email"
            autoComplete="off"
            {...fieldAria('member-email', errors.email?.message)}
            {...form.register('email')}
          />
        </FormField>
        <FormField id="member-role" label="Role" error={errors.role?.message}>
          <Select {...fieldAria('member-role', errors.role?.message)} {...form.register('role')}>
            <option value="member">Member</option>
            <option value="admin">Admin</option>
          </Select>
        </FormField>
        <Button type="submit" disabled={isSubmitting} className="sm:mt-[1.375rem]">
          {isSubmitting ? <Spinner /> : <Send />} Invite
        </Button>
      </div>
    </form>
  )
}

/** The workspace's pending invitations, each with Revoke; expired ones say so. */
function InvitationsCard() {
  const list = useWorkspaceInvitations(true)
  const revoke = useRevokeInvitation()
  const items = list.data ?? []
  if (list.isSuccess && items.length === 0) return null
  return (
    <Card className="gap-0 py-2" data-testid="invitations">
      <CardHeader className="py-3">
        <CardTitle>Pending invitations</CardTitle>
      </CardHeader>
      <QueryStates query={list} skeleton={{ rows: 2, columns: 3 }}>
        <Table>
          <TableHeader>
            <TableRow className="hover:bg-transparent">
              <TableHead>Email</TableHead>
              <TableHead>Role</TableHead>
              <TableHead className="hidden md:table-cell">Expires</TableHead>
              <TableHead className="w-0">
                <span className="sr-only">Actions</span>
              </TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {items.map((i: Invitation) => (
              <TableRow key={i.id} data-testid="invitation-row" data-email={i.email}>
                <TableCell className="max-w-36 sm:max-w-72">
                  <p className="flex items-center gap-2 truncate font-medium">
                    <Mail className="size-4 shrink-0 text-muted-foreground" aria-hidden="true" />
                    <span className="truncate">{i.email}</span>
                  </p>
                  {i.expired && (
                    <Badge variant="warning" className="mt-1">
                      expired
                    </Badge>
                  )}
                </TableCell>
                <TableCell>
                  <Badge variant="secondary">{i.role}</Badge>
                </TableCell>
                <TableCell className="hidden text-muted-foreground md:table-cell">
                  {formatDateTime(i.expires_at)}
                </TableCell>
                <TableCell className="text-right">
                  <Button
                    variant="ghost"
                    size="sm"
                    className="text-destructive hover:text-destructive"
                    disabled={revoke.isPending}
                    onClick={() =>
                      revoke.mutate(i.id, {
                        onSuccess: () => toast.success(`Invitation to ${i.email} revoked`),
                        onError: (e) => toast.error(errorMessage(e)),
                      })
                    }
                  >
                    Revoke
                  </Button>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </QueryStates>
    </Card>
  )
}

function RoleSelect({
  member,
  myRole,
  disabled,
}: {
  member: WorkspaceMember
  myRole: WorkspaceRole
  disabled: boolean
}) {
  const change = useChangeMemberRole()
  return (
    <Select
      aria-label={`Role of ${member.email}`}
      className="w-32"
      value={member.role}
      disabled={disabled || change.isPending}
      onChange={(e) =>
        change.mutate(
          { userId: member.user_id, role: e.target.value as WorkspaceRole },
          {
            onSuccess: (m) => toast.success(`${m.email} is now ${m.role}`),
            onError: (err) => toast.error(errorMessage(err)),
          },
        )
      }
    >
      {(myRole === 'owner' || member.role === 'owner') && <option value="owner">Owner</option>}
      <option value="admin">Admin</option>
      <option value="member">Member</option>
    </Select>
  )
}

export function Component() {
  const me = useMe()
  const ws = useWorkspace()
  const remove = useRemoveMember()
  const [removing, setRemoving] = useState<WorkspaceMember | null>(null)
  const myRole = ws.data?.role ?? 'member'
  const manager = myRole === 'owner' || myRole === 'admin'
  const myId = me.data?.user.id
  const members = ws.data?.members ?? []
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Workspace"
        description={
          ws.data ? (
            <>
              <span className="font-medium text-foreground">{ws.data.workspace.name}</span> · you are{' '}
              {ws.data.role === 'admin' ? 'an admin' : `the ${ws.data.role === 'owner' ? 'owner' : 'member'}`}
            </>
          ) : (
            'Your workspace and its members.'
          )
        }
      />
      {manager && (
        <Card>
          <CardHeader>
            <div>
              <CardTitle>Invite a member</CardTitle>
              <CardDescription className="mt-1">
                We email them a link valid for 7 days. Once they accept, they see and change everything in
                this workspace.
              </CardDescription>
            </div>
          </CardHeader>
          <CardContent>
            <InviteForm />
          </CardContent>
        </Card>
      )}
      {manager && <InvitationsCard />}
      {ws.data && myRole === 'owner' && <Require2faCard required={ws.data.workspace.require_2fa ?? false} />}
      <Card className="gap-0 py-2">
        <QueryStates
          query={ws}
          skeleton={{ rows: 3, columns: 4 }}
          isEmpty={members.length === 0}
          empty={<EmptyState icon={Users} title="No members" />}
        >
          <Table data-testid="members-table">
            <TableHeader>
              <TableRow className="hover:bg-transparent">
                <TableHead>Member</TableHead>
                <TableHead>Role</TableHead>
                <TableHead className="hidden md:table-cell">Joined</TableHead>
                <TableHead className="w-0">
                  <span className="sr-only">Actions</span>
                </TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {members.map((m) => {
                const self = m.user_id === myId
                const canEdit = manager && !self && (m.role !== 'owner' || myRole === 'owner')
                return (
                  <TableRow key={m.user_id} data-testid="member-row" data-email={m.email}>
                    <TableCell className="max-w-36 sm:max-w-72">
                      <p className="truncate font-medium">
                        {m.name || m.email}
                        {self && <span className="font-normal text-muted-foreground"> (you)</span>}
                      </p>
                      {m.name && <p className="truncate text-xs text-muted-foreground">{m.email}</p>}
                      {m.status !== 'active' && (
                        <Badge variant="warning" className="mt-1">
                          {m.status}
                        </Badge>
                      )}
                    </TableCell>
                    <TableCell>
                      {canEdit ? (
                        <RoleSelect member={m} myRole={myRole} disabled={false} />
                      ) : (
                        <Badge variant={m.role === 'owner' ? 'default' : 'secondary'}>{m.role}</Badge>
                      )}
                    </TableCell>
                    <TableCell className="hidden text-muted-foreground md:table-cell">
                      {formatDateTime(m.joined_at)}
                    </TableCell>
                    <TableCell className="text-right">
                      {(canEdit || self) && (
                        <Button
                          variant="ghost"
                          size="sm"
                          className="text-destructive hover:text-destructive"
                          onClick={() => setRemoving(m)}
                        >
                          {self ? 'Leave' : 'Remove'}
                        </Button>
                      )}
                    </TableCell>
                  </TableRow>
                )
              })}
            </TableBody>
          </Table>
        </QueryStates>
      </Card>
      <Dialog open={removing !== null} onOpenChange={(o) => !o && setRemoving(null)}>
        <DialogContent>
          <DialogHeader>
            <DialogTitle>
              {removing?.user_id === myId ? 'Leave this workspace?' : `Remove ${removing?.email}?`}
            </DialogTitle>
            <DialogDescription>
              Their sessions and API keys in this workspace stop working at once.
            </DialogDescription>
          </DialogHeader>
          <DialogFooter>
            <Button variant="outline" onClick={() => setRemoving(null)}>
              Cancel
            </Button>
            <Button
              variant="destructive"
              disabled={remove.isPending}
              onClick={() =>
                removing &&
                remove.mutate(removing.user_id, {
                  onSuccess: () => {
                    toast.success(`${removing.email} removed`)
                    setRemoving(null)
                  },
                  onError: (e) => toast.error(errorMessage(e)),
                })
              }
            >
              {remove.isPending && <Spinner />} {removing?.user_id === myId ? 'Leave' : 'Remove'}
            </Button>
          </DialogFooter>
        </DialogContent>
      </Dialog>
    </div>
  )
}
