/**
 * The workspace switcher of the app shell: a button with the current workspace (marked
 * "admin view" when a platform admin is not a member of it) that opens a panel listing the
 * workspaces the user can act in — for admins every workspace, the ones they are not a
 * member of marked "admin view". Choosing one switches the session (`useSwitchWorkspace`)
 * and the app reloads on the dashboard of that workspace.
 *
 * The panel is a Radix popover (a button and a list of buttons), not an ARIA menu: Tab and
 * the arrow keys move through it; Escape, a click outside or a second click on the button
 * close it and Radix gives focus back to the button. The list loads on first open; a search
 * box appears once it is long.
 */
import * as Popover from '@radix-ui/react-popover'
import { Check, ChevronsUpDown, Eye, RefreshCw, Search } from 'lucide-react'
import type * as React from 'react'
import { useEffect, useRef, useState } from 'react'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Input } from '@/components/ui/input'
import { Skeleton } from '@/components/ui/skeleton'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import type { Me } from '@/hooks/api/auth'
import {
  type SwitchableWorkspace,
  useMyWorkspaces,
  useSwitchWorkspace,
  type WorkspaceRole,
} from '@/hooks/api/workspace'
import { errorMessage } from '@/lib/api'
import { cn } from '@/lib/utils'

/** Lists longer than this get a search box. */
const SEARCH_FROM = 8

const ROLE_LABEL: Record<WorkspaceRole, string> = { owner: 'Owner', admin: 'Admin', member: 'Member' }

/** The first letter of a workspace on a rounded square. */
function WorkspaceMark({ name, className }: { name: string; className?: string }) {
  return (
    <span
      aria-hidden="true"
      className={cn(
        'flex size-8 shrink-0 items-center justify-center rounded-md text-sm font-semibold uppercase',
        className,
      )}
    >
      {name.trim().slice(0, 1) || '?'}
    </span>
  )
}

/** Case-insensitive substring match on the name. */
function matching(items: SwitchableWorkspace[], q: string): SwitchableWorkspace[] {
  const needle = q.trim().toLowerCase()
  return needle ? items.filter((w) => w.name.toLowerCase().includes(needle)) : items
}

function WorkspaceItem({
  w,
  pending,
  disabled,
  onChoose,
}: {
  w: SwitchableWorkspace
  pending: boolean
  disabled: boolean
  onChoose: (w: SwitchableWorkspace) => void
}) {
  return (
    <button
      type="button"
      data-ws-item=""
      aria-current={w.current ? 'true' : undefined}
      disabled={disabled}
      onClick={() => onChoose(w)}
      className="flex w-full items-center gap-2.5 rounded-md px-2 py-1.5 text-left text-sm outline-none transition-colors hover:bg-accent focus-visible:bg-accent focus-visible:ring-2 focus-visible:ring-ring/50 disabled:cursor-wait disabled:opacity-60"
    >
      <WorkspaceMark
        name={w.name}
        className={w.member ? 'bg-primary/10 text-primary' : 'bg-warning/25 text-foreground'}
      />
      <span className="min-w-0 flex-1">
        <span className="block truncate font-medium" title={w.name}>
          {w.name}
        </span>
        {w.member ? (
          <span className="block text-xs text-muted-foreground">{ROLE_LABEL[w.role]}</span>
        ) : (
          <Badge
            variant="warning"
            className="mt-0.5 px-1.5 py-0 text-[11px]"
            title="You are not a member; you would act as its owner"
          >
            <Eye />
            admin view
          </Badge>
        )}
      </span>
      {pending ? (
        <Spinner className="text-muted-foreground" label={`Switching to ${w.name}`} />
      ) : (
        <Check
          aria-label={w.current ? 'current workspace' : undefined}
          className={cn('size-4 shrink-0 text-primary', !w.current && 'invisible')}
        />
      )}
    </button>
  )
}

function GroupLabel({ children }: { children: React.ReactNode }) {
  return (
    <p className="px-2 pt-2 pb-1 text-[11px] font-semibold uppercase tracking-wider text-muted-foreground">
      {children}
    </p>
  )
}

