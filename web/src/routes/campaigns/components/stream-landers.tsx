/**
 * The "Landers" list of the stream form: landers shown before the offer, each with a weight
 * (weighted random among the active ones) and an active toggle. Mounted by stream-form.tsx.
 */
import { Plus, Trash2 } from 'lucide-react'
import { useState } from 'react'
import { Button } from '@/components/ui/button'
import { Input } from '@/components/ui/input'
import { Select } from '@/components/ui/select'
import { useLanders } from '@/hooks/api/landers'
import type { StreamLander } from '@/hooks/api/streams'
import { pickable, pickerLabel } from './campaign-form.lib'
import { CheckboxField } from './shared'
import { draftKey } from './stream-form.lib'

/** A lander row of the editor. */
export interface LanderDraft extends StreamLander {
  key: string
}

export const landersToDraft = (list: StreamLander[] | undefined): LanderDraft[] =>
  (list ?? []).map((l) => ({ ...l, key: draftKey() }))

export const draftToLanders = (list: LanderDraft[]): StreamLander[] =>
  list.map(({ lander_id, weight, active }) => ({ lander_id, weight, active }))

/** Landers of a stream with weight and active toggle (order does not matter: weighted random). */
export function LandersEditor({
  value,
  onChange,
}: {
  value: LanderDraft[]
  onChange: (l: LanderDraft[]) => void
}) {
  // Archived landers too, so one already in the list keeps its name; only live ones are offered.
  const all = useLanders({ limit: 500, status: 'all' })
  const names = new Map((all.data?.items ?? []).map((l) => [l.id, pickerLabel(l)]))
  const unused = pickable(all.data?.items, new Set(value.map((v) => v.lander_id)))
  const [pick, setPick] = useState('')
  const set = (i: number, patch: Partial<LanderDraft>) =>
    onChange(value.map((x, j) => (j === i ? { ...x, ...patch } : x)))
  return (
    <div className="grid gap-2" data-testid="landers-editor">
      {value.length === 0 && (
        <p className="text-sm text-muted-foreground">
          None: visitors go straight to an offer. Add a lander to show it first.
        </p>
      )}
      {value.map((l, i) => (
        <div
          key={l.key}
          className="flex flex-wrap items-center gap-2 rounded-md border p-2"
          data-testid="stream-lander"
        >
          <span className="w-32 min-w-32 flex-1 truncate text-sm font-medium">
            {names.get(l.lander_id) ?? l.lander_id}
          </span>
          <span className="flex items-center gap-1.5 text-sm text-muted-foreground">
            Weight
            <Input
              aria-label="Lander weight"
              inputMode="numeric"
              className="w-20 tabular-nums"
              value={String(l.weight)}
              onChange={(e) => set(i, { weight: Number(e.target.value.replace(/\D/g, '')) || 0 })}
            />
          </span>
          <CheckboxField
            label="Active"
            checked={l.active}
            onChange={(e) => set(i, { active: e.target.checked })}
          />
          <Button
            variant="ghost"
            size="icon"
            aria-label="Remove lander"
            className="text-destructive hover:text-destructive"
            onClick={() => onChange(value.filter((_, j) => j !== i))}
          >
            <Trash2 />
          </Button>
        </div>
      ))}
      <div className="flex flex-col gap-2 sm:flex-row">
        <Select
          aria-label="Lander to add"
          className="sm:w-72"
          value={pick}
          onChange={(e) => setPick(e.target.value)}
        >
          <option value="">Choose a lander…</option>
          {unused.map((l) => (
            <option key={l.id} value={l.id}>
              {l.name}
            </option>
          ))}
        </Select>
        <Button
          variant="outline"
          disabled={!pick}
          onClick={() => {
            onChange([...value, { key: draftKey(), lander_id: pick, weight: 100, active: true }])
            setPick('')
          }}
        >
          <Plus /> Add lander
        </Button>
      </div>
    </div>
  )
}
