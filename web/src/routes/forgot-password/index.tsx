/** `/forgot-password`: asks for a reset link (the answer never tells whether the email exists). */
import { zodResolver } from '@hookform/resolvers/zod'
import { CircleAlert, MailCheck } from 'lucide-react'
import { useForm } from 'react-hook-form'
import { Link } from 'react-router'
import { FormField, fieldAria } from '@/components/common/form-field'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Button } from '@/components/ui/button'
import { Input } from '@/components/ui/input'
import { Spinner } from '@/components/ui/spinner'
import { useRequestPasswordReset } from '@/hooks/api/auth'
import { applyApiErrors } from '@/lib/forms'
import { type ResetRequestValues, resetRequestSchema } from '@/lib/schemas/auth'

export function Component() {
  const request = useRequestPasswordReset()
  const form = useForm<ResetRequestValues>({
    resolver: zodResolver(resetRequestSchema),
    defaultValues: { email: '' },
  })
  const { errors, isSubmitting } = form.formState
  const onSubmit = form.handleSubmit(async (values) => {
    try {
      await request.mutateAsync(values)
    } catch (e) {
      applyApiErrors(e, form.setError, ['email'])
    }
  })

  if (request.isSuccess) {
    return (
      <div className="flex flex-col items-center gap-5 text-center">
        <div className="flex size-14 items-center justify-center rounded-full bg-success/15">
          <MailCheck className="size-6 text-success" />
        </div>
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Check your email</h1>
          <p className="mt-2 text-sm text-muted-foreground">
            If an account exists for{' '}
            <span className="font-medium text-foreground">{form.getValues('email')}</span>, a link to choose a
            new password is on its way. The link works once, for one hour.
          </p>
        </div>
        <Button asChild variant="outline" size="lg" className="w-full">
          <Link to="/login">Back to sign in</Link>
        </Button>
      </div>
    )
  }

  return (
    <div className="flex flex-col gap-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Forgot your password?</h1>
        <p className="mt-1 text-sm text-muted-foreground">
          Enter your email and we will send you a reset link.
        </p>
      </div>
      <form onSubmit={onSubmit} noValidate className="flex flex-col gap-4" aria-label="Request a reset link">
        {errors.root?.server && (
          <Alert variant="destructive">
            <CircleAlert />
            <AlertDescription>{errors.root.server.message}</AlertDescription>
          </Alert>
        )}
        <FormField id="email" label="Email" error={errors.email?.message}>
          <Input
            type="email"
            autoComplete="email"
            autoFocus
            {...fieldAria('email', errors.email?.message)}
            {...form.register('email')}
          />
        </FormField>
        <Button type="submit" size="lg" disabled={isSubmitting} className="w-full">
          {isSubmitting && <Spinner />} Send reset link
        </Button>
      </form>
      <p className="text-center text-sm text-muted-foreground">
        Remembered it?{' '}
        <Link to="/login" className="font-medium text-primary hover:underline">
          Sign in
        </Link>
      </p>
    </div>
  )
}
