/**
 * The campaign list (`/campaigns`), built for daily work on the list toolkit
 * (`@/components/common/entity-list`): per-row figures of the chosen range (default today in
 * the browser's zone) — clicks, conversions, revenue, cost, profit, ROI — sortable; filters
 * by status (archive view), tag, group and source; rows show alias, group, tags and a note
 * icon; row actions edit, clone, pause/resume, archive; bulk pause, resume, archive, move to
 * group, change source, add tag.
 */
import type { ColumnDef } from '@tanstack/react-table'
import {
  Archive,
  ArchiveRestore,
  Copy,
  ExternalLink,
  FolderInput,
  Megaphone,
  Pause,
  Pencil,
  Play,
  FileUp,
  Plus,
  Tag,
  Waypoints,
} from 'lucide-react'
import { useMemo, useState } from 'react'
import { Link, useNavigate } from 'react-router'
import {
  type BulkActionDef,
  BulkBar,
  EntityListCard,
  EntityTable,
  ListToolbar,
  NoteIcon,
  PAUSABLE_STATUSES,
  type PromptSpec,
  PromptDialog,
  type RowAction,
  statsColumns,
  TagBadges,
  tagsOf,
  useEntityListState,
} from '@/components/common/entity-list'
import { PageHeader } from '@/components/common/page-header'
import { DateRangeControl } from '@/components/common/report-controls'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Select } from '@/components/ui/select'
import { toast } from '@/components/ui/sonner'
import type { Campaign } from '@/hooks/api/campaigns'
import {
  type BulkBody,
  useBulkAction,
  useCloneCampaign,
  useEntityList,
  useListStats,
} from '@/hooks/api/lists'
import { useSources } from '@/hooks/api/sources'
import { useReportUrlState } from '@/hooks/use-report-url-state'
import { errorMessage } from '@/lib/api'
import { optionsWithCurrent, pickable, pickerLabel } from './campaign-form.lib'
import { CostImportDialog } from './cost-updates'
import { StatusBadge } from './shared'

type Row = Campaign & { tags?: string[]; notes?: string; group_name?: string | null }

const ACTION_DONE: Record<BulkBody['action'], string> = {
  pause: 'paused',
  resume: 'resumed',
  archive: 'archived',
  unarchive: 'restored (paused)',
  move_to_group: 'moved',
  set_source: 'updated',
  add_tags: 'tagged',
  remove_tags: 'untagged',
}

