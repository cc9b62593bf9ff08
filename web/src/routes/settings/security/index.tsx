/**
 * `/settings/security` — two-factor authentication of the signed-in user: status; turn on
 * (QR code + secret → confirm a code → recovery codes shown once, with Copy and Download);
 * new recovery codes; turn off (password + code); remembered devices (remove). A workspace
 * that requires 2FA sends members without it here (banner).
 */
import { CircleAlert, Download, ShieldAlert, ShieldCheck, Trash2 } from 'lucide-react'
import { useState } from 'react'
import { CopyButton } from '@/components/common/copy-button'
import { FormField, fieldAria } from '@/components/common/form-field'
import { PageHeader } from '@/components/common/page-header'
import { QueryStates } from '@/components/common/states'
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Input } from '@/components/ui/input'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import {
  type Factor,
  type TwoFactorSetup,
  type TwoFactorStatus,
  useRegenerateRecoveryCodes,
  useRemoveTrustedDevice,
  useTwoFactorDisable,
  useTwoFactorEnable,
  useTwoFactorSetup,
  useTwoFactorStatus,
} from '@/hooks/api/two-factor'
import { ApiError, errorMessage } from '@/lib/api'
import { formatDateTime } from '@/lib/format'

/** A message for a refused code or password. */
function codeError(e: unknown): string {
  if (e instanceof ApiError && e.code === 'invalid_code')
    return 'That code is not right, or it was already used.'
  if (e instanceof ApiError && e.code === 'invalid_credentials') return 'This is not your password.'
  return errorMessage(e)
}

/** A code from the app, or a recovery code when it does not look like 6 digits. */
const factorOf = (v: string): Factor => {
  const t = v.trim()
  return /^\d[\d\s]*$/.test(t) ? { code: t.replace(/\s+/g, '') } : { recovery_code: t }
}

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const text = `traffoflex recovery codes (each works once)\n\n${codes.join('\n')}\n`
  const download = () => {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }))
    const a = document.createElement('a')
    a.href = url
    a.download = 'traffoflex-recovery-codes.txt'
    a.click()
    URL.revokeObjectURL(url)
  }
  return (
    <div className="grid gap-4" data-testid="recovery-codes">
      <Alert variant="info">
        <ShieldAlert />
        <AlertTitle>Save your recovery codes now</AlertTitle>
        <AlertDescription>
          They are shown only this once. Each code signs you in once if you lose your phone.
        </AlertDescription>
      </Alert>
      <ul className="grid grid-cols-2 gap-x-4 gap-y-1 rounded-md border bg-muted/40 p-3 font-mono text-sm">
        {codes.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ul>
      <div className="flex flex-wrap gap-2">
        <CopyButton value={codes.join('\n')} label="Copy codes" />
        <Button variant="outline" onClick={download}>
          <Download /> Download
        </Button>
        <Button onClick={onDone}>I have saved them</Button>
      </div>
    </div>
  )
}

function EnableFlow({ onCancel, onCodes }: { onCancel: () => void; onCodes: (codes: string[]) => void }) {
  const setup = useTwoFactorSetup()
  const enable = useTwoFactorEnable()
  const [data, setData] = useState<TwoFactorSetup | null>(null)
  const [code, setCode] = useState('')
  const [error, setError] = useState<string>()

  if (!data)
    return (
      <div className="flex flex-wrap gap-2">
        <Button
          disabled={setup.isPending}
          onClick={async () => {
            try {
              setData(await setup.mutateAsync())
            } catch (e) {
              toast.error(errorMessage(e))
            }
          }}
        >
          {setup.isPending && <Spinner />} Start set-up
        </Button>
        <Button variant="ghost" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    )
  const confirm = async (e: React.FormEvent) => {
    e.preventDefault()
    if (!/^\d{6}$/.test(code.replace(/\s+/g, ''))) {
      setError('Enter the 6-digit code from the app.')
      return
    }
    setError(undefined)
    try {
      const r = await enable.mutateAsync(code.replace(/\s+/g, ''))
      onCodes(r.recovery_codes)
      toast.success('Two-factor authentication is on')
    } catch (err) {
      setError(codeError(err))
    }
  }
  return (
    <div className="grid gap-5" data-testid="enable-flow">
      <ol className="grid list-decimal gap-1 pl-5 text-sm text-muted-foreground">
        <li>Scan the QR code with an authenticator app (Google Authenticator, 1Password, Authy…).</li>
        <li>Or type the key below into the app by hand.</li>
        <li>Enter the 6-digit code the app shows.</li>
      </ol>
      <div className="flex flex-col items-start gap-4 sm:flex-row">
        <img
          src={data.qr_data_url}
          alt="QR code to add traffoflex to an authenticator app"
          className="size-44 shrink-0 rounded-md border bg-white p-2"
        />
        <div className="grid min-w-0 gap-2">
          <span className="text-sm font-medium">Key for manual entry</span>
          <code
            data-testid="totp-secret"
            className="break-all rounded-md border bg-muted/40 px-2 py-1 font-mono text-sm"
          >
            {data.secret}
          </code>
          <div>
            <CopyButton value={data.secret} label="Copy key" size="sm" />
          </div>
        </div>
      </div>
      <form onSubmit={confirm} noValidate className="grid max-w-xs gap-3">
        <FormField id="enable-code" label="Code from the app" error={error}>
          <Input
            inputMode="numeric"
            autoComplete="one-time-code"
            placeholder="123456"
            value={code}
            onChange={(e) => setCode(e.target.value)}
            className="font-mono tracking-widest"
            {...fieldAria('enable-code', error)}
          />
        </FormField>
        <div className="flex flex-wrap gap-2">
          <Button type="submit" disabled={enable.isPending}>
            {enable.isPending && <Spinner />} Turn on
          </Button>
          <Button type="button" variant="ghost" onClick={onCancel}>
            Cancel
          </Button>
        </div>
      </form>
    </div>
  )
}

