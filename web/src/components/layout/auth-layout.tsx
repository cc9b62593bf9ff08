/**
 * Frame of the public pages (sign in, sign up, approval pending, password reset): the form
 * on the right, a brand panel on the left on laptops; the form alone on phones.
 */
import { ChartColumn, ShieldCheck, Zap } from 'lucide-react'
import { Outlet } from 'react-router'
import { Brand } from './brand'

const POINTS = [
  { icon: Zap, title: 'Route every click', text: 'Rules, caps, schedules and health checks on one link.' },
  { icon: ChartColumn, title: 'See what pays', text: 'Clicks, conversions, revenue, cost, profit and ROI.' },
  {
    icon: ShieldCheck,
    title: 'Yours to run',
    text: 'Self-hosted and open source; your data stays with you.',
  },
]

export function AuthLayout() {
  return (
    <div className="grid min-h-dvh lg:grid-cols-[minmax(0,5fr)_minmax(0,6fr)]">
      <aside className="relative hidden flex-col justify-between overflow-hidden bg-sidebar p-10 text-sidebar-foreground lg:flex">
        <div
          aria-hidden="true"
          className="absolute -top-24 -right-24 size-96 rounded-full bg-primary/30 blur-3xl"
        />
        <Brand className="relative text-sidebar-accent-foreground" />
        <div className="relative flex flex-col gap-6">
          <p className="max-w-md text-3xl font-semibold leading-tight text-sidebar-accent-foreground">
            Traffic distribution and tracking for people who buy traffic.
          </p>
          <ul className="flex flex-col gap-4">
            {POINTS.map((p) => (
              <li key={p.title} className="flex gap-3">
                <div className="flex size-9 shrink-0 items-center justify-center rounded-lg bg-sidebar-accent">
                  <p.icon className="size-4 text-sidebar-accent-foreground" />
                </div>
                <div>
                  <p className="font-medium text-sidebar-accent-foreground">{p.title}</p>
                  <p className="text-sm text-sidebar-muted">{p.text}</p>
                </div>
              </li>
            ))}
          </ul>
        </div>
        <p className="relative text-xs text-sidebar-muted">IP geolocation by DB-IP (db-ip.com).</p>
      </aside>
      <main className="flex flex-col items-center justify-center px-5 py-10 sm:px-8">
        <div className="w-full max-w-md">
          <Brand className="mb-8 lg:hidden" />
          <Outlet />
        </div>
      </main>
    </div>
  )
}
