/**
 * `/reset-password#token=…` (the emailed link; `?token=` works too): choose a new password
 * (`POST /auth/password-reset/confirm`). The token sits in the fragment so it never reaches
 * server logs or the Referer header.
 */
import { zodResolver } from '@hookform/resolvers/zod'
import { CircleAlert, CircleCheck, KeyRound } from 'lucide-react'
import { useMemo } from 'react'
import { useForm } from 'react-hook-form'
import { Link, useLocation } from 'react-router'
import { FormField, fieldAria } from '@/components/common/form-field'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Button } from '@/components/ui/button'
import { Input } from '@/components/ui/input'
import { Spinner } from '@/components/ui/spinner'
import { useConfirmPasswordReset } from '@/hooks/api/auth'
import { ApiError } from '@/lib/api'
import { applyApiErrors } from '@/lib/forms'
import { PASSWORD_MIN, type ResetConfirmValues, resetConfirmSchema } from '@/lib/schemas/auth'

export function Component() {
  const location = useLocation()
  const token = useMemo(
    () =>
      new URLSearchParams(location.hash.replace(/^#/, '')).get('token') ??
      new URLSearchParams(location.search).get('token') ??
      '',
    [location.hash, location.search],
  )
  const confirm = useConfirmPasswordReset()
  const form = useForm<ResetConfirmValues>({
    resolver: zodResolver(resetConfirmSchema),
    defaultValues: { password: '', confirm: '' },
  })
  const { errors, isSubmitting } = form.formState
  const onSubmit = form.handleSubmit(async (values) => {
    try {
      await confirm.mutateAsync({ token, password: values.password })
    } catch (e) {
      if (e instanceof ApiError && e.fieldError('token')) {
        form.setError('root.server', {
          message: 'This reset link is invalid or has expired. Ask for a new one.',
        })
        return
      }
      applyApiErrors(e, form.setError, ['password'])
    }
  })

  if (!token) {
    return (
      <div className="flex flex-col items-center gap-5 text-center">
        <div className="flex size-14 items-center justify-center rounded-full bg-muted">
          <KeyRound className="size-6 text-muted-foreground" />
        </div>
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">This link is incomplete</h1>
          <p className="mt-2 text-sm text-muted-foreground">
            Open the link from the email exactly as it was sent, or ask for a new one.
          </p>
        </div>
        <Button asChild size="lg" className="w-full">
          <Link to="/forgot-password">Request a new link</Link>
        </Button>
      </div>
    )
  }

  if (confirm.isSuccess) {
    return (
      <div className="flex flex-col items-center gap-5 text-center">
        <div className="flex size-14 items-center justify-center rounded-full bg-success/15">
          <CircleCheck className="size-6 text-success" />
        </div>
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Password changed</h1>
          <p className="mt-2 text-sm text-muted-foreground">
            You were signed out everywhere. Sign in with your new password.
          </p>
        </div>
        <Button asChild size="lg" className="w-full">
          <Link to="/login">Sign in</Link>
        </Button>
      </div>
    )
  }

  return (
    <div className="flex flex-col gap-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Choose a new password</h1>
        <p className="mt-1 text-sm text-muted-foreground">At least {PASSWORD_MIN} characters.</p>
      </div>
      <form onSubmit={onSubmit} noValidate className="flex flex-col gap-4" aria-label="New password">
        {errors.root?.server && (
          <Alert variant="destructive">
            <CircleAlert />
            <AlertDescription>
              {errors.root.server.message}{' '}
              <Link to="/forgot-password" className="underline">
                Request a new link
              </Link>
            </AlertDescription>
          </Alert>
        )}
        <FormField id="password" label="New password" error={errors.password?.message}>
          <Input
            type="password"
            autoComplete="new-password"
            autoFocus
            {...fieldAria('password', errors.password?.message)}
            {...form.register('password')}
          />
        </FormField>
        <FormField id="confirm" label="Repeat it" error={errors.confirm?.message}>
          <Input
            type="password"
            autoComplete="new-password"
            {...fieldAria('confirm', errors.confirm?.message)}
            {...form.register('confirm')}
          />
        </FormField>
        <Button type="submit" size="lg" disabled={isSubmitting} className="w-full">
          {isSubmitting && <Spinner />} Set new password
        </Button>
      </form>
    </div>
  )
}
