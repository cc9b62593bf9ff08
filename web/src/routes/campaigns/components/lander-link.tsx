/**
 * The campaign's lander click URL with a copy button, shown when any of its streams has
 * landers: the link a lander's call to action must point to (routing README, "Landers").
 */
import { CopyButton } from '@/components/common/copy-button'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Input } from '@/components/ui/input'
import type { Campaign } from '@/hooks/api/campaigns'
import { useStreams } from '@/hooks/api/streams'
import { landerClickUrl } from '../../landers/components/lander-form.lib'

/** Origin of the campaign link (the API's `url` is `PUBLIC_URL/c/<alias>`), else this page's. */
function originOf(c: Campaign): string {
  try {
    return c.url ? new URL(c.url).origin : window.location.origin
  } catch {
    return window.location.origin
  }
}

export function LanderClickLink({ campaign }: { campaign: Campaign }) {
  const streams = useStreams({ campaign_id: campaign.id, limit: 500 })
  const withLanders = (streams.data?.items ?? []).some((s) => (s.landers ?? []).length > 0)
  if (!withLanders) return null
  const url = landerClickUrl(originOf(campaign), campaign.alias)
  return (
    <Card data-testid="lander-click-card">
      <CardHeader>
        <CardTitle>Lander button link</CardTitle>
        <CardDescription>
          Point your landers' call-to-action button here: the visitor is sent on to one of the stream's offers
          with the original click ID (kept in a cookie; adding{' '}
          <span className="font-mono">?cid={'{click_id}'}</span> from the lander URL also works).
        </CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col gap-2 sm:flex-row">
        <Input
          readOnly
          value={url}
          aria-label="Lander click URL"
          data-testid="lander-click-url"
          className="font-mono text-sm"
          onFocus={(e) => e.currentTarget.select()}
        />
        <CopyButton value={url} label="Copy link" />
      </CardContent>
    </Card>
  )
}
