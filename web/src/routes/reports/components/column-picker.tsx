import { Columns3 } from 'lucide-react'
import { Button } from '@/components/ui/button'
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogHeader,
  DialogTitle,
  DialogTrigger,
} from '@/components/ui/dialog'
import { METRIC_COLUMNS, METRIC_META, type MetricKey } from '@/lib/report-meta'

/** Chooses which metric columns the report tables show. */
export function ColumnPicker({
  hidden,
  onChange,
}: {
  hidden: readonly MetricKey[]
  onChange: (hidden: MetricKey[]) => void
}) {
  const toggle = (key: MetricKey, show: boolean) =>
    onChange(show ? hidden.filter((k) => k !== key) : [...hidden, key])
  return (
    <Dialog>
      <DialogTrigger asChild>
        <Button variant="outline">
          <Columns3 /> Columns
        </Button>
      </DialogTrigger>
      <DialogContent className="max-w-md">
        <DialogHeader>
          <DialogTitle>Columns</DialogTitle>
          <DialogDescription>Metrics shown in the table. The CSV always has all of them.</DialogDescription>
        </DialogHeader>
        <div className="grid grid-cols-2 gap-2">
          {METRIC_COLUMNS.map((key) => (
            <label
              key={key}
              className="flex cursor-pointer items-center gap-2 rounded-md border px-3 py-2 text-sm has-[:checked]:border-primary/40 has-[:checked]:bg-accent"
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
      </DialogContent>
    </Dialog>
  )
}
