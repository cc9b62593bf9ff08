/**
 * The "Campaign link" card of a campaign's page: the link to paste into the traffic source,
 * with the source's tokens in it (`GET /campaigns/:id/link`, built by
 * src/modules/routing/source.templates.ts `buildCampaignLink`), a copy button, and a table
 * "source token → our field" so the buyer sees, e.g., that `{click_id}` lands in external_id
 * and is reported back in the source's postback.
 */
import { ArrowRight, Link2 } from 'lucide-react'
import { Link } from 'react-router'
import { CopyButton } from '@/components/common/copy-button'
import { ErrorState } from '@/components/common/states'
import { Badge } from '@/components/ui/badge'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Skeleton } from '@/components/ui/skeleton'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import type { Campaign } from '@/hooks/api/campaigns'
import { useCampaignLink } from '@/hooks/api/source-templates'
import { useSource } from '@/hooks/api/sources'

export function CampaignLinkCard({ campaign }: { campaign: Campaign }) {
  const source = useSource(campaign.source_id ?? undefined)
  // The link depends on the campaign (alias, source) and on its source's parameters.
  const link = useCampaignLink(
    campaign.id,
    `${campaign.updated_at}/${campaign.source_id ?? ''}/${source.data?.updated_at ?? ''}`,
  )
  return (
    <Card data-testid="campaign-link-card">
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <Link2 className="size-4" /> Link for the traffic source
        </CardTitle>
        <CardDescription>
          Paste this into the source as the campaign’s URL; the source replaces its tokens on every click.
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4">
        {link.isPending ? (
          <Skeleton className="h-16 w-full" />
        ) : link.isError ? (
          <ErrorState error={link.error} onRetry={() => void link.refetch()} />
        ) : (
          <>
            <div className="flex flex-col gap-2 sm:flex-row sm:items-start">
              <code
                className="min-w-0 flex-1 rounded-md border bg-muted px-3 py-2 font-mono text-xs break-all sm:text-sm"
                data-testid="campaign-source-link"
              >
                {link.data.url}
              </code>
              <CopyButton value={link.data.url} label="Copy link" className="shrink-0" />
            </div>
            {link.data.source === null ? (
              <p className="text-sm text-muted-foreground">
                No traffic source yet. Pick one made from a template (TrafficStars, ExoClick, Google Ads …) in{' '}
                <Link to="edit" className="underline underline-offset-2">
                  the campaign’s settings
                </Link>{' '}
                and its tokens appear here.
              </p>
            ) : link.data.params.length === 0 ? (
              <p className="text-sm text-muted-foreground">
                The source “{link.data.source.name}” has no parameters: add its tokens in{' '}
                <Link to="/sources" className="underline underline-offset-2">
                  Sources
                </Link>{' '}
                so its click ID reaches external_id.
              </p>
            ) : (
              <Table data-testid="campaign-link-params">
                <TableHeader>
                  <TableRow>
                    <TableHead>Source token</TableHead>
                    <TableHead className="w-6 px-0">
                      <span className="sr-only">lands in</span>
                    </TableHead>
                    <TableHead>Our field</TableHead>
                    <TableHead className="hidden sm:table-cell">What it is</TableHead>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {link.data.params.map((p) => (
                    <TableRow key={`${p.target}-${p.name}`}>
                      <TableCell className="max-w-36 font-mono text-xs break-all whitespace-normal sm:max-w-none sm:text-sm">
                        {p.query_param === null ? (
                          <span className="text-muted-foreground">{p.token}</span>
                        ) : (
                          p.token
                        )}
                      </TableCell>
                      <TableCell className="w-6 px-0 text-muted-foreground">
                        <ArrowRight className="size-3.5" />
                      </TableCell>
                      <TableCell className="whitespace-normal">
                        {p.target === 'external_id' ? (
                          <Badge variant="secondary">external_id</Badge>
                        ) : (
                          <span className="font-mono text-xs sm:text-sm">{p.target}</span>
                        )}
                        <p className="text-xs text-muted-foreground sm:hidden">{p.label}</p>
                      </TableCell>
                      <TableCell className="hidden whitespace-normal text-muted-foreground sm:table-cell">
                        {p.label}
                        {p.query_param === null && ' — added to the URL by the source itself'}
                      </TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            )}
            {link.data.source && (
              <p className="text-xs text-muted-foreground">
                {link.data.source.postback_url
                  ? 'On each conversion the source’s postback is called with its click ID as {external_id}.'
                  : 'This source has no postback URL: conversions are not reported back to it.'}
              </p>
            )}
          </>
        )}
      </CardContent>
    </Card>
  )
}
