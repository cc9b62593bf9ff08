/**
 * Building blocks shared by the campaign and destination pages: delete confirmation, status
 * badge, native checkbox, form sections and the timezone list. List-page pieces (search box,
 * pager, list state) are in `@/components/common/list`.
 */
import type * as React from 'react'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
} from '@/components/ui/dialog'
import { Spinner } from '@/components/ui/spinner'
import { cn } from '@/lib/utils'

/** Confirmation dialog of a destructive action. */
export function ConfirmDialog({
  open,
  title,
  description,
  confirmLabel,
  pending,
  onConfirm,
  onClose,
}: {
  open: boolean
  title: React.ReactNode
  description: React.ReactNode
  confirmLabel: string
  pending: boolean
  onConfirm: () => void
  onClose: () => void
}) {
  return (
    <Dialog open={open} onOpenChange={(o) => !o && onClose()}>
      <DialogContent data-testid="confirm-dialog">
        <DialogHeader>
          <DialogTitle>{title}</DialogTitle>
          <DialogDescription>{description}</DialogDescription>
        </DialogHeader>
        <DialogFooter>
          <Button variant="outline" onClick={onClose}>
            Cancel
          </Button>
          <Button variant="destructive" onClick={onConfirm} disabled={pending}>
            {pending && <Spinner />} {confirmLabel}
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  )
}

/** active / paused / archived. */
export function StatusBadge({ status }: { status: string | undefined }) {
  const s = status ?? 'active'
  return (
    <Badge
      variant={s === 'active' ? 'success' : s === 'paused' ? 'warning' : 'secondary'}
      className="capitalize"
    >
      {s}
    </Badge>
  )
}

/** A styled native checkbox with its label on the right. */
export function CheckboxField({
  label,
  className,
  ...props
}: { label: React.ReactNode } & React.ComponentProps<'input'>) {
  return (
    <label className={cn('inline-flex cursor-pointer items-center gap-2 text-sm select-none', className)}>
      <input type="checkbox" className="size-4 rounded border-input accent-primary" {...props} />
      {label}
    </label>
  )
}

/** The Cancel / submit row at the end of a form (submit shows a spinner while saving). */
export function FormActions({
  onCancel,
  isSubmitting,
  submitLabel,
}: {
  onCancel: () => void
  isSubmitting: boolean
  submitLabel: React.ReactNode
}) {
  return (
    <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
      <Button type="button" variant="outline" onClick={onCancel}>
        Cancel
      </Button>
      <Button type="submit" disabled={isSubmitting}>
        {isSubmitting && <Spinner />} {submitLabel}
      </Button>
    </div>
  )
}

/** Section of a long form: a heading, a hint and its fields. */
export function FormSection({
  title,
  description,
  children,
  className,
}: {
  title: React.ReactNode
  description?: React.ReactNode
  children: React.ReactNode
  className?: string
}) {
  return (
    <fieldset className={cn('grid gap-4 border-t pt-5 first:border-t-0 first:pt-0', className)}>
      <div>
        <legend className="font-medium">{title}</legend>
        {description && <p className="text-sm text-muted-foreground">{description}</p>}
      </div>
      {children}
    </fieldset>
  )
}

/** IANA timezone names for a `<datalist>` (the browser's list; UTC first). */
export function timezoneNames(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] }
  const all = intl.supportedValuesOf?.('timeZone') ?? []
  return ['UTC', ...all.filter((z) => z !== 'UTC')]
}

/** `<datalist id="timezones">` to attach to timezone inputs (`list="timezones"`). */
export function TimezoneList() {
  return (
    <datalist id="timezones">
      {timezoneNames().map((z) => (
        <option key={z} value={z} />
      ))}
    </datalist>
  )
}