/** The panel body: loading rows, the error with a retry, or the (filtered) list. */
function WorkspaceList({
  list,
  q,
  pendingId,
  onChoose,
}: {
  list: ReturnType<typeof useMyWorkspaces>
  q: string
  pendingId: string | undefined
  onChoose: (w: SwitchableWorkspace) => void
}) {
  if (list.isPending)
    return (
      <div className="flex flex-col gap-1 p-1" data-testid="workspaces-loading">
        {[0, 1, 2].map((i) => (
          <div key={i} className="flex items-center gap-2.5 px-1 py-1">
            <Skeleton className="size-8" />
            <div className="flex flex-1 flex-col gap-1.5">
              <Skeleton className="h-3.5 w-2/3" />
              <Skeleton className="h-3 w-1/3" />
            </div>
          </div>
        ))}
      </div>
    )
  if (list.isError)
    return (
      <div role="alert" className="flex flex-col items-start gap-2 p-2 text-sm">
        <p className="font-medium text-destructive">Could not load your workspaces</p>
        <p className="text-xs text-muted-foreground">{errorMessage(list.error)}</p>
        <Button size="sm" variant="outline" onClick={() => void list.refetch()}>
          <RefreshCw />
          Try again
        </Button>
      </div>
    )
  const shown = matching(list.data, q)
  if (shown.length === 0)
    return <p className="px-2 py-3 text-sm text-muted-foreground">No workspace matches “{q.trim()}”.</p>
  const mine = shown.filter((w) => w.member)
  const others = shown.filter((w) => !w.member)
  const item = (w: SwitchableWorkspace) => (
    <WorkspaceItem
      key={w.id}
      w={w}
      pending={pendingId === w.id}
      disabled={pendingId !== undefined}
      onChoose={onChoose}
    />
  )
  return (
    <>
      {others.length > 0 && mine.length > 0 && <GroupLabel>Your workspaces</GroupLabel>}
      {mine.map(item)}
      {others.length > 0 && <GroupLabel>Other workspaces · admin view</GroupLabel>}
      {others.map(item)}
      {list.data.length === 1 && (
        <p className="px-2 pt-1 pb-2 text-xs text-muted-foreground">
          This is your only workspace. When an owner of another workspace adds you, it appears here.
        </p>
      )}
    </>
  )
}

/** Moves focus to the next (`step` 1) or previous (-1) workspace button of the panel. */
function moveFocus(panel: HTMLElement, step: 1 | -1) {
  const items = [...panel.querySelectorAll<HTMLButtonElement>('[data-ws-item]:not(:disabled)')]
  if (items.length === 0) return
  const at = items.indexOf(document.activeElement as HTMLButtonElement)
  const next = at === -1 ? (step === 1 ? 0 : items.length - 1) : (at + step + items.length) % items.length
  items[next]?.focus()
}

/**
 * The switcher. `placement` `sidebar`: a full-width block under the brand on laptops;
 * `topbar`: a compact button on the phone/tablet top bar, its panel aligned right.
 */
