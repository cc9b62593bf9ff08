/**
 * The signed-in frame: a dark sidebar with the workspace switcher and every section on
 * laptops (≥ 1024 px), a top bar with the switcher and a drawer on phones and tablets, a
 * thin progress bar while a lazy page loads, and the page in `<Outlet />`. While a
 * workspace switch is in flight the page is replaced by a "switching" state (its data
 * belongs to the old workspace); in admin view a banner says so above every page, and so
 * does one for each invitation waiting for the user (Accept / Decline).
 */
import { Eye, LogOut, Menu } from 'lucide-react'
import { useEffect, useState } from 'react'
import { NavLink, Outlet, useLocation, useNavigate, useNavigation } from 'react-router'
import { Sheet, SheetContent, SheetDescription, SheetTitle, SheetTrigger } from '@/components/ui/sheet'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import { type Me, useLogout, useMe } from '@/hooks/api/auth'
import { usePendingWorkspaceSwitch } from '@/hooks/api/workspace'
import { errorMessage } from '@/lib/api'
import { navFor } from '@/lib/nav'
import { cn } from '@/lib/utils'
import { Brand } from './brand'
import { InvitationsBanner } from './invitations-banner'
import { WorkspaceSwitcher } from './workspace-switcher'

function SidebarNav({ me }: { me: Me }) {
  const groups = navFor(me.user.role === 'admin')
  return (
    <nav aria-label="Main" className="flex flex-1 flex-col gap-3 overflow-y-auto px-3 py-3">
      {groups.map((g) => (
        <div key={g.label} className="flex flex-col gap-0.5">
          <p className="px-3 pb-0.5 text-[11px] font-semibold uppercase tracking-wider text-sidebar-muted">
            {g.label}
          </p>
          {g.items.map((item) => (
            <NavLink
              key={item.to}
              to={item.to}
              end={item.end ?? false}
              className={({ isActive }) =>
                cn(
                  'flex items-center gap-3 rounded-md px-3 py-1 text-sm font-medium transition-colors outline-none focus-visible:ring-2 focus-visible:ring-ring',
                  isActive
                    ? 'bg-sidebar-accent text-sidebar-accent-foreground'
                    : 'text-sidebar-foreground hover:bg-sidebar-accent/60 hover:text-sidebar-accent-foreground',
                )
              }
            >
              <item.icon className="size-4 shrink-0" />
              {item.label}
            </NavLink>
          ))}
        </div>
      ))}
    </nav>
  )
}

function AccountFooter({ me }: { me: Me }) {
  const logout = useLogout()
  const navigate = useNavigate()
  const signOut = () =>
    logout.mutate(undefined, {
      onSuccess: () => navigate('/login', { replace: true }),
      onError: (e) => toast.error(errorMessage(e)),
    })
  return (
    <div className="flex items-center gap-3 border-t border-sidebar-border px-4 py-3">
      <div className="flex size-8 shrink-0 items-center justify-center rounded-full bg-sidebar-accent text-sm font-semibold text-sidebar-accent-foreground uppercase">
        {(me.user.name || me.user.email).slice(0, 1)}
      </div>
      <div className="min-w-0 flex-1">
        <p className="truncate text-sm font-medium text-sidebar-accent-foreground" title={me.user.email}>
          {me.user.email}
        </p>
        <p className="truncate text-xs text-sidebar-muted" title={me.workspace.name}>
          {me.workspace.name}
        </p>
      </div>
      <button
        type="button"
        onClick={signOut}
        disabled={logout.isPending}
        className="rounded-md p-2 text-sidebar-muted transition-colors hover:bg-sidebar-accent hover:text-sidebar-accent-foreground focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
        aria-label="Sign out"
        title="Sign out"
      >
        <LogOut className="size-4" />
      </button>
    </div>
  )
}

