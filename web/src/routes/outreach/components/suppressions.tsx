/**
 * `/outreach/suppressions` — addresses never emailed again: unsubscribes, bounces, hard SMTP
 * refusals and the ones added by hand or imported. Search (server-side `?q=`), add one, import
 * a CSV (pasted or a file: the first column, or a column named `email`), remove.
 */
import { Ban, FileUp, Plus, Trash2, Upload } from 'lucide-react'
import type * as React from 'react'
import { useDeferredValue, useState } from 'react'
import { EmptyState, QueryStates } from '@/components/common/states'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card } from '@/components/ui/card'
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
} from '@/components/ui/dialog'
import { Input } from '@/components/ui/input'
import { Label } from '@/components/ui/label'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import {
  type ImportResult,
  type Suppression,
  useAddSuppression,
  useImportSuppressions,
  useRemoveSuppression,
  useSuppressions,
} from '@/hooks/api/outreach'
import { ApiError, errorMessage } from '@/lib/api'
import { formatDateTime, formatInt } from '@/lib/format'
import { ConfirmDialog } from '../../campaigns/components/shared'
import { Textarea } from './shared'

const REASON_LABEL: Record<string, string> = {
  unsubscribe: 'unsubscribed',
  bounce: 'bounced',
  manual: 'added by hand',
  import: 'imported',
  smtp_5xx: 'refused (SMTP 5xx)',
}

export function Suppressions() {
  const [q, setQ] = useState('')
  const deferred = useDeferredValue(q.trim())
  const list = useSuppressions(deferred)
  const remove = useRemoveSuppression()
  const [removing, setRemoving] = useState<Suppression | null>(null)
  const [importing, setImporting] = useState(false)
  const items = list.data ?? []
  return (
    <div className="flex flex-col gap-4">
      <p className="text-sm text-muted-foreground">
        No campaign ever emails these addresses. Unsubscribes and bounces are added on their own.
      </p>
      <Card className="gap-0 py-2">
        <div className="flex flex-wrap items-start gap-2 border-b px-4 pt-1 pb-3">
          <Input
            type="search"
            aria-label="Search addresses"
            placeholder="Search addresses"
            className="w-full sm:w-72"
            value={q}
            onChange={(e) => setQ(e.target.value)}
          />
          <div className="flex flex-wrap gap-2 sm:ml-auto">
            <AddOne />
            <Button variant="outline" onClick={() => setImporting(true)} data-testid="import-open">
              <FileUp /> Import CSV
            </Button>
          </div>
        </div>
        <QueryStates
          query={list}
          skeleton={{ rows: 4, columns: 4 }}
          isEmpty={items.length === 0}
          empty={
            <EmptyState
              icon={Ban}
              title={deferred ? 'No matches' : 'No suppressed address'}
              description={
                deferred
                  ? `No suppressed address contains “${deferred}”.`
                  : 'Add addresses that must never get an email, or import a list you already have.'
              }
            />
          }
        >
          <Table data-testid="suppressions-table">
            <TableHeader>
              <TableRow className="hover:bg-transparent">
                <TableHead>Address</TableHead>
                <TableHead>Reason</TableHead>
                <TableHead className="hidden sm:table-cell">Added</TableHead>
                <TableHead className="w-0">
                  <span className="sr-only">Actions</span>
                </TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {items.map((s) => (
                <TableRow key={s.email} data-testid="suppression-row">
                  <TableCell className="max-w-40 sm:max-w-64">
                    <div className="truncate font-mono text-xs" title={s.email}>
                      {s.email}
                    </div>
                    {s.detail && <div className="truncate text-xs text-muted-foreground">{s.detail}</div>}
                  </TableCell>
                  <TableCell>
                    <Badge variant={s.reason === 'manual' || s.reason === 'import' ? 'outline' : 'secondary'}>
                      {REASON_LABEL[s.reason] ?? s.reason}
                    </Badge>
                  </TableCell>
                  <TableCell className="hidden text-sm whitespace-nowrap text-muted-foreground sm:table-cell">
                    {formatDateTime(s.created_at)}
                  </TableCell>
                  <TableCell>
                    <Button
                      variant="ghost"
                      size="icon"
                      className="text-destructive hover:text-destructive"
                      aria-label={`Remove ${s.email}`}
                      onClick={() => setRemoving(s)}
                    >
                      <Trash2 />
                    </Button>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </QueryStates>
      </Card>
      <ImportDialog open={importing} onClose={() => setImporting(false)} />
      <ConfirmDialog
        open={removing !== null}
        title={`Remove ${removing?.email ?? ''}?`}
        description={
          removing?.reason === 'unsubscribe'
            ? 'This person unsubscribed. Emailing them again may break the law and your sender reputation.'
            : 'Campaigns may email this address again.'
        }
        confirmLabel="Remove"
        pending={remove.isPending}
        onClose={() => setRemoving(null)}
        onConfirm={() =>
          removing &&
          remove.mutate(removing.email, {
            onSuccess: () => {
              toast.success(`${removing.email} removed`)
              setRemoving(null)
            },
            onError: (e) => {
              toast.error(errorMessage(e))
              setRemoving(null)
            },
          })
        }
      />
    </div>
  )
}

/** Adds one address (inline form). */
function AddOne() {
  const add = useAddSuppression()
  const [email, setEmail] = useState('')
  const [error, setError] = useState<string | null>(null)
  const submit = (e: React.FormEvent) => {
    e.preventDefault()
    const v = email.trim()
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)) {
      setError('An email address such as name@example.com')
      return
    }
    add.mutate(
      { email: v },
      {
        onSuccess: () => {
          toast.success(`${v} suppressed`)
          setEmail('')
          setError(null)
        },
        onError: (err) =>
          setError(err instanceof ApiError ? (err.fieldError('email') ?? err.message) : errorMessage(err)),
      },
    )
  }
  return (
    <form
      onSubmit={submit}
      noValidate
      className="flex min-w-0 flex-wrap items-start gap-2"
      data-testid="suppression-add"
    >
      <div className="grid min-w-0 gap-1">
        <Input
          type="email"
          aria-label="Address to suppress"
          placeholder="name@example.com"
          className="w-full sm:w-60"
          value={email}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'suppress-error' : undefined}
          onChange={(e) => {
            setEmail(e.target.value)
            setError(null)
          }}
        />
        {error && (
          <p id="suppress-error" className="text-sm text-destructive" role="alert">
            {error}
          </p>
        )}
      </div>
      <Button type="submit" disabled={add.isPending}>
        {add.isPending ? <Spinner /> : <Plus />} Add
      </Button>
    </form>
  )
}

function ImportDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const imp = useImportSuppressions()
  const [csv, setCsv] = useState('')
  const [result, setResult] = useState<ImportResult | null>(null)
  const close = () => {
    setCsv('')
    setResult(null)
    imp.reset()
    onClose()
  }
  const onFile = async (f: File | undefined) => {
    if (f) setCsv(await f.text())
  }
  return (
    <Dialog open={open} onOpenChange={(o) => !o && close()}>
      <DialogContent data-testid="import-dialog">
        <DialogHeader>
          <DialogTitle>Import addresses</DialogTitle>
          <DialogDescription>
            A CSV: the first column, or the column named <code>email</code>. One address per line works too.
          </DialogDescription>
        </DialogHeader>
        {result ? (
          <div className="grid gap-2 text-sm" data-testid="import-result">
            <p>
              <span className="font-medium">{formatInt(result.added)}</span> added ·{' '}
              {formatInt(result.skipped)} already there · {formatInt(result.invalid.length)} invalid
            </p>
            {result.invalid.length > 0 && (
              <ul className="max-h-40 overflow-auto rounded-md border p-2 font-mono text-xs">
                {result.invalid.map((i) => (
                  <li key={i.line}>
                    line {i.line}: {i.value || '(empty)'}
                  </li>
                ))}
              </ul>
            )}
          </div>
        ) : (
          <div className="grid gap-3">
            <div className="grid gap-1.5">
              <Label htmlFor="import-file">File</Label>
              <Input
                id="import-file"
                type="file"
                accept=".csv,text/csv,text/plain"
                onChange={(e) => void onFile(e.target.files?.[0])}
              />
            </div>
            <div className="grid gap-1.5">
              <Label htmlFor="import-csv">or paste</Label>
              <Textarea
                id="import-csv"
                rows={6}
                className="font-mono text-xs"
                placeholder={'email\nname@example.com\nother@example.org'}
                value={csv}
                onChange={(e) => setCsv(e.target.value)}
              />
            </div>
            {imp.isError && (
              <Alert variant="destructive">
                <AlertDescription>{errorMessage(imp.error)}</AlertDescription>
              </Alert>
            )}
          </div>
        )}
        <DialogFooter>
          <Button variant="outline" onClick={close}>
            {result ? 'Close' : 'Cancel'}
          </Button>
          {!result && (
            <Button
              disabled={!csv.trim() || imp.isPending}
              onClick={() => imp.mutate(csv, { onSuccess: (r) => setResult(r) })}
              data-testid="import-submit"
            >
              {imp.isPending ? <Spinner /> : <Upload />} Import
            </Button>
          )}
        </DialogFooter>
      </DialogContent>
    </Dialog>
  )
}
