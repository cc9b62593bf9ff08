/** Toasts (shadcn's `sonner` wrapper): `toast.success('Saved')` anywhere, `<Toaster />` once in the app. */
import type * as React from 'react'
import { Toaster as Sonner, type ToasterProps } from 'sonner'

export { toast } from 'sonner'

export function Toaster(props: ToasterProps) {
  return (
    <Sonner
      theme="light"
      position="bottom-right"
      closeButton
      style={
        {
          '--normal-bg': 'var(--popover)',
          '--normal-text': 'var(--popover-foreground)',
          '--normal-border': 'var(--border)',
        } as React.CSSProperties
      }
      {...props}
    />
  )
}