/** The sidebar; `switcher` adds the workspace switcher (the phone drawer leaves it to the top bar). */
function SidebarContent({ me, switcher = false }: { me: Me; switcher?: boolean }) {
  return (
    <div className="flex h-full flex-col">
      <div className="flex h-14 shrink-0 items-center border-b border-sidebar-border/60 px-5">
        <Brand className="text-sidebar-accent-foreground" />
      </div>
      {switcher && (
        <div className="relative z-10 px-3 pt-3">
          <WorkspaceSwitcher me={me} placement="sidebar" />
        </div>
      )}
      <SidebarNav me={me} />
      <AccountFooter me={me} />
    </div>
  )
}

/** Above every page while a platform admin acts in a workspace they are not a member of. */
function AdminViewBanner({ me }: { me: Me }) {
  return (
    <div
      role="note"
      data-testid="admin-view-banner"
      className="mb-5 flex items-start gap-2.5 rounded-lg border border-warning/50 bg-warning/10 px-3 py-2 text-sm"
    >
      <Eye className="mt-0.5 size-4 shrink-0" aria-hidden="true" />
      <p>
        <span className="font-medium">Admin view of {me.workspace.name}.</span>{' '}
        <span className="text-muted-foreground">
          You are not a member of this workspace; what you change here changes it for its members.
        </span>
      </p>
    </div>
  )
}

/** Replaces the page while the session moves to another workspace. */
function SwitchingWorkspace({ name }: { name: string }) {
  return (
    <div
      role="status"
      aria-live="polite"
      data-testid="switching-workspace"
      className="flex min-h-[50vh] flex-col items-center justify-center gap-3 text-center"
    >
      <Spinner className="size-5 text-muted-foreground" label="Switching workspace" />
      <p className="text-sm text-muted-foreground">
        Switching to <span className="font-medium text-foreground">{name}</span>…
      </p>
    </div>
  )
}

export function AppLayout() {
  const me = useMe().data
  const switchingTo = usePendingWorkspaceSwitch()
  const location = useLocation()
  const navigation = useNavigation()
  const [open, setOpen] = useState(false)
  // Close the drawer after navigating.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on every path change on purpose
  useEffect(() => setOpen(false), [location.pathname])
  if (!me) return null
  return (
    <div className="min-h-dvh lg:grid lg:grid-cols-[15rem_minmax(0,1fr)]">
      <aside className="hidden bg-sidebar text-sidebar-foreground lg:block" data-testid="sidebar">
        <div className="sticky top-0 h-dvh">
          <SidebarContent me={me} switcher />
        </div>
      </aside>
      <div className="flex min-w-0 flex-col">
        <header className="sticky top-0 z-40 flex h-14 items-center gap-2 bg-sidebar px-3 text-sidebar-foreground lg:hidden">
          <Sheet open={open} onOpenChange={setOpen}>
            <SheetTrigger
              className="rounded-md p-2 hover:bg-sidebar-accent focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
              aria-label="Open navigation"
            >
              <Menu className="size-5" />
            </SheetTrigger>
            <SheetContent className="border-sidebar-border bg-sidebar text-sidebar-foreground [&>button]:text-sidebar-foreground">
              <SheetTitle className="sr-only">Navigation</SheetTitle>
              <SheetDescription className="sr-only">Sections of traffoflex</SheetDescription>
              <SidebarContent me={me} />
            </SheetContent>
          </Sheet>
          <Brand className="shrink-0 text-sidebar-accent-foreground" />
          <WorkspaceSwitcher me={me} placement="topbar" className="ml-auto min-w-0" />
        </header>
        <div
          aria-hidden="true"
          className={cn(
            'pointer-events-none fixed inset-x-0 top-0 z-50 h-0.5 origin-left bg-primary transition-transform duration-700',
            navigation.state === 'loading' ? 'scale-x-75' : 'scale-x-0 duration-0',
          )}
        />
        <main className="mx-auto w-full max-w-[1600px] flex-1 px-4 py-5 sm:px-6 lg:px-8 lg:py-7">
          {switchingTo !== undefined ? (
            <SwitchingWorkspace name={switchingTo} />
          ) : (
            <>
              {me.workspace.member === false && <AdminViewBanner me={me} />}
              <InvitationsBanner />
              <Outlet />
            </>
          )}
        </main>
      </div>
    </div>
  )
}