function RegenerateForm({ onCodes }: { onCodes: (codes: string[]) => void }) {
  const regen = useRegenerateRecoveryCodes()
  const [code, setCode] = useState('')
  const [error, setError] = useState<string>()
  const submit = async (e: React.FormEvent) => {
    e.preventDefault()
    if (!code.trim()) return setError('Enter a code from the app.')
    setError(undefined)
    try {
      onCodes((await regen.mutateAsync(factorOf(code))).recovery_codes)
      setCode('')
    } catch (err) {
      setError(codeError(err))
    }
  }
  return (
    <form onSubmit={submit} noValidate className="grid max-w-xs gap-3" aria-label="New recovery codes">
      <FormField id="regen-code" label="Code from the app" error={error}>
        <Input
          autoComplete="one-time-code"
          value={code}
          onChange={(e) => setCode(e.target.value)}
          className="font-mono"
          {...fieldAria('regen-code', error)}
        />
      </FormField>
      <div>
        <Button type="submit" variant="outline" disabled={regen.isPending}>
          {regen.isPending && <Spinner />} New recovery codes
        </Button>
      </div>
    </form>
  )
}

function DisableForm() {
  const disable = useTwoFactorDisable()
  const [password, setPassword] = useState('')
  const [code, setCode] = useState('')
  const [error, setError] = useState<string>()
  const submit = async (e: React.FormEvent) => {
    e.preventDefault()
    if (!password || !code.trim()) return setError('Enter your password and a code.')
    setError(undefined)
    try {
      await disable.mutateAsync({ password, ...factorOf(code) })
      toast.success('Two-factor authentication is off')
    } catch (err) {
      setError(codeError(err))
    }
  }
  return (
    <form
      onSubmit={submit}
      noValidate
      className="grid max-w-xs gap-3"
      aria-label="Turn off two-factor authentication"
    >
      {error && (
        <Alert variant="destructive">
          <CircleAlert />
          <AlertDescription>{error}</AlertDescription>
        </Alert>
      )}
      <FormField id="disable-password" label="Password">
        <Input
          type="password"
          autoComplete="current-password"
          id="disable-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </FormField>
      <FormField id="disable-code" label="Code from the app (or a recovery code)">
        <Input
          id="disable-code"
          autoComplete="one-time-code"
          value={code}
          onChange={(e) => setCode(e.target.value)}
          className="font-mono"
        />
      </FormField>
      <div>
        <Button type="submit" variant="destructive" disabled={disable.isPending}>
          {disable.isPending && <Spinner />} Turn off
        </Button>
      </div>
    </form>
  )
}

