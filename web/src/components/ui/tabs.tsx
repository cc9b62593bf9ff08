/**
 * Tabs (shadcn's look, WAI-ARIA tabs pattern: arrow keys move between tabs). Controlled:
 * pass `value` and `onValueChange`; render the active panel yourself or with `TabsContent`.
 */
import * as React from 'react'
import { cn } from '@/lib/utils'

interface TabsContextValue {
  value: string
  onValueChange(value: string): void
  id: string
}
const TabsContext = React.createContext<TabsContextValue | null>(null)
const useTabs = () => {
  const ctx = React.useContext(TabsContext)
  if (!ctx) throw new Error('Tabs parts must be inside <Tabs>')
  return ctx
}

export function Tabs({
  value,
  onValueChange,
  className,
  ...props
}: Omit<React.ComponentProps<'div'>, 'onChange'> & { value: string; onValueChange(value: string): void }) {
  const id = React.useId()
  return (
    <TabsContext.Provider value={{ value, onValueChange, id }}>
      <div data-slot="tabs" className={cn('flex flex-col gap-3', className)} {...props} />
    </TabsContext.Provider>
  )
}

export function TabsList({ className, ...props }: React.ComponentProps<'div'>) {
  const onKeyDown = (e: React.KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return
    const tabs = [...e.currentTarget.querySelectorAll<HTMLButtonElement>('[role="tab"]:not(:disabled)')]
    const i = tabs.indexOf(document.activeElement as HTMLButtonElement)
    if (i === -1) return
    const next = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length]
    next?.focus()
    next?.click()
    e.preventDefault()
  }
  return (
    <div
      role="tablist"
      data-slot="tabs-list"
      onKeyDown={onKeyDown}
      className={cn(
        'inline-flex h-9 w-fit max-w-full items-center overflow-x-auto rounded-lg bg-muted p-[3px] text-muted-foreground',
        className,
      )}
      {...props}
    />
  )
}

export function TabsTrigger({
  value,
  className,
  ...props
}: React.ComponentProps<'button'> & { value: string }) {
  const ctx = useTabs()
  const active = ctx.value === value
  return (
    <button
      type="button"
      role="tab"
      id={`${ctx.id}-tab-${value}`}
      aria-selected={active}
      aria-controls={`${ctx.id}-panel-${value}`}
      tabIndex={active ? 0 : -1}
      data-state={active ? 'active' : 'inactive'}
      onClick={() => ctx.onValueChange(value)}
      className={cn(
        'inline-flex h-full flex-1 items-center justify-center gap-1.5 whitespace-nowrap rounded-md px-3 text-sm font-medium transition-colors outline-none focus-visible:ring-[3px] focus-visible:ring-ring/50',
        active ? 'bg-card text-foreground shadow-sm' : 'hover:text-foreground',
        className,
      )}
      {...props}
    />
  )
}

export function TabsContent({ value, className, ...props }: React.ComponentProps<'div'> & { value: string }) {
  const ctx = useTabs()
  if (ctx.value !== value) return null
  return (
    <div
      role="tabpanel"
      id={`${ctx.id}-panel-${value}`}
      aria-labelledby={`${ctx.id}-tab-${value}`}
      data-slot="tabs-content"
      className={cn('outline-none', className)}
      {...props}
    />
  )
}
