import { Columns3, Save, Trash2 } from 'lucide-react'
import { useState } from 'react'
import { Button } from '@/components/ui/button'
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogHeader,
  DialogTitle,
  DialogTrigger,
} from '@/components/ui/dialog'
import { Input } from '@/components/ui/input'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import {
  type PresetDefinition,
  type ReportPreset,
  useDeleteReportPreset,
  useReportPresets,
  useSaveReportPreset,
} from '@/hooks/api/report-presets'
import { errorMessage } from '@/lib/api'
import { METRIC_COLUMNS, METRIC_META, type MetricKey, type ReportDimension } from '@/lib/report-meta'
import { cn } from '@/lib/utils'

/** Named presets of the signed-in user: pick one, save the current view as one, delete. */
function Presets({
  current,
  onApply,
}: {
  current: PresetDefinition
  onApply: (d: PresetDefinition) => void
}) {
  const list = useReportPresets()
  const save = useSaveReportPreset()
  const remove = useDeleteReportPreset()
  const [name, setName] = useState('')
  const items = list.data?.items ?? []
  const taken = items.find((p) => p.name.toLowerCase() === name.trim().toLowerCase())
  const submit = (e: React.FormEvent) => {
    e.preventDefault()
    const n = name.trim()
    if (!n) return
    save.mutate(
      { ...(taken ? { id: taken.id } : {}), name: taken?.name ?? n, definition: current },
      {
        onSuccess: (p) => {
          toast.success(taken ? `Preset “${p.name}” updated` : `Preset “${p.name}” saved`)
          setName('')
        },
        onError: (err) => toast.error(errorMessage(err)),
      },
    )
  }
  return (
    <div className="grid gap-2 border-t pt-3" data-testid="report-presets">
      <p className="text-sm font-medium">Presets</p>
      {items.length === 0 ? (
        <p className="text-xs text-muted-foreground">
          None yet. A preset keeps these columns, the grouping and the filters, for you only.
        </p>
      ) : (
        <ul className="flex flex-wrap gap-2">
          {items.map((p: ReportPreset) => (
            <li key={p.id} className="flex items-center rounded-md border">
              <button
                type="button"
                className="max-w-48 truncate px-2.5 py-1 text-sm hover:text-primary"
                title={`Apply “${p.name}”: ${p.definition.columns.length} columns${p.definition.dimensions ? `, by ${p.definition.dimensions.join(', ')}` : ''}`}
                onClick={() => {
                  onApply(p.definition)
                  toast.success(`Preset “${p.name}” applied`)
                }}
              >
                {p.name}
              </button>
              <button
                type="button"
                aria-label={`Delete preset ${p.name}`}
                className="border-l px-1.5 py-1 text-muted-foreground hover:text-destructive"
                disabled={remove.isPending}
                onClick={() => remove.mutate(p.id, { onError: (err) => toast.error(errorMessage(err)) })}
              >
                <Trash2 className="size-3.5" />
              </button>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={submit} className="flex gap-2">
        <Input
          aria-label="Preset name"
          placeholder="Preset name, e.g. Buyer view"
          value={name}
          maxLength={80}
          onChange={(e) => setName(e.target.value)}
        />
        <Button
          type="submit"
          variant="outline"
          disabled={!name.trim() || save.isPending}
          className="shrink-0"
        >
          {save.isPending ? <Spinner /> : <Save />} {taken ? 'Update preset' : 'Save as preset'}
        </Button>
      </form>
    </div>
  )
}

/** Chooses which metric columns the report tables show, and the user's named presets. */
export function ColumnPicker({
  hidden,
  onChange,
  by,
  filters,
  onApplyPreset,
}: {
  hidden: readonly MetricKey[]
  onChange: (hidden: MetricKey[]) => void
  /** The current grouping and filters (saved with a preset). */
  by?: ReportDimension[]
  filters?: Record<string, string[]>
  /** Restores a preset's grouping and filters (its columns are applied here). */
  onApplyPreset?: (d: PresetDefinition) => void
}) {
  const toggle = (key: MetricKey, show: boolean) =>
    onChange(show ? hidden.filter((k) => k !== key) : [...hidden, key])
  const columns = METRIC_COLUMNS.filter((k) => !hidden.includes(k))
  const current: PresetDefinition = {
    columns: columns.length > 0 ? columns : ['clicks'],
    ...(by && by.length > 0 ? { dimensions: by } : {}),
    ...(filters && Object.keys(filters).length > 0 ? { filters } : {}),
  }
  return (
    <Dialog>
      <DialogTrigger asChild>
        <Button variant="outline">
          <Columns3 /> Columns
        </Button>
      </DialogTrigger>
      <DialogContent className="max-h-[90dvh] max-w-md overflow-y-auto">
        <DialogHeader>
          <DialogTitle>Columns</DialogTitle>
          <DialogDescription>Metrics shown in the table. The CSV always has all of them.</DialogDescription>
        </DialogHeader>
        <div className="grid grid-cols-2 gap-2">
          {METRIC_COLUMNS.map((key) => (
            <label
              key={key}
              className={cn(
                'flex cursor-pointer items-center gap-2 rounded-md border px-3 py-2 text-sm has-[:checked]:border-primary/40 has-[:checked]:bg-accent',
              )}
            >
              <input
                type="checkbox"
                className="size-4 accent-[var(--primary)]"
                checked={!hidden.includes(key)}
                onChange={(e) => toggle(key, e.target.checked)}
              />
              <span>
                {METRIC_META[key].label}
                <span className="block text-xs text-muted-foreground">{METRIC_META[key].help}</span>
              </span>
            </label>
          ))}
        </div>
        {onApplyPreset && (
          <Presets
            current={current}
            onApply={(d) => {
              onChange(METRIC_COLUMNS.filter((k) => !d.columns.includes(k)))
              onApplyPreset(d)
            }}
          />
        )}
      </DialogContent>
    </Dialog>
  )
}
