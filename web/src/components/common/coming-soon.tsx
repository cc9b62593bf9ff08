import { Construction } from 'lucide-react'
import { Link } from 'react-router'
import { Button } from '@/components/ui/button'
import { Card, CardContent } from '@/components/ui/card'
import { PageHeader } from './page-header'

/**
 * Placeholder of a section that is not built yet. Each placeholder route folder renders
 * one; building the page means replacing that folder's `index.tsx`.
 */
export function ComingSoon({
  title,
  description,
  features,
}: {
  title: string
  description: string
  /** What the page will offer (one line each). */
  features: string[]
}) {
  return (
    <div className="flex flex-col gap-6">
      <PageHeader title={title} description={description} />
      <Card data-testid="coming-soon">
        <CardContent className="flex flex-col items-center gap-3 py-8 text-center">
          <div className="flex size-12 items-center justify-center rounded-full bg-accent">
            <Construction className="size-6 text-accent-foreground" />
          </div>
          <p className="text-lg font-semibold">This page is on its way</p>
          <p className="max-w-lg text-sm text-muted-foreground">
            Everything here already works through the REST API; the screens come next.
          </p>
          <ul className="mt-2 grid w-full max-w-lg gap-2 text-left text-sm">
            {features.map((f) => (
              <li key={f} className="flex items-start gap-2 rounded-md border bg-muted/40 px-3 py-2">
                <span className="mt-1.5 size-1.5 shrink-0 rounded-full bg-primary" />
                {f}
              </li>
            ))}
          </ul>
          <div className="mt-3 flex flex-wrap justify-center gap-2">
            <Button asChild variant="outline">
              <a href="/api/docs">Open the API docs</a>
            </Button>
            <Button asChild variant="ghost">
              <Link to="/">Back to the dashboard</Link>
            </Button>
          </div>
        </CardContent>
      </Card>
    </div>
  )
}
