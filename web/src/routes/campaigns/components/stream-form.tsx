/**
 * Create/edit form of a stream: name, kind, priority, strategy, active, the CONDITION
 * editor (groups joined AND/OR, rules joined AND/OR, each rule type + IS/IS NOT + values)
 * and the DESTINATIONS editor (add, remove, reorder, weight, active).
 */
import { zodResolver } from '@hookform/resolvers/zod'
import { ArrowDown, ArrowUp, CircleAlert, Plus, Trash2, X } from 'lucide-react'
import { useState } from 'react'
import { useForm } from 'react-hook-form'
import { z } from 'zod'
import { FormField, fieldAria } from '@/components/common/form-field'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Button } from '@/components/ui/button'
import { Card, CardContent } from '@/components/ui/card'
import { Input } from '@/components/ui/input'
import { Select } from '@/components/ui/select'
import { Spinner } from '@/components/ui/spinner'
import { useDestinations } from '@/hooks/api/destinations'
import type { Stream, StreamBody } from '@/hooks/api/streams'
import { applyApiErrors } from '@/lib/forms'
import { pickable, pickerLabel } from './campaign-form.lib'
import { CheckboxField, FormSection } from './shared'
import { draftToLanders, LandersEditor, landersToDraft } from './stream-landers'
import {
  type ConditionsDraft,
  conditionsToDraft,
  type DestinationDraft,
  destinationsToDraft,
  draftKey,
  draftToConditions,
  draftToDestinations,
  type GroupDraft,
  move,
  newGroup,
  newRule,
  PARAM_NAMES,
  RULE_LABELS,
  RULE_TYPES,
  type RuleDraft,
  ruleFields,
  valueHint,
} from './stream-form.lib'

const schema = z.object({
  name: z.string().trim().min(1, 'Enter a name').max(200),
  kind: z.enum(['forced', 'regular', 'default']),
  priority: z.string().regex(/^\d{1,6}$/, 'A whole number 0–100000'),
  strategy: z.enum(['waterfall', 'round_robin', 'weighted', 'best_roi']),
  active: z.boolean(),
})
type Values = z.infer<typeof schema>
const FIELDS = ['name', 'kind', 'priority', 'strategy'] as const
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']

function JoinSelect({
  value,
  onChange,
  label,
}: {
  value: 'and' | 'or'
  onChange: (v: 'and' | 'or') => void
  label: string
}) {
  return (
    <Select
      aria-label={label}
      className="w-24"
      value={value}
      onChange={(e) => onChange(e.target.value as 'and' | 'or')}
    >
      <option value="and">AND</option>
      <option value="or">OR</option>
    </Select>
  )
}

