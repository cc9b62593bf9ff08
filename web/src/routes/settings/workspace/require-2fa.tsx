/**
 * The owner-only "Require two-factor authentication for all members" switch of the
 * workspace page (`PATCH /workspace/settings`). Members without 2FA are then sent to their
 * Security page until they enrol.
 */
import { ShieldCheck } from 'lucide-react'
import { Link } from 'react-router'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import { useSetWorkspaceRequire2fa } from '@/hooks/api/two-factor'
import { ApiError, errorMessage } from '@/lib/api'
import { SECURITY_PATH } from '@/lib/auth-paths'

export function Require2faCard({ required }: { required: boolean }) {
  const set = useSetWorkspaceRequire2fa()
  const change = (value: boolean) =>
    set.mutate(value, {
      onSuccess: (r) =>
        toast.success(
          r.require_2fa
            ? 'Two-factor authentication is now required'
            : 'Two-factor authentication is optional',
        ),
      onError: (e) =>
        toast.error(
          e instanceof ApiError && e.code === 'two_factor_not_enabled'
            ? 'Turn on two-factor authentication for your own account first (Settings → Security).'
            : errorMessage(e),
        ),
    })
  return (
    <Card>
      <CardHeader>
        <div className="min-w-0">
          <CardTitle className="flex items-center gap-2">
            <ShieldCheck className="size-4" aria-hidden /> Security
          </CardTitle>
          <CardDescription className="mt-1">
            Members without two-factor authentication can only set it up until they do. Your own must be on
            first (
            <Link to={SECURITY_PATH} className="text-primary hover:underline">
              Security
            </Link>
            ).
          </CardDescription>
        </div>
      </CardHeader>
      <CardContent>
        <label className="flex items-start gap-2 text-sm">
          <input
            type="checkbox"
            data-testid="require-2fa"
            className="mt-0.5 size-4 shrink-0 accent-primary"
            checked={required}
            disabled={set.isPending}
            onChange={(e) => change(e.target.checked)}
          />
          <span>Require two-factor authentication for all members</span>
          {set.isPending && <Spinner />}
        </label>
      </CardContent>
    </Card>
  )
}