function TwoFactorCard({ status }: { status: TwoFactorStatus }) {
  const [enrolling, setEnrolling] = useState(false)
  const [newCodes, setNewCodes] = useState<string[] | null>(null)
  return (
    <Card>
      <CardHeader>
        <div className="min-w-0">
          <CardTitle className="flex flex-wrap items-center gap-2">
            Two-factor authentication
            {status.enabled ? (
              <Badge variant="success">
                <ShieldCheck /> On
              </Badge>
            ) : (
              <Badge variant="secondary">Off</Badge>
            )}
          </CardTitle>
          <CardDescription className="mt-1">
            {status.enabled
              ? `On since ${formatDateTime(status.enabled_at)}. ${status.recovery_codes_left} of 10 recovery codes left.`
              : 'After your password, sign-in also asks for a code from an app on your phone.'}
          </CardDescription>
        </div>
      </CardHeader>
      <CardContent className="grid grid-cols-1 gap-6">
        {/* Held here: enabling refetches the status, which must not drop the codes shown once. */}
        {newCodes && (
          <RecoveryCodes
            codes={newCodes}
            onDone={() => {
              setNewCodes(null)
              setEnrolling(false)
            }}
          />
        )}
        {!status.enabled &&
          !newCodes &&
          (enrolling ? (
            <EnableFlow onCancel={() => setEnrolling(false)} onCodes={setNewCodes} />
          ) : (
            <div>
              <Button onClick={() => setEnrolling(true)}>
                <ShieldCheck /> Enable
              </Button>
            </div>
          ))}
        {status.enabled && !newCodes && (
          <>
            <section className="grid gap-2">
              <h4 className="text-sm font-medium">Recovery codes</h4>
              <p className="text-sm text-muted-foreground">
                Lost them, or used some? New codes replace all the old ones.
              </p>
              <RegenerateForm onCodes={setNewCodes} />
            </section>
            <section className="grid gap-2 border-t pt-5">
              <h4 className="text-sm font-medium">Turn off</h4>
              <p className="text-sm text-muted-foreground">
                {status.required_by_workspace
                  ? 'Your workspace requires two-factor authentication: without it you can only set it up again.'
                  : 'Sign-in then asks for your password only. Remembered devices are forgotten.'}
              </p>
              <DisableForm />
            </section>
          </>
        )}
      </CardContent>
    </Card>
  )
}

function DevicesCard({ status }: { status: TwoFactorStatus }) {
  const remove = useRemoveTrustedDevice()
  return (
    <Card>
      <CardHeader>
        <div className="min-w-0">
          <CardTitle>Remembered devices</CardTitle>
          <CardDescription className="mt-1">
            Browsers where you ticked "remember this device": they skip the code for{' '}
            {status.trusted_device_days} days.
          </CardDescription>
        </div>
      </CardHeader>
      <CardContent>
        {status.devices.length === 0 ? (
          <p className="text-sm text-muted-foreground">No remembered devices.</p>
        ) : (
          <ul className="grid grid-cols-1 divide-y" data-testid="trusted-devices">
            {status.devices.map((d) => (
              <li key={d.id} className="flex min-w-0 flex-wrap items-center justify-between gap-2 py-3">
                <div className="min-w-0 flex-1 basis-56">
                  <p className="truncate text-sm font-medium" title={d.label ?? undefined}>
                    {d.label ?? 'Unknown browser'}
                  </p>
                  <p className="text-xs text-muted-foreground">
                    Added {formatDateTime(d.created_at)} · last used {formatDateTime(d.last_used_at)} · until{' '}
                    {formatDateTime(d.expires_at)}
                  </p>
                </div>
                <Button
                  variant="outline"
                  size="sm"
                  disabled={remove.isPending}
                  onClick={() =>
                    remove.mutate(d.id, {
                      onSuccess: () => toast.success('Device removed'),
                      onError: (e) => toast.error(errorMessage(e)),
                    })
                  }
                >
                  <Trash2 /> Remove
                </Button>
              </li>
            ))}
          </ul>
        )}
      </CardContent>
    </Card>
  )
}

export function Component() {
  const status = useTwoFactorStatus()
  return (
    <div className="flex flex-col gap-6">
      <PageHeader title="Security" description="Two-factor authentication and remembered devices." />
      {status.data?.required_by_workspace && !status.data.enabled && (
        <Alert variant="destructive" data-testid="two-factor-required-banner">
          <ShieldAlert />
          <AlertTitle>This workspace requires two-factor authentication</AlertTitle>
          <AlertDescription>
            Its owner asks every member to use it. Turn it on below to continue working in this workspace.
          </AlertDescription>
        </Alert>
      )}
      <QueryStates
        query={status}
        skeleton={{ rows: 3, columns: 2 }}
        errorTitle="Could not load your security settings"
      >
        {(s) => (
          <>
            <TwoFactorCard status={s} />
            {s.enabled && <DevicesCard status={s} />}
          </>
        )}
      </QueryStates>
    </div>
  )
}
