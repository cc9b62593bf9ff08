/**
 * Route preview: describes a request (IP, user agent, query, time) and shows the router's
 * decision trace from `POST /campaigns/:id/preview` — nothing is recorded.
 */
import { CircleAlert, CircleCheck, CircleX, Play } from 'lucide-react'
import { useState } from 'react'
import { FormField } from '@/components/common/form-field'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Input } from '@/components/ui/input'
import { Spinner } from '@/components/ui/spinner'
import { type PreviewBody, usePreviewRoute } from '@/hooks/api/campaigns'
import { errorMessage } from '@/lib/api'

/** "sub1=a&utm_source=b" (or a full URL's query) → record. */
export function parseQuery(text: string): Record<string, string> {
  const q = text.includes('?') ? text.slice(text.indexOf('?') + 1) : text
  return Object.fromEntries(new URLSearchParams(q.trim()))
}

export function RoutePreview({ campaignId }: { campaignId: string }) {
  const preview = usePreviewRoute(campaignId)
  const [ip, setIp] = useState('8.8.8.8')
  const [ua, setUa] = useState(() => navigator.userAgent)
  const [query, setQuery] = useState('')
  const [time, setTime] = useState('')
  const [lang, setLang] = useState('')
  const run = (e: React.FormEvent) => {
    e.preventDefault()
    const body: PreviewBody = { ip: ip.trim(), user_agent: ua, query: parseQuery(query) }
    if (time) body.time = new Date(time).toISOString()
    if (lang.trim()) body.accept_language = lang.trim()
    preview.mutate(body)
  }
  const r = preview.data
  return (
    <Card data-testid="route-preview">
      <CardHeader>
        <CardTitle>Route preview</CardTitle>
        <CardDescription>See where a described click would go. Nothing is recorded.</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-5">
        <form onSubmit={run} className="grid gap-4 sm:grid-cols-2" noValidate>
          <FormField id="p-ip" label="IP address" hint="The country comes from it.">
            <Input
              id="p-ip"
              value={ip}
              onChange={(e) => setIp(e.target.value)}
              className="font-mono text-sm"
            />
          </FormField>
          <FormField id="p-time" label="Time" optional hint="Your local time; empty = now.">
            <Input id="p-time" type="datetime-local" value={time} onChange={(e) => setTime(e.target.value)} />
          </FormField>
          <FormField id="p-ua" label="User agent" className="sm:col-span-2">
            <Input
              id="p-ua"
              value={ua}
              onChange={(e) => setUa(e.target.value)}
              className="font-mono text-xs"
            />
          </FormField>
          <FormField id="p-query" label="Query parameters" optional hint="e.g. sub1=abc&utm_source=fb">
            <Input
              id="p-query"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              className="font-mono text-sm"
            />
          </FormField>
          <FormField id="p-lang" label="Accept-Language" optional>
            <Input
              id="p-lang"
              value={lang}
              placeholder="en-US,en;q=0.9"
              onChange={(e) => setLang(e.target.value)}
            />
          </FormField>
          <div className="sm:col-span-2">
            <Button type="submit" disabled={preview.isPending}>
              {preview.isPending ? <Spinner /> : <Play />} Preview route
            </Button>
          </div>
        </form>
        {preview.isError && (
          <Alert variant="destructive">
            <CircleAlert />
            <AlertDescription>{errorMessage(preview.error)}</AlertDescription>
          </Alert>
        )}
        {r && (
          <div className="grid gap-4 border-t pt-4" data-testid="preview-result">
            <div className="flex flex-wrap gap-1.5 text-xs">
              {(
                [
                  ['Country', r.context.country],
                  ['Language', r.context.language],
                  ['Device', r.context.device],
                  ['OS', r.context.os],
                  ['Browser', r.context.browser],
                ] as const
              ).map(([k, v]) => (
                <Badge key={k} variant="outline">
                  {k}: {v || '—'}
                </Badge>
              ))}
              {r.context.is_bot && <Badge variant="warning">Bot</Badge>}
            </div>
            <ol className="grid gap-2">
              {r.trace.streams.map((s, i) => (
                <li key={s.stream_id} className="rounded-md border p-3 text-sm" data-testid="trace-stream">
                  <div className="flex flex-wrap items-center gap-2">
                    <span className="text-muted-foreground tabular-nums">{i + 1}.</span>
                    {s.matched ? (
                      <CircleCheck className="size-4 text-success" />
                    ) : (
                      <CircleX className="size-4 text-muted-foreground" />
                    )}
                    <span className="font-medium">{s.name}</span>
                    <Badge variant="secondary" className="capitalize">
                      {s.kind}
                    </Badge>
                    <span className="text-muted-foreground">
                      {s.matched ? 'matched' : `skipped${s.failed ? `: ${s.failed}` : ''}`}
                    </span>
                  </div>
                  {s.destinations && s.destinations.length > 0 && (
                    <ul className="mt-2 grid gap-1 pl-8">
                      {s.destinations.map((d) => (
                        <li key={d.destination_id} className="flex flex-wrap items-center gap-2">
                          {d.kept ? (
                            <Badge variant="success">kept</Badge>
                          ) : (
                            <Badge variant="destructive">dropped</Badge>
                          )}
                          <span>{d.name}</span>
                          {d.reason && (
                            <span className="text-muted-foreground">{d.reason.replaceAll('_', ' ')}</span>
                          )}
                          {r.destination_id === d.destination_id && r.stream_id === s.stream_id && (
                            <Badge>picked</Badge>
                          )}
                        </li>
                      ))}
                    </ul>
                  )}
                </li>
              ))}
            </ol>
            {r.outcome === 'redirect' && r.url ? (
              <Alert variant="info">
                <CircleCheck />
                <AlertDescription>
                  <p>
                    Redirect
                    {r.trace.picked ? ` (strategy: ${r.trace.picked.strategy.replaceAll('_', ' ')})` : ''} to
                  </p>
                  <code className="font-mono text-xs break-all" data-testid="preview-url">
                    {r.url}
                  </code>
                </AlertDescription>
              </Alert>
            ) : (
              <Alert variant="destructive">
                <CircleAlert />
                <AlertDescription>
                  <p>
                    Outcome: {r.outcome}
                    {r.trafficback ? ` — ${r.trafficback.reason.replaceAll('_', ' ')}` : ''}
                  </p>
                  {r.trafficback?.target != null && (
                    <code className="font-mono text-xs break-all">
                      {JSON.stringify(r.trafficback.target)}
                    </code>
                  )}
                </AlertDescription>
              </Alert>
            )}
          </div>
        )}
      </CardContent>
    </Card>
  )
}