export function WorkspaceSwitcher({
  me,
  placement,
  className,
}: {
  me: Me
  placement: 'sidebar' | 'topbar'
  className?: string
}) {
  const [open, setOpen] = useState(false)
  const [q, setQ] = useState('')
  const panelRef = useRef<HTMLDivElement>(null)
  const list = useMyWorkspaces(open)
  const switcher = useSwitchWorkspace()
  const adminView = me.workspace.member === false
  const pendingId = switcher.isPending ? switcher.variables.id : undefined

  const onOpenChange = (next: boolean) => {
    if (next) switcher.reset()
    else setQ('')
    setOpen(next)
  }

  // Once the list is there, focus the search box, else the current workspace.
  useEffect(() => {
    if (!open || !list.isSuccess) return
    const panel = panelRef.current
    const target =
      panel?.querySelector<HTMLElement>('input') ??
      panel?.querySelector<HTMLElement>('[data-ws-item][aria-current="true"]') ??
      panel?.querySelector<HTMLElement>('[data-ws-item]')
    target?.focus()
  }, [open, list.isSuccess])

  const choose = (w: SwitchableWorkspace) => {
    if (w.current) return onOpenChange(false)
    switcher.mutate(
      { id: w.id, name: w.name },
      {
        onSuccess: () => {
          onOpenChange(false)
          toast.success(`Switched to ${w.name}`)
        },
        onError: (e) => toast.error(`Could not switch to ${w.name}: ${errorMessage(e)}`),
      },
    )
  }

  const onKeyDown = (e: React.KeyboardEvent) => {
    if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && panelRef.current) {
      e.preventDefault()
      moveFocus(panelRef.current, e.key === 'ArrowDown' ? 1 : -1)
    }
  }

  const sidebar = placement === 'sidebar'
  return (
    <Popover.Root open={open} onOpenChange={onOpenChange}>
      <Popover.Trigger
        type="button"
        aria-label={`Workspace: ${me.workspace.name}${adminView ? ' (admin view)' : ''}. Switch workspace`}
        data-testid={`workspace-switcher-${placement}`}
        className={cn(
          'flex min-w-0 items-center gap-2.5 rounded-md text-left outline-none transition-colors focus-visible:ring-2 focus-visible:ring-ring',
          sidebar
            ? 'w-full border border-sidebar-border bg-sidebar-accent/40 px-2 py-1 hover:bg-sidebar-accent'
            : 'max-w-full px-1.5 py-1 hover:bg-sidebar-accent',
          open && 'bg-sidebar-accent',
          className,
        )}
      >
        <WorkspaceMark
          name={me.workspace.name}
          className={cn(
            'size-7',
            adminView ? 'bg-warning text-sidebar' : 'bg-primary text-primary-foreground',
          )}
        />
        <span className="min-w-0 flex-1">
          {sidebar && (
            <span
              className={cn(
                'flex items-center gap-1 text-[10px] leading-4 font-semibold uppercase tracking-wider',
                adminView ? 'text-warning' : 'text-sidebar-muted',
              )}
            >
              {adminView && <Eye className="size-3" />}
              {adminView ? 'Admin view' : 'Workspace'}
            </span>
          )}
          <span
            className="block truncate text-sm leading-5 font-medium text-sidebar-accent-foreground"
            title={me.workspace.name}
            data-testid="current-workspace"
          >
            {me.workspace.name}
          </span>
        </span>
        {!sidebar && adminView && <Eye className="size-4 shrink-0 text-warning" aria-hidden="true" />}
        <ChevronsUpDown className="size-4 shrink-0 text-sidebar-muted" aria-hidden="true" />
      </Popover.Trigger>
      <Popover.Portal>
        <Popover.Content
          ref={panelRef}
          aria-label="Switch workspace"
          data-testid="workspace-panel"
          side="bottom"
          align={sidebar ? 'start' : 'end'}
          sideOffset={6}
          // The list loads after opening; the effect above moves focus once it is there.
          onOpenAutoFocus={(e) => e.preventDefault()}
          onKeyDown={onKeyDown}
          className={cn(
            'z-50 overflow-hidden rounded-lg border bg-popover text-popover-foreground shadow-lg',
            sidebar ? 'w-72' : 'w-[min(20rem,calc(100vw-1.5rem))]',
          )}
        >
          <p className="border-b px-3 py-2 text-xs font-medium text-muted-foreground">Switch workspace</p>
          {list.isSuccess && list.data.length > SEARCH_FROM && (
            <div className="relative border-b p-1.5">
              <Search className="pointer-events-none absolute top-1/2 left-4 size-4 -translate-y-1/2 text-muted-foreground" />
              <Input
                type="search"
                value={q}
                onChange={(e) => setQ(e.target.value)}
                placeholder="Find a workspace"
                aria-label="Find a workspace"
                className="h-8 pl-8"
              />
            </div>
          )}
          <div className="max-h-[min(60vh,22rem)] overflow-y-auto p-1">
            <WorkspaceList list={list} q={q} pendingId={pendingId} onChoose={choose} />
          </div>
          {switcher.isError && (
            <p role="alert" className="border-t px-3 py-2 text-xs text-destructive">
              Could not switch: {errorMessage(switcher.error)}
            </p>
          )}
        </Popover.Content>
      </Popover.Portal>
    </Popover.Root>
  )
}
