/**
 * The signed-in frame: a dark sidebar with every section on laptops (≥ 1024 px), a top bar
 * with a drawer on phones and tablets, a thin progress bar while a lazy page loads, and the
 * page in `<Outlet />`.
 */
import { LogOut, Menu } from 'lucide-react'
import { useEffect, useState } from 'react'
import { NavLink, Outlet, useLocation, useNavigate, useNavigation } from 'react-router'
import { Sheet, SheetContent, SheetDescription, SheetTitle, SheetTrigger } from '@/components/ui/sheet'
import { toast } from '@/components/ui/sonner'
import { type Me, useLogout, useMe } from '@/hooks/api/auth'
import { errorMessage } from '@/lib/api'
import { navFor } from '@/lib/nav'
import { cn } from '@/lib/utils'
import { Brand } from './brand'

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

function SidebarContent({ me }: { me: Me }) {
  return (
    <div className="flex h-full flex-col">
      <div className="flex h-14 shrink-0 items-center border-b border-sidebar-border/60 px-5">
        <Brand className="text-sidebar-accent-foreground" />
      </div>
      <SidebarNav me={me} />
      <AccountFooter me={me} />
    </div>
  )
}

export function AppLayout() {
  const me = useMe().data
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
          <SidebarContent me={me} />
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
          <Brand className="text-sidebar-accent-foreground" />
        </header>
        <div
          aria-hidden="true"
          className={cn(
            'pointer-events-none fixed inset-x-0 top-0 z-50 h-0.5 origin-left bg-primary transition-transform duration-700',
            navigation.state === 'loading' ? 'scale-x-75' : 'scale-x-0 duration-0',
          )}
        />
        <main className="mx-auto w-full max-w-[1600px] flex-1 px-4 py-5 sm:px-6 lg:px-8 lg:py-7">
          <Outlet />
        </main>
      </div>
    </div>
  )
}
