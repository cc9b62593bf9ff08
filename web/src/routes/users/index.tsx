/**
 * `/users` (platform admins) — every account on this installation: filter by status, search
 * by email, name or company; approve sign-ups, suspend (also how a sign-up is rejected),
 * reactivate.
 */
import { Search, Users } from 'lucide-react'
import { useDeferredValue, useState } from 'react'
import { PageHeader } from '@/components/common/page-header'
import { EmptyState, QueryStates } from '@/components/common/states'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card } from '@/components/ui/card'
import { Input } from '@/components/ui/input'
import { Select } from '@/components/ui/select'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { useMe } from '@/hooks/api/auth'
import { type AdminUser, type UserAction, type UserStatus, useUserAction, useUsers } from '@/hooks/api/users'
import { errorMessage } from '@/lib/api'
import { useNow } from '@/hooks/use-now'
import { formatDateTime, formatRelative } from '@/lib/format'

const STATUS_BADGE: Record<UserStatus, 'warning' | 'success' | 'destructive'> = {
  pending: 'warning',
  active: 'success',
  suspended: 'destructive',
}
const ACTION_LABEL: Record<UserAction, string> = {
  approve: 'Approve',
  suspend: 'Suspend',
  reactivate: 'Reactivate',
}
const DONE: Record<UserAction, string> = {
  approve: 'approved',
  suspend: 'suspended',
  reactivate: 'reactivated',
}

/** The actions a user's status allows (suspending a pending user rejects the sign-up). */
function actionsFor(u: AdminUser, self: boolean): UserAction[] {
  if (u.status === 'pending') return ['approve', 'suspend']
  if (u.status === 'active') return self ? [] : ['suspend']
  return ['reactivate']
}

function UserActions({ user, self }: { user: AdminUser; self: boolean }) {
  const act = useUserAction()
  const run = (action: UserAction) =>
    act.mutate(
      { id: user.id, action },
      {
        onSuccess: () => toast.success(`${user.email} ${DONE[action]}`),
        onError: (e) => toast.error(errorMessage(e)),
      },
    )
  return (
    <div className="flex justify-end gap-1">
      {act.isPending && <Spinner />}
      {actionsFor(user, self).map((a) => (
        <Button
          key={a}
          size="sm"
          variant={a === 'suspend' ? 'ghost' : 'outline'}
          className={a === 'suspend' ? 'text-destructive hover:text-destructive' : undefined}
          disabled={act.isPending}
          onClick={() => run(a)}
        >
          {a === 'suspend' && user.status === 'pending' ? 'Reject' : ACTION_LABEL[a]}
        </Button>
      ))}
    </div>
  )
}

export function Component() {
  const me = useMe()
  const now = useNow()
  const [status, setStatus] = useState<UserStatus | ''>('')
  const [q, setQ] = useState('')
  const query = useDeferredValue(q.trim())
  const users = useUsers({ limit: 200, ...(status ? { status } : {}), ...(query ? { q: query } : {}) })
  const items = users.data?.items ?? []
  const filtered = status !== '' || query !== ''
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Users"
        description="Accounts on this installation. New sign-ups wait for approval."
      />
      <div className="flex flex-wrap gap-2">
        <div className="relative w-full sm:w-72">
          <Search className="pointer-events-none absolute top-1/2 left-2.5 size-4 -translate-y-1/2 text-muted-foreground" />
          <Input
            type="search"
            placeholder="Email, name or company"
            aria-label="Search users"
            className="pl-8"
            value={q}
            onChange={(e) => setQ(e.target.value)}
          />
        </div>
        <Select
          aria-label="Status"
          className="w-full sm:w-44"
          value={status}
          onChange={(e) => setStatus(e.target.value as UserStatus | '')}
        >
          <option value="">All statuses</option>
          <option value="pending">Pending</option>
          <option value="active">Active</option>
          <option value="suspended">Suspended</option>
        </Select>
      </div>
      <Card className="gap-0 py-2">
        <QueryStates
          query={users}
          skeleton={{ rows: 4, columns: 5 }}
          isEmpty={items.length === 0}
          empty={
            <EmptyState
              icon={Users}
              title={filtered ? 'No user matches' : 'No users yet'}
              description={filtered ? 'Try another status or search.' : 'Sign-ups appear here for approval.'}
            />
          }
        >
          <Table data-testid="users-table">
            <TableHeader>
              <TableRow className="hover:bg-transparent">
                <TableHead>User</TableHead>
                <TableHead className="hidden md:table-cell">Company</TableHead>
                <TableHead>Status</TableHead>
                <TableHead className="hidden lg:table-cell">Signed up</TableHead>
                <TableHead className="w-0">
                  <span className="sr-only">Actions</span>
                </TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {items.map((u) => (
                <TableRow key={u.id} data-testid="user-row" data-email={u.email} data-status={u.status}>
                  <TableCell className="max-w-36 sm:max-w-72">
                    <p className="truncate font-medium">{u.name || u.email}</p>
                    {u.name && <p className="truncate text-xs text-muted-foreground">{u.email}</p>}
                  </TableCell>
                  <TableCell className="hidden max-w-48 truncate text-muted-foreground md:table-cell">
                    {[u.company, u.country].filter(Boolean).join(' · ') || '—'}
                  </TableCell>
                  <TableCell>
                    <div className="flex flex-wrap gap-1">
                      <Badge variant={STATUS_BADGE[u.status]}>{u.status}</Badge>
                      {u.role === 'admin' && <Badge variant="outline">admin</Badge>}
                    </div>
                  </TableCell>
                  <TableCell
                    className="hidden text-muted-foreground lg:table-cell"
                    title={formatDateTime(u.created_at)}
                  >
                    {formatRelative(u.created_at, now)}
                  </TableCell>
                  <TableCell>
                    <UserActions user={u} self={u.id === me.data?.user.id} />
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </QueryStates>
      </Card>
      {users.data && users.data.total > items.length && (
        <p className="text-sm text-muted-foreground">
          Showing {items.length} of {users.data.total}; narrow the search to find others.
        </p>
      )}
    </div>
  )
}
