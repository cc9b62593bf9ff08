/**
 * The report filters as removable chips, and a dialog to add one. Filters are URL
 * parameters named as the API names them (`campaign_id`, `country`, `sub1` …); several
 * values of one filter are alternatives, different filters combine with AND.
 */
import { Filter, Plus, X } from 'lucide-react'
import { type FormEvent, useState } from 'react'
import { FormField } from '@/components/common/form-field'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
  DialogTrigger,
} from '@/components/ui/dialog'
import { Input } from '@/components/ui/input'
import { Select } from '@/components/ui/select'
import { useNames } from '@/hooks/use-names'
import {
  DIMENSION_GROUPS,
  dimensionLabel,
  EMPTY_KEY_LABEL,
  FILTER_PARAMS,
  isIdDimension,
  type ReportDimension,
} from '@/lib/report-meta'
import { FILTER_DIMENSION } from '@/lib/report-url'

export function FilterBar({
  filters,
  onChange,
}: {
  filters: Record<string, string[]>
  onChange: (filters: Record<string, string[]>) => void
}) {
  const dims = Object.keys(filters).map((p) => FILTER_DIMENSION[p]!)
  const { nameOf } = useNames(dims)
  const entries = Object.entries(filters)
  const remove = (param: string) => {
    const next = { ...filters }
    delete next[param]
    onChange(next)
  }
  const add = (dim: ReportDimension, values: string[]) => {
    const param = FILTER_PARAMS[dim]
    onChange({ ...filters, [param]: [...new Set([...(filters[param] ?? []), ...values])] })
  }
  return (
    <div className="flex flex-wrap items-center gap-2" data-testid="filter-bar">
      {entries.map(([param, values]) => {
        const dim = FILTER_DIMENSION[param]!
        return (
          <Badge
            key={param}
            variant="outline"
            className="h-8 gap-1.5 bg-card pr-1 pl-2.5 text-sm font-normal"
          >
            <span className="text-muted-foreground">{dimensionLabel(dim)}:</span>
            <span className="max-w-48 truncate font-medium">
              {values.map((v) => (v === '' ? EMPTY_KEY_LABEL : nameOf(dim, v))).join(', ')}
            </span>
            <button
              type="button"
              onClick={() => remove(param)}
              className="rounded-sm p-0.5 text-muted-foreground hover:bg-muted hover:text-foreground"
              aria-label={`Remove the ${dimensionLabel(dim)} filter`}
            >
              <X className="size-3.5" />
            </button>
          </Badge>
        )
      })}
      <AddFilter onAdd={add} />
      {entries.length > 1 && (
        <Button variant="ghost" size="sm" onClick={() => onChange({})}>
          Clear all
        </Button>
      )}
    </div>
  )
}

function AddFilter({ onAdd }: { onAdd: (dim: ReportDimension, values: string[]) => void }) {
  const [open, setOpen] = useState(false)
  const [dim, setDim] = useState<ReportDimension>('country')
  const [text, setText] = useState('')
  const [picked, setPicked] = useState('')
  const { options } = useNames(isIdDimension(dim) ? [dim] : [])
  const idDim = isIdDimension(dim)
  const values = idDim
    ? picked
      ? [picked]
      : []
    : text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (values.length === 0) return
    onAdd(dim, dim === 'country' ? values.map((v) => v.toUpperCase()) : values)
    setText('')
    setPicked('')
    setOpen(false)
  }
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button variant="outline" size="sm" className="h-8 border-dashed">
          <Plus /> Add filter
        </Button>
      </DialogTrigger>
      <DialogContent className="max-w-md">
        <form onSubmit={submit} className="grid gap-4">
          <DialogHeader>
            <DialogTitle className="flex items-center gap-2">
              <Filter className="size-4" /> Add a filter
            </DialogTitle>
            <DialogDescription>Only rows matching every filter are counted.</DialogDescription>
          </DialogHeader>
          <FormField id="filter-dim" label="Dimension">
            <Select
              id="filter-dim"
              value={dim}
              onChange={(e) => {
                setDim(e.target.value as ReportDimension)
                setPicked('')
              }}
            >
              {DIMENSION_GROUPS.map((g) => (
                <optgroup key={g.label} label={g.label}>
                  {g.dims.map((d) => (
                    <option key={d} value={d}>
                      {dimensionLabel(d)}
                    </option>
                  ))}
                </optgroup>
              ))}
            </Select>
          </FormField>
          {idDim ? (
            <FormField id="filter-value" label={dimensionLabel(dim)}>
              <Select id="filter-value" value={picked} onChange={(e) => setPicked(e.target.value)}>
                <option value="">Choose…</option>
                {options(dim).map((o) => (
                  <option key={o.id} value={o.id}>
                    {o.name}
                  </option>
                ))}
              </Select>
            </FormField>
          ) : (
            <FormField
              id="filter-value"
              label="Values"
              hint={
                dim === 'country' ? 'Country codes, comma separated: DE, AT' : 'Comma separated for several'
              }
            >
              <Input
                id="filter-value"
                value={text}
                onChange={(e) => setText(e.target.value)}
                autoComplete="off"
              />
            </FormField>
          )}
          <DialogFooter>
            <Button type="submit" disabled={values.length === 0}>
              Add filter
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  )
}
