/**
 * The login page's second step (two-factor authentication): the 6-digit code from the
 * authenticator app, or — behind a toggle — a recovery code; "remember this device" skips
 * the code on this browser for the server's `TRUSTED_DEVICE_DAYS`.
 */
import { CircleAlert, ShieldCheck } from 'lucide-react'
import { useState } from 'react'
import { FormField, fieldAria } from '@/components/common/form-field'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Button } from '@/components/ui/button'
import { Input } from '@/components/ui/input'
import { Spinner } from '@/components/ui/spinner'
import { useLoginSecondFactor } from '@/hooks/api/two-factor'
import { ApiError, errorMessage } from '@/lib/api'

/** Why the step failed, in words for the person signing in. */
function failure(e: unknown): { message: string; restart: boolean } {
  if (e instanceof ApiError) {
    if (e.code === 'invalid_code')
      return { message: 'That code is not right, or it was already used. Try the next one.', restart: false }
    if (e.code === 'challenge_expired')
      return { message: 'This sign-in expired or had too many tries. Sign in again.', restart: true }
    if (e.code === 'rate_limited') return { message: 'Too many tries. Wait a few minutes.', restart: false }
  }
  return { message: errorMessage(e), restart: false }
}

export function SecondFactorStep({
  rememberDays,
  onDone,
  onRestart,
}: {
  rememberDays: number
  onDone: () => void
  onRestart: () => void
}) {
  const verify = useLoginSecondFactor()
  const [useRecovery, setUseRecovery] = useState(false)
  const [value, setValue] = useState('')
  const [remember, setRemember] = useState(false)
  const [error, setError] = useState<{ message: string; restart: boolean } | null>(null)

  const submit = async (e: React.FormEvent) => {
    e.preventDefault()
    const v = value.trim()
    if (!v) {
      setError({
        message: useRecovery ? 'Enter a recovery code.' : 'Enter the 6-digit code.',
        restart: false,
      })
      return
    }
    setError(null)
    try {
      await verify.mutateAsync({
        ...(useRecovery ? { recovery_code: v } : { code: v.replace(/\s+/g, '') }),
        remember_device: remember,
      })
      onDone()
    } catch (err) {
      setError(failure(err))
      setValue('')
    }
  }

  const id = useRecovery ? 'recovery-code' : 'totp-code'
  return (
    <div className="flex flex-col gap-6">
      <div>
        <h1 className="flex items-center gap-2 text-2xl font-semibold tracking-tight">
          <ShieldCheck className="size-6 text-primary" aria-hidden /> Two-factor authentication
        </h1>
        <p className="mt-1 text-sm text-muted-foreground">
          {useRecovery
            ? 'Enter one of the recovery codes you saved when you turned on two-factor authentication. Each works once.'
            : 'Enter the 6-digit code from your authenticator app.'}
        </p>
      </div>
      <form onSubmit={submit} noValidate className="flex flex-col gap-4" aria-label="Two-factor code">
        {error && (
          <Alert variant="destructive">
            <CircleAlert />
            <AlertDescription>{error.message}</AlertDescription>
          </Alert>
        )}
        <FormField id={id} label={useRecovery ? 'Recovery code' : 'Authentication code'} error={undefined}>
          <Input
            key={id}
            autoFocus
            autoComplete="one-time-code"
            inputMode={useRecovery ? 'text' : 'numeric'}
            placeholder={useRecovery ? 'xxxxx-xxxxx' : '123456'}
            maxLength={useRecovery ? 40 : 12}
            value={value}
            onChange={(ev) => setValue(ev.target.value)}
            className="font-mono tracking-widest"
            {...fieldAria(id, undefined)}
          />
        </FormField>
        <label className="flex items-start gap-2 text-sm">
          <input
            type="checkbox"
            className="mt-0.5 size-4 shrink-0 accent-primary"
            checked={remember}
            onChange={(ev) => setRemember(ev.target.checked)}
          />
          <span>
            Remember this device for {rememberDays} {rememberDays === 1 ? 'day' : 'days'}
            <span className="block text-xs text-muted-foreground">Only on a browser you alone use.</span>
          </span>
        </label>
        {error?.restart ? (
          <Button type="button" size="lg" className="mt-2 w-full" onClick={onRestart}>
            Sign in again
          </Button>
        ) : (
          <Button type="submit" size="lg" disabled={verify.isPending} className="mt-2 w-full">
            {verify.isPending && <Spinner />} Verify
          </Button>
        )}
      </form>
      <div className="flex flex-wrap items-center justify-between gap-2 text-sm">
        <button
          type="button"
          className="font-medium text-primary hover:underline"
          onClick={() => {
            setUseRecovery((r) => !r)
            setValue('')
            setError(null)
          }}
        >
          {useRecovery ? 'Use the authenticator app' : 'Use a recovery code'}
        </button>
        <button type="button" className="text-muted-foreground hover:underline" onClick={onRestart}>
          Back to sign-in
        </button>
      </div>
    </div>
  )
}