export function CampaignList() {
  const navigate = useNavigate()
  const list = useEntityListState()
  const [report, setReport] = useReportUrlState({ preset: 'today' })
  const campaigns = useEntityList<Row>('campaigns', list.params)
  const stats = useListStats('campaigns', { ...report.range, tz: report.tz })
  // Archived sources too: a campaign whose source is archived still shows its name.
  const sources = useSources({ limit: 500, status: 'all' })
  const bulk = useBulkAction('campaigns')
  const clone = useCloneCampaign()
  const [prompt, setPrompt] = useState<PromptSpec | null>(null)
  // Groups and tags seen so far (the filters offer them; a filtered page still offers the rest).
  const [seenGroups, setSeenGroups] = useState<string[]>([])
  const [seenTags, setSeenTags] = useState<string[]>([])
  const items = campaigns.data?.items
  const groups = useMemo(() => {
    const g = [
      ...new Set([...seenGroups, ...(items ?? []).flatMap((c) => (c.group_name ? [c.group_name] : []))]),
    ]
    return g.sort((a, b) => a.localeCompare(b))
  }, [items, seenGroups])
  const tags = useMemo(() => [...new Set([...seenTags, ...tagsOf(items)])], [items, seenTags])
  if (groups.length !== seenGroups.length) setSeenGroups(groups)
  if (tags.length !== seenTags.length) setSeenTags(tags)

  const sourceName = useMemo(
    () => new Map((sources.data?.items ?? []).map((s) => [s.id, pickerLabel(s)])),
    [sources.data],
  )

  const run = (body: BulkBody, what = 'Campaign') =>
    bulk.mutateAsync(body).then(
      (r) => {
        toast.success(
          `${r.updated} ${what.toLowerCase()}${r.updated === 1 ? '' : 's'} ${ACTION_DONE[body.action]}`,
        )
        list.setChecked(new Set())
      },
      (e) => {
        toast.error(errorMessage(e))
      },
    )

  const statsMap = stats.data
  const columns = useMemo<ColumnDef<Row, unknown>[]>(
    () => [
      {
        accessorKey: 'name',
        header: 'Campaign',
        cell: ({ row }) => {
          const c = row.original
          return (
            <div className="grid min-w-40 max-w-56 gap-0.5 sm:max-w-80">
              <span className="flex min-w-0 items-center gap-1.5">
                <Link to={c.id} className="truncate font-medium hover:underline" title={c.name}>
                  {c.name}
                </Link>
                <NoteIcon notes={c.notes} />
              </span>
              <span className="flex min-w-0 flex-wrap items-center gap-1 text-xs text-muted-foreground">
                <span className="truncate font-mono">/c/{c.alias}</span>
                {c.group_name && (
                  <Badge variant="secondary" className="px-1.5 py-0 text-[11px] font-normal" title="Group">
                    {c.group_name}
                  </Badge>
                )}
              </span>
              <TagBadges tags={c.tags} onPick={list.setTag} />
            </div>
          )
        },
      },
      {
        id: 'source',
        header: 'Source',
        accessorFn: (c) => (c.source_id ? (sourceName.get(c.source_id) ?? '…') : ''),
        cell: ({ getValue }) => (
          <span className="block max-w-32 truncate text-muted-foreground">
            {(getValue() as string) || '—'}
          </span>
        ),
      },
      {
        accessorKey: 'status',
        header: 'Status',
        cell: ({ row }) => <StatusBadge status={row.original.status} />,
      },
      ...statsColumns<Row>((c) => statsMap?.get(c.id), { loading: stats.isPending }),
    ],
    [sourceName, statsMap, stats.isPending, list.setTag],
  )

  const rowActions = (c: Row): RowAction[] => {
    const live = c.status !== 'archived'
    return [
      { label: 'Open', icon: ExternalLink, onSelect: () => navigate(c.id) },
      { label: 'Edit', icon: Pencil, onSelect: () => navigate(`${c.id}/edit`) },
      {
        label: 'Clone',
        icon: Copy,
        onSelect: () =>
          clone.mutate(
            { id: c.id },
            {
              onSuccess: (n) => toast.success(`Cloned as “${n.name}” (/c/${n.alias}, paused)`),
              onError: (e) => toast.error(errorMessage(e)),
            },
          ),
      },
      ...(live
        ? [
            c.status === 'paused'
              ? { label: 'Resume', icon: Play, onSelect: () => void run({ ids: [c.id], action: 'resume' }) }
              : { label: 'Pause', icon: Pause, onSelect: () => void run({ ids: [c.id], action: 'pause' }) },
            {
              label: 'Archive',
              icon: Archive,
              destructive: true,
              onSelect: () => void run({ ids: [c.id], action: 'archive' }),
            },
          ]
        : [
            {
              label: 'Unarchive',
              icon: ArchiveRestore,
              onSelect: () => void run({ ids: [c.id], action: 'unarchive' }),
            },
          ]),
    ]
  }

  const bulkActions: BulkActionDef[] = [
    { id: 'pause', label: 'Pause', icon: Pause, onRun: (ids) => void run({ ids, action: 'pause' }) },
    { id: 'resume', label: 'Resume', icon: Play, onRun: (ids) => void run({ ids, action: 'resume' }) },
    list.status === 'archived'
      ? {
          id: 'unarchive',
          label: 'Unarchive',
          icon: ArchiveRestore,
          onRun: (ids) => void run({ ids, action: 'unarchive' }),
        }
      : {
          id: 'archive',
          label: 'Archive',
          icon: Archive,
          onRun: (ids) => void run({ ids, action: 'archive' }),
        },
    {
      id: 'group',
      label: 'Move to group',
      icon: FolderInput,
      onRun: (ids) =>
        setPrompt({
          title: `Move ${ids.length} campaign${ids.length === 1 ? '' : 's'} to a group`,
          description: 'Type a new group or pick one; leave empty to ungroup.',
          label: 'Group',
          suggestions: groups,
          allowEmpty: true,
          submitLabel: 'Move',
          onSubmit: (g) => run({ ids, action: 'move_to_group', group_name: g || null }),
        }),
    },
    {
      id: 'source',
      label: 'Change source',
      icon: Waypoints,
      onRun: (ids) =>
        setPrompt({
          title: `Change the source of ${ids.length} campaign${ids.length === 1 ? '' : 's'}`,
          label: 'Traffic source',
          options: [
            ...pickable(sources.data?.items).map((s) => ({ value: s.id, label: s.name })),
            { value: '', label: 'No source' },
          ],
          allowEmpty: true,
          submitLabel: 'Change source',
          onSubmit: (id) => run({ ids, action: 'set_source', source_id: id || null }),
        }),
    },
    {
      id: 'tag',
      label: 'Add tag',
      icon: Tag,
      onRun: (ids) =>
        setPrompt({
          title: `Tag ${ids.length} campaign${ids.length === 1 ? '' : 's'}`,
          label: 'Tag',
          suggestions: tags,
          submitLabel: 'Add tag',
          onSubmit: (t) => run({ ids, action: 'add_tags', tags: [t] }),
        }),
    },
  ]

  const newButton = (
    <Button asChild>
      <Link to="new">
        <Plus /> New campaign
      </Link>
    </Button>
  )
  return (
    <div className="flex min-w-0 flex-col gap-6">
      <PageHeader
        title="Campaigns"
        description="Campaign links with today’s figures; streams decide where each click goes."
        actions={newButton}
      />
      <EntityListCard
        query={campaigns}
        list={list}
        icon={Megaphone}
        toolbar={
          <ListToolbar
            list={list}
            searchPlaceholder="Search campaigns"
            statuses={PAUSABLE_STATUSES}
            tags={tags}
          >
            <Select
              aria-label="Group"
              value={list.extra.group ?? '*'}
              onChange={(e) => list.setExtra('group', e.target.value === '*' ? undefined : e.target.value)}
              className="w-[calc(50%-0.25rem)] sm:w-36"
            >
              <option value="*">All groups</option>
              <option value="">No group</option>
              {groups.map((g) => (
                <option key={g} value={g}>
                  {g}
                </option>
              ))}
            </Select>
            <Select
              aria-label="Source"
              value={list.extra.source_id ?? ''}
              onChange={(e) => list.setExtra('source_id', e.target.value || undefined)}
              className="w-[calc(50%-0.25rem)] sm:w-40"
            >
              {optionsWithCurrent(
                sources.data?.items,
                list.extra.source_id ?? '',
                'All sources',
                sources.isPending,
                'Source not found',
              ).map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </Select>
            <DateRangeControl state={report} onChange={setReport} className="sm:ml-auto" />
            <CostImportDialog
              trigger={
                <Button variant="outline" className="w-full sm:w-auto" data-testid="cost-import-open">
                  <FileUp /> Import costs
                </Button>
              }
            />
          </ListToolbar>
        }
        bulkBar={<BulkBar list={list} actions={bulkActions} pending={bulk.isPending} />}
        noMatch={{ title: 'No matches', description: 'No campaign matches these filters.' }}
        archivedEmpty={{
          title: 'No archived campaigns',
          description: 'Campaigns you archive are kept here.',
        }}
        empty={{
          title: 'No campaigns yet',
          description: 'A campaign is a link you buy traffic to; its streams decide where each click goes.',
          action: newButton,
        }}
      >
        {(rows) => (
          <EntityTable
            rows={rows}
            columns={columns}
            list={list}
            actions={rowActions}
            testId="campaigns-table"
            rowTestId="campaign-row"
          />
        )}
      </EntityListCard>
      <PromptDialog spec={prompt} onClose={() => setPrompt(null)} />
    </div>
  )
}