function RuleEditor({
  rule,
  onChange,
  onRemove,
  testId,
}: {
  rule: RuleDraft
  onChange: (r: RuleDraft) => void
  onRemove: () => void
  testId: string
}) {
  const set = (patch: Partial<RuleDraft>) => onChange({ ...rule, ...patch })
  const fields = ruleFields(rule.type)
  const hasValues = fields === 'values' || fields === 'name_values'
  return (
    <div className="flex flex-wrap items-start gap-2 rounded-md bg-muted/50 p-2" data-testid={testId}>
      <Select
        aria-label="Rule type"
        className="w-full sm:w-40"
        value={rule.type}
        onChange={(e) => set({ type: e.target.value })}
      >
        {RULE_TYPES.map((t) => (
          <option key={t} value={t}>
            {RULE_LABELS[t]}
          </option>
        ))}
      </Select>
      {fields === 'name_values' && (
        <>
          <Input
            aria-label="Parameter name"
            list="param-names"
            className="w-full sm:w-32"
            value={rule.name}
            onChange={(e) => set({ name: e.target.value })}
          />
          <datalist id="param-names">
            {PARAM_NAMES.map((p) => (
              <option key={p} value={p} />
            ))}
          </datalist>
        </>
      )}
      <Select
        aria-label="Operator"
        className="w-28"
        value={rule.op}
        onChange={(e) => set({ op: e.target.value as 'is' | 'is_not' })}
      >
        <option value="is">IS</option>
        <option value="is_not">IS NOT</option>
      </Select>
      {hasValues && (
        <Input
          aria-label="Values"
          className="min-w-40 flex-1"
          placeholder={valueHint(rule.type) ?? 'comma-separated values'}
          value={rule.values}
          onChange={(e) => set({ values: e.target.value })}
        />
      )}
      {fields === 'schedule' && (
        <div className="flex flex-1 flex-wrap items-center gap-2">
          {WEEKDAYS.map((d, i) => (
            <CheckboxField
              key={d}
              label={d}
              checked={rule.days.includes(i + 1)}
              onChange={(e) =>
                set({ days: e.target.checked ? [...rule.days, i + 1] : rule.days.filter((x) => x !== i + 1) })
              }
            />
          ))}
          <Input
            type="time"
            aria-label="From"
            className="w-28"
            value={rule.from}
            onChange={(e) => set({ from: e.target.value })}
          />
          <Input
            type="time"
            aria-label="To"
            className="w-28"
            value={rule.to}
            onChange={(e) => set({ to: e.target.value })}
          />
        </div>
      )}
      {fields === 'window' && (
        <Input
          aria-label="Window (seconds)"
          inputMode="numeric"
          className="w-32"
          value={rule.window_seconds}
          onChange={(e) => set({ window_seconds: e.target.value })}
        />
      )}
      <Button variant="ghost" size="icon" aria-label="Remove rule" onClick={onRemove}>
        <X />
      </Button>
    </div>
  )
}

/** Groups of rules; an empty editor means "all traffic". */
export function ConditionEditor({
  value,
  onChange,
}: {
  value: ConditionsDraft
  onChange: (d: ConditionsDraft) => void
}) {
  const setGroup = (i: number, g: GroupDraft) =>
    onChange({ ...value, groups: value.groups.map((x, j) => (j === i ? g : x)) })
  return (
    <div className="grid gap-3" data-testid="condition-editor">
      {value.groups.length === 0 && (
        <p className="text-sm text-muted-foreground">
          No conditions: the stream takes all traffic that reaches it.
        </p>
      )}
      {value.groups.map((g, gi) => (
        <div key={g.key} className="grid gap-2">
          {gi > 0 && (
            <div className="flex items-center gap-2">
              <JoinSelect
                label="Join groups"
                value={value.join}
                onChange={(join) => onChange({ ...value, join })}
              />
              <span className="text-xs text-muted-foreground">between groups</span>
            </div>
          )}
          <div className="grid gap-2 rounded-lg border p-3" data-testid="condition-group">
            <div className="flex items-center justify-between gap-2">
              <div className="flex items-center gap-2 text-sm">
                <span className="font-medium">Group {gi + 1}</span>
                <span className="text-muted-foreground">rules joined by</span>
                <JoinSelect
                  label="Join rules"
                  value={g.join}
                  onChange={(join) => setGroup(gi, { ...g, join })}
                />
              </div>
              <Button
                variant="ghost"
                size="sm"
                className="text-destructive hover:text-destructive"
                onClick={() => onChange({ ...value, groups: value.groups.filter((_, j) => j !== gi) })}
              >
                <Trash2 /> <span className="hidden sm:inline">Remove group</span>
              </Button>
            </div>
            {g.rules.map((r, ri) => (
              <RuleEditor
                key={r.key}
                rule={r}
                testId={`rule-${gi}-${ri}`}
                onChange={(nr) => setGroup(gi, { ...g, rules: g.rules.map((x, j) => (j === ri ? nr : x)) })}
                onRemove={() => setGroup(gi, { ...g, rules: g.rules.filter((_, j) => j !== ri) })}
              />
            ))}
            <Button
              variant="outline"
              size="sm"
              className="w-fit"
              onClick={() => setGroup(gi, { ...g, rules: [...g.rules, newRule()] })}
            >
              <Plus /> Add rule
            </Button>
          </div>
        </div>
      ))}
      <Button
        variant="outline"
        size="sm"
        className="w-fit"
        onClick={() => onChange({ ...value, groups: [...value.groups, newGroup()] })}
      >
        <Plus /> Add condition group
      </Button>
    </div>
  )
}

