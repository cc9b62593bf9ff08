/**
 * `/login`: email + password; a pending account goes to `/pending`, then back to `next`.
 * With two-factor authentication a second step asks for the code (`second-factor.tsx`).
 */
import { zodResolver } from '@hookform/resolvers/zod'
import { CircleAlert } from 'lucide-react'
import { useState } from 'react'
import { useForm } from 'react-hook-form'
import { Link, useNavigate, useSearchParams } from 'react-router'
import { FormField, fieldAria } from '@/components/common/form-field'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Button } from '@/components/ui/button'
import { Input } from '@/components/ui/input'
import { Spinner } from '@/components/ui/spinner'
import { useLogin } from '@/hooks/api/auth'
import { ApiError, isPendingApproval } from '@/lib/api'
import { safeNext } from '@/lib/auth-paths'
import { applyApiErrors } from '@/lib/forms'
import { type LoginValues, loginSchema } from '@/lib/schemas/auth'
import { SecondFactorStep } from './second-factor'

export function Component() {
  const [sp] = useSearchParams()
  const navigate = useNavigate()
  const login = useLogin()
  const form = useForm<LoginValues>({
    resolver: zodResolver(loginSchema),
    defaultValues: { email: '', password: '' },
  })
  const { errors, isSubmitting } = form.formState
  /** Set when the password was right and a code is needed: the days a device may be remembered. */
  const [secondStep, setSecondStep] = useState<number | null>(null)
  const done = () => navigate(safeNext(sp.get('next')), { replace: true })

  const onSubmit = form.handleSubmit(async (values) => {
    try {
      const res = await login.mutateAsync(values)
      if ('two_factor_required' in res) {
        setSecondStep(res.trusted_device_days)
        return
      }
      done()
    } catch (e) {
      if (isPendingApproval(e)) {
        navigate('/pending', { state: { email: values.email } })
        return
      }
      if (e instanceof ApiError && e.code === 'suspended') {
        form.setError('root.server', { message: 'This account is suspended. Contact your administrator.' })
        return
      }
      if (e instanceof ApiError && e.code === 'invalid_credentials') {
        form.setError('root.server', { message: 'Wrong email or password.' })
        return
      }
      applyApiErrors(e, form.setError, ['email', 'password'])
    }
  })

  if (secondStep !== null)
    return (
      <SecondFactorStep
        rememberDays={secondStep}
        onDone={done}
        onRestart={() => {
          setSecondStep(null)
          form.setValue('password', '')
        }}
      />
    )

  return (
    <div className="flex flex-col gap-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Sign in</h1>
        <p className="mt-1 text-sm text-muted-foreground">Welcome back. Sign in to your workspace.</p>
      </div>
      <form onSubmit={onSubmit} noValidate className="flex flex-col gap-4" aria-label="Sign in">
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
        <FormField
          id="password"
          label={
            <span className="flex w-full items-center justify-between">
              Password
              <Link to="/forgot-password" className="text-xs font-normal text-primary hover:underline">
                Forgot password?
              </Link>
            </span>
          }
          error={errors.password?.message}
        >
          <Input
            type="password"
            autoComplete="current-password"
            {...fieldAria('password', errors.password?.message)}
            {...form.register('password')}
          />
        </FormField>
        <Button type="submit" size="lg" disabled={isSubmitting} className="mt-2 w-full">
          {isSubmitting && <Spinner />} Sign in
        </Button>
      </form>
      <p className="text-center text-sm text-muted-foreground">
        New here?{' '}
        <Link to="/signup" className="font-medium text-primary hover:underline">
          Create an account
        </Link>
      </p>
    </div>
  )
}
