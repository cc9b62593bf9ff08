/** The recent actions of one campaign (audit log, newest first), each with its inputs. */
import { ListChecks } from 'lucide-react'
import { EmptyState, QueryStates } from '@/components/common/states'
import { Badge } from '@/components/ui/badge'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { type AutopilotAction, useAutopilotActions } from '@/hooks/api/autopilot'
import { formatDateTime, formatTime } from '@/lib/format'

const OUTCOME: Record<string, 'success' | 'destructive' | 'warning' | 'secondary'> = {
  ok: 'success',
  failed: 'destructive',
  deferred: 'warning',
  noted: 'secondary',
}

/** Calls to TrafficStars stand out; notes (transitions, holds, budgets) are outlined. */
const KIND_VARIANT = (kind: string) =>
  kind === 'run' || kind === 'pause' || kind === 'patch' ? 'default' : 'outline'

function ActionRow({ a }: { a: AutopilotAction }) {
  return (
    <TableRow
      data-testid="autopilot-action"
      data-kind={a.kind}
      data-outcome={a.outcome}
      className="align-top"
    >
      <TableCell
        className="whitespace-nowrap text-xs tabular-nums text-muted-foreground sm:text-sm"
        title={formatDateTime(a.at)}
      >
        {formatTime(a.at)}
        <Badge variant={KIND_VARIANT(a.kind)} className="mt-1 block sm:hidden">
          {a.kind}
        </Badge>
      </TableCell>
      <TableCell className="hidden sm:table-cell">
        <Badge variant={KIND_VARIANT(a.kind)}>{a.kind}</Badge>
      </TableCell>
      <TableCell className="hidden md:table-cell">
        <code className="text-xs text-muted-foreground">{a.rule}</code>
      </TableCell>
      <TableCell className="min-w-48 whitespace-normal">
        <p data-testid="autopilot-action-text">{a.text}</p>
        <Badge variant={OUTCOME[a.outcome] ?? 'outline'} className="mt-1 sm:hidden">
          {a.outcome}
        </Badge>
        {a.error && <p className="mt-1 text-destructive">{a.error}</p>}
        <details className="mt-1">
          <summary className="cursor-pointer text-xs text-muted-foreground">
            <span className="md:hidden">{a.rule} · </span>inputs
          </summary>
          <pre className="mt-1 max-w-xl overflow-x-auto rounded-md bg-muted p-2 text-xs">
            {JSON.stringify(a.inputs, null, 2)}
          </pre>
        </details>
      </TableCell>
      <TableCell className="hidden sm:table-cell">
        <Badge variant={OUTCOME[a.outcome] ?? 'outline'}>{a.outcome}</Badge>
      </TableCell>
    </TableRow>
  )
}

export function ActionsList({ id }: { id: string }) {
  const actions = useAutopilotActions(id)
  const items = actions.data?.items ?? []
  return (
    <QueryStates
      query={actions}
      skeleton={{ rows: 3, columns: 4 }}
      isEmpty={items.length === 0}
      empty={
        <EmptyState
          icon={ListChecks}
          title="No actions yet"
          description="Calls to TrafficStars and the autopilot's decisions appear here once it is enabled."
          className="py-6"
        />
      }
    >
      <Table data-testid="autopilot-actions">
        <TableHeader>
          <TableRow className="hover:bg-transparent">
            <TableHead>Time</TableHead>
            <TableHead className="hidden sm:table-cell">Kind</TableHead>
            <TableHead className="hidden md:table-cell">Rule</TableHead>
            <TableHead>What</TableHead>
            <TableHead className="hidden sm:table-cell">Outcome</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {items.map((a) => (
            <ActionRow key={a.id} a={a} />
          ))}
        </TableBody>
      </Table>
    </QueryStates>
  )
}