/** Ordered destinations of a stream with weight and active toggle. */
export function DestinationsEditor({
  value,
  onChange,
}: {
  value: DestinationDraft[]
  onChange: (d: DestinationDraft[]) => void
}) {
  // Archived offers too, so one already in the list keeps its name; only live ones are offered.
  const all = useDestinations({ limit: 500, status: 'all' })
  const names = new Map((all.data?.items ?? []).map((d) => [d.id, pickerLabel(d)]))
  const unused = pickable(all.data?.items, new Set(value.map((v) => v.destination_id)))
  const [pick, setPick] = useState('')
  const set = (i: number, patch: Partial<DestinationDraft>) =>
    onChange(value.map((x, j) => (j === i ? { ...x, ...patch } : x)))
  return (
    <div className="grid gap-2" data-testid="destinations-editor">
      {value.length === 0 && (
        <p className="text-sm text-muted-foreground">No destinations yet: add at least one.</p>
      )}
      {value.map((d, i) => (
        <div
          key={d.key}
          className="flex flex-wrap items-center gap-2 rounded-md border p-2"
          data-testid="stream-destination"
        >
          <span className="w-6 text-right text-sm text-muted-foreground tabular-nums">{i + 1}.</span>
          <span className="w-32 min-w-32 flex-1 truncate text-sm font-medium">
            {names.get(d.destination_id) ?? d.destination_id}
          </span>
          <span className="flex items-center gap-1.5 text-sm text-muted-foreground">
            Weight
            <Input
              aria-label="Weight"
              inputMode="numeric"
              className="w-20 tabular-nums"
              value={String(d.weight)}
              onChange={(e) => set(i, { weight: Number(e.target.value.replace(/\D/g, '')) || 0 })}
            />
          </span>
          <CheckboxField
            label="Active"
            checked={d.active}
            onChange={(e) => set(i, { active: e.target.checked })}
          />
          <div className="flex">
            <Button
              variant="ghost"
              size="icon"
              aria-label="Move up"
              disabled={i === 0}
              onClick={() => onChange(move(value, i, -1))}
            >
              <ArrowUp />
            </Button>
            <Button
              variant="ghost"
              size="icon"
              aria-label="Move down"
              disabled={i === value.length - 1}
              onClick={() => onChange(move(value, i, 1))}
            >
              <ArrowDown />
            </Button>
            <Button
              variant="ghost"
              size="icon"
              aria-label="Remove destination"
              className="text-destructive hover:text-destructive"
              onClick={() => onChange(value.filter((_, j) => j !== i))}
            >
              <Trash2 />
            </Button>
          </div>
        </div>
      ))}
      <div className="flex flex-col gap-2 sm:flex-row">
        <Select
          aria-label="Destination to add"
          className="sm:w-72"
          value={pick}
          onChange={(e) => setPick(e.target.value)}
        >
          <option value="">Choose a destination…</option>
          {unused.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </Select>
        <Button
          variant="outline"
          disabled={!pick}
          onClick={() => {
            onChange([...value, { key: draftKey(), destination_id: pick, weight: 100, active: true }])
            setPick('')
          }}
        >
          <Plus /> Add destination
        </Button>
      </div>
    </div>
  )
}

export function StreamForm({
  campaignId,
  stream,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  campaignId: string
  stream?: Stream
  submitLabel: string
  onSubmit: (body: StreamBody) => Promise<unknown>
  onCancel: () => void
}) {
  const form = useForm<Values>({
    resolver: zodResolver(schema),
    defaultValues: {
      name: stream?.name ?? '',
      kind: stream?.kind ?? 'regular',
      priority: String(stream?.priority ?? 100),
      strategy: stream?.strategy ?? 'weighted',
      active: stream?.active ?? true,
    },
  })
  const [conditions, setConditions] = useState(() => conditionsToDraft(stream?.conditions))
  const [destinations, setDestinations] = useState(() => destinationsToDraft(stream?.destinations))
  const [landers, setLanders] = useState(() => landersToDraft(stream?.landers))
  const { errors, isSubmitting } = form.formState
  const kind = form.watch('kind')
  const submit = form.handleSubmit(async (v) => {
    try {
      await onSubmit({
        campaign_id: campaignId,
        name: v.name.trim(),
        kind: v.kind,
        priority: Number(v.priority),
        strategy: v.strategy,
        exploration: stream?.exploration ?? 0.1,
        active: v.active,
        conditions: draftToConditions(conditions),
        destinations: draftToDestinations(destinations),
        landers: draftToLanders(landers),
      })
    } catch (e) {
      applyApiErrors(e, form.setError, FIELDS)
    }
  })
  return (
    <form onSubmit={submit} noValidate data-testid="stream-form">
      <Card>
        <CardContent className="grid gap-6">
          {errors.root?.server && (
            <Alert variant="destructive">
              <CircleAlert />
              <AlertDescription>{errors.root.server.message}</AlertDescription>
            </Alert>
          )}
          <FormSection title="Stream">
            <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
              <FormField
                id="s-name"
                label="Name"
                error={errors.name?.message}
                className="sm:col-span-2 lg:col-span-1"
              >
                <Input
                  autoComplete="off"
                  {...fieldAria('s-name', errors.name?.message)}
                  {...form.register('name')}
                />
              </FormField>
              <FormField
                id="s-kind"
                label="Kind"
                error={errors.kind?.message}
                hint={
                  kind === 'forced'
                    ? 'Runs first, always.'
                    : kind === 'default'
                      ? 'Takes what no other stream took.'
                      : 'Runs by priority.'
                }
              >
                <Select {...fieldAria('s-kind', errors.kind?.message)} {...form.register('kind')}>
                  <option value="forced">Forced</option>
                  <option value="regular">Regular</option>
                  <option value="default">Default</option>
                </Select>
              </FormField>
              <FormField
                id="s-priority"
                label="Priority"
                error={errors.priority?.message}
                hint="Lower runs first."
              >
                <Input
                  inputMode="numeric"
                  {...fieldAria('s-priority', errors.priority?.message)}
                  {...form.register('priority')}
                />
              </FormField>
              <FormField id="s-strategy" label="Strategy" error={errors.strategy?.message}>
                <Select {...fieldAria('s-strategy', errors.strategy?.message)} {...form.register('strategy')}>
                  <option value="weighted">Weighted random</option>
                  <option value="round_robin">Round robin</option>
                  <option value="waterfall">Waterfall (in order)</option>
                  <option value="best_roi">Best ROI</option>
                </Select>
              </FormField>
            </div>
            <CheckboxField label="Active" {...form.register('active')} />
          </FormSection>
          <FormSection title="Conditions" description="Which clicks this stream takes.">
            <ConditionEditor value={conditions} onChange={setConditions} />
          </FormSection>
          <FormSection
            title="Landers"
            description="Optional. Visitors see a lander first (picked by weight); its button leads to one of the offers below."
          >
            <LandersEditor value={landers} onChange={setLanders} />
          </FormSection>
          <FormSection
            title="Destinations"
            description="Order matters for waterfall; weights for weighted random."
          >
            <DestinationsEditor value={destinations} onChange={setDestinations} />
          </FormSection>
          <div className="flex flex-col-reverse gap-2 border-t pt-5 sm:flex-row sm:justify-end">
            <Button variant="outline" onClick={onCancel}>
              Cancel
            </Button>
            <Button type="submit" disabled={isSubmitting}>
              {isSubmitting && <Spinner />} {submitLabel}
            </Button>
          </div>
        </CardContent>
      </Card>
    </form>
  )
}
