/**
 * `/visitors` — verified synthetic traffic to URLs you own:
 * - `/visitors`: projects list (status, speed, visits done, daily estimate);
 * - `/visitors/new`, `/visitors/:id/edit`: the project form (`components/project-form.tsx`);
 * - `/visitors/:id`: run panel, ownership verification, settings (`components/project-page.tsx`);
 * - `/visitors/live?project=`: rate chart, hits, countries (`components/live-page.tsx`).
 */
import type { ColumnDef } from '@tanstack/react-table'
import { Activity, Plus, Radio } from 'lucide-react'
import { useMemo } from 'react'
import { Link, Navigate, Route, Routes, useNavigate, useParams } from 'react-router'
import { DataTable } from '@/components/common/data-table'
import { ListCard, useListState } from '@/components/common/list'
import { PageHeader } from '@/components/common/page-header'
import { QueryStates } from '@/components/common/states'
import { Button } from '@/components/ui/button'
import { Skeleton } from '@/components/ui/skeleton'
import { toast } from '@/components/ui/sonner'
import {
  type Project,
  useCreateProject,
  useProject,
  useProjects,
  useUpdateProject,
} from '@/hooks/api/visitors'
import { formatInt } from '@/lib/format'
import { LivePage } from './components/live-page'
import { ProjectForm } from './components/project-form'
import { ProjectPage } from './components/project-page'
import { rateText } from './components/run-panel.lib'
import { BackLink, ProjectStatusBadge } from './components/shared'

const firstUrl = (p: Project) => {
  const u = p.settings.urls?.[0]
  return typeof u === 'string' ? u : (u?.url ?? '')
}

function ProjectList() {
  const list = useListState()
  const query = useProjects({ limit: list.params.limit, offset: list.params.offset })
  // The API has no name search: the page's rows are filtered here.
  const q = list.params.q?.toLowerCase()
  const projects = useMemo(
    () =>
      q && query.data
        ? {
            ...query,
            data: { ...query.data, items: query.data.items.filter((p) => p.name.toLowerCase().includes(q)) },
          }
        : query,
    [query, q],
  ) as typeof query
  const columns = useMemo<ColumnDef<Project, unknown>[]>(
    () => [
      {
        accessorKey: 'name',
        header: 'Project',
        cell: ({ row }) => (
          <div className="min-w-0 max-w-44 sm:max-w-72">
            <Link to={row.original.id} className="block truncate font-medium hover:underline">
              {row.original.name}
            </Link>
            <p className="truncate font-mono text-xs text-muted-foreground" title={firstUrl(row.original)}>
              {firstUrl(row.original)}
              {row.original.settings.urls.length > 1 && ` +${row.original.settings.urls.length - 1}`}
            </p>
          </div>
        ),
      },
      {
        accessorKey: 'status',
        header: 'Status',
        cell: ({ row }) => (
          <ProjectStatusBadge status={row.original.status} reason={row.original.pause_reason} />
        ),
      },
      {
        id: 'speed',
        header: 'Speed',
        enableSorting: false,
        meta: { align: 'right', className: 'hidden md:table-cell' },
        cell: ({ row }) => (row.original.estimate ? rateText(row.original.estimate.visits_per_minute) : '—'),
      },
      {
        id: 'per_day',
        header: 'Credits/day',
        enableSorting: false,
        meta: { align: 'right', className: 'hidden lg:table-cell' },
        cell: ({ row }) => (row.original.estimate ? formatInt(row.original.estimate.credits_per_day) : '—'),
      },
      {
        accessorKey: 'visits_done',
        header: 'Visits',
        meta: { align: 'right' },
        cell: ({ row }) => formatInt(row.original.visits_done),
      },
    ],
    [],
  )
  const newButton = (
    <Button asChild>
      <Link to="new">
        <Plus /> New project
      </Link>
    </Button>
  )
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Visitors"
        description="Verified synthetic traffic to URLs you own: labelled, metered visits at the speed you set."
        actions={
          <>
            <Button variant="outline" asChild>
              <Link to="live">
                <Radio /> Live
              </Link>
            </Button>
            {newButton}
          </>
        }
      />
      <ListCard
        query={projects}
        list={list}
        searchPlaceholder="Search projects"
        icon={Activity}
        noMatch={{ title: 'No matches', description: `No project name contains “${list.q}”.` }}
        empty={{
          title: 'No projects yet',
          description:
            'Create a project with the URLs to visit, verify that you own their hosts, then start it.',
          action: newButton,
        }}
      >
        {(items) => (
          <DataTable columns={columns} data={items} getRowId={(p) => p.id} data-testid="projects-table" />
        )}
      </ListCard>
    </div>
  )
}

function NewProject() {
  const navigate = useNavigate()
  const create = useCreateProject()
  return (
    <div className="flex flex-col gap-4">
      <BackLink />
      <PageHeader title="New project" description="Created stopped: verify its hosts, then start it." />
      <ProjectForm
        submitLabel="Create project"
        onCancel={() => navigate('/visitors')}
        onSubmit={async (body) => {
          const p = await create.mutateAsync(body)
          toast.success(`Project “${p.name}” created`)
          navigate(`/visitors/${p.id}`)
        }}
      />
    </div>
  )
}

function EditProject() {
  const { id = '' } = useParams()
  const navigate = useNavigate()
  const project = useProject(id)
  const update = useUpdateProject(id)
  return (
    <div className="flex flex-col gap-4">
      <BackLink to={`/visitors/${id}`} label="Project" />
      <PageHeader title={project.data ? `Edit “${project.data.name}”` : 'Edit project'} />
      <QueryStates query={project} card pending={<Skeleton className="h-96 w-full" />}>
        {(p) => (
          <ProjectForm
            project={p}
            submitLabel="Save changes"
            onCancel={() => navigate(`/visitors/${id}`)}
            onSubmit={async (body) => {
              await update.mutateAsync(body)
              toast.success('Saved')
              navigate(`/visitors/${id}`)
            }}
          />
        )}
      </QueryStates>
    </div>
  )
}

export function Component() {
  return (
    <Routes>
      <Route index element={<ProjectList />} />
      <Route path="new" element={<NewProject />} />
      <Route path="live" element={<LivePage />} />
      <Route path=":id" element={<ProjectPage />} />
      <Route path=":id/edit" element={<EditProject />} />
      <Route path="*" element={<Navigate to="/visitors" replace />} />
    </Routes>
  )
}
