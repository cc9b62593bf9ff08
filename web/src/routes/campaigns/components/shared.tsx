/**
 * Building blocks shared by the campaign and destination pages: search box, pager, delete
 * confirmation, status badge, native checkbox, and the list-page state (search + offset).
 */
import { ChevronLeft, ChevronRight, Search } from 'lucide-react'
import { useDeferredValue, useState } from 'react'
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
import { Input } from '@/components/ui/input'
import { Spinner } from '@/components/ui/spinner'
import { formatInt } from '@/lib/format'
import { cn } from '@/lib/utils'

/** Rows per page of the list pages. */
export const PAGE_SIZE = 20

/** Search text and page offset of a list page; the query sent lags typing (deferred). */
export function useListState() {
  const [q, setQ] = useState('')
  const [offset, setOffset] = useState(0)
  const deferredQ = useDeferredValue(q.trim())
  return {
    q,
    setQ: (next: string) => {
      setQ(next)
      setOffset(0)
    },
    offset,
    setOffset,
    params: { limit: PAGE_SIZE, offset, ...(deferredQ ? { q: deferredQ } : {}) },
  }
}

/** Search input with a magnifier icon. */
export function SearchBox({
  value,
  onChange,
  placeholder,
}: {
  value: string
  onChange: (v: string) => void
  placeholder: string
}) {
  return (
    <div className="relative w-full sm:w-72">
      <Search className="pointer-events-none absolute top-1/2 left-2.5 size-4 -translate-y-1/2 text-muted-foreground" />
      <Input
        type="search"
        aria-label={placeholder}
        placeholder={placeholder}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        className="pl-8"
      />
    </div>
  )
}

/** "1–20 of 57" with previous/next buttons. */
export function Pager({
  offset,
  limit,
  total,
  onOffset,
}: {
  offset: number
  limit: number
  total: number
  onOffset: (o: number) => void
}) {
  if (total <= limit && offset === 0) return null
  const last = Math.min(offset + limit, total)
  return (
    <div className="flex items-center justify-between gap-2 border-t px-4 pt-3 pb-1 text-sm text-muted-foreground">
      <span className="tabular-nums">
        {total === 0 ? 0 : offset + 1}–{last} of {formatInt(total)}
      </span>
      <div className="flex gap-2">
        <Button
          variant="outline"
          size="sm"
          disabled={offset === 0}
          onClick={() => onOffset(Math.max(0, offset - limit))}
        >
          <ChevronLeft /> Previous
        </Button>
        <Button variant="outline" size="sm" disabled={last >= total} onClick={() => onOffset(offset + limit)}>
          Next <ChevronRight />
        </Button>
      </div>
    </div>
  )
}

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
