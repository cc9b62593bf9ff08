/**
 * `/signup`: account and profile fields (`POST /auth/signup`). New accounts wait for an
 * admin's approval, so success leads to `/pending`.
 */
import { zodResolver } from '@hookform/resolvers/zod'
import { CircleAlert } from 'lucide-react'
import { useForm } from 'react-hook-form'
import { Link, useNavigate } from 'react-router'
import { FormField, fieldAria } from '@/components/common/form-field'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Button } from '@/components/ui/button'
import { Input } from '@/components/ui/input'
import { Spinner } from '@/components/ui/spinner'
import { useSignup } from '@/hooks/api/auth'
import { applyApiErrors } from '@/lib/forms'
import { PASSWORD_MIN, type SignupValues, signupBody, signupSchema } from '@/lib/schemas/auth'

const FIELDS = [
  'email',
  'password',
  'name',
  'phone',
  'company',
  'vat_id',
  'address',
  'city',
  'country',
] as const

export function Component() {
  const navigate = useNavigate()
  const signup = useSignup()
  const form = useForm<SignupValues, unknown, ReturnType<typeof signupSchema.parse>>({
    resolver: zodResolver(signupSchema),
    defaultValues: Object.fromEntries(FIELDS.map((f) => [f, ''])) as SignupValues,
  })
  const { errors, isSubmitting } = form.formState
  const field = (name: (typeof FIELDS)[number]) => ({
    ...fieldAria(name, errors[name]?.message),
    ...form.register(name),
  })

  const onSubmit = form.handleSubmit(async (values) => {
    try {
      await signup.mutateAsync(signupBody(values))
      navigate('/pending', { state: { email: values.email, signedUp: true } })
    } catch (e) {
      applyApiErrors(e, form.setError, FIELDS)
    }
  })

  return (
    <div className="flex flex-col gap-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Create your account</h1>
        <p className="mt-1 text-sm text-muted-foreground">
          An administrator approves new accounts before the first sign-in.
        </p>
      </div>
      <form onSubmit={onSubmit} noValidate className="flex flex-col gap-4" aria-label="Sign up">
        {errors.root?.server && (
          <Alert variant="destructive">
            <CircleAlert />
            <AlertDescription>{errors.root.server.message}</AlertDescription>
          </Alert>
        )}
        <FormField id="name" label="Full name" error={errors.name?.message}>
          <Input autoComplete="name" autoFocus {...field('name')} />
        </FormField>
        <FormField id="email" label="Work email" error={errors.email?.message}>
          <Input type="email" autoComplete="email" {...field('email')} />
        </FormField>
        <FormField
          id="password"
          label="Password"
          error={errors.password?.message}
          hint={`At least ${PASSWORD_MIN} characters. A passphrase is easiest.`}
        >
          <Input type="password" autoComplete="new-password" {...field('password')} />
        </FormField>
        <fieldset className="mt-2 grid gap-4 border-t pt-5 sm:grid-cols-2">
          <legend className="-mt-1 mb-1 text-sm font-medium text-muted-foreground sm:col-span-2">
            Billing details <span className="font-normal">(optional)</span>
          </legend>
          <FormField id="company" label="Company" error={errors.company?.message}>
            <Input autoComplete="organization" {...field('company')} />
          </FormField>
          <FormField id="vat_id" label="VAT ID" error={errors.vat_id?.message}>
            <Input {...field('vat_id')} />
          </FormField>
          <FormField id="phone" label="Phone" error={errors.phone?.message}>
            <Input type="tel" autoComplete="tel" {...field('phone')} />
          </FormField>
          <FormField id="country" label="Country" error={errors.country?.message} hint="Two letters, e.g. DE">
            <Input autoComplete="country" maxLength={2} className="uppercase" {...field('country')} />
          </FormField>
          <FormField id="address" label="Address" error={errors.address?.message} className="sm:col-span-2">
            <Input autoComplete="street-address" {...field('address')} />
          </FormField>
          <FormField id="city" label="City" error={errors.city?.message}>
            <Input autoComplete="address-level2" {...field('city')} />
          </FormField>
        </fieldset>
        <Button type="submit" size="lg" disabled={isSubmitting} className="mt-2 w-full">
          {isSubmitting && <Spinner />} Create account
        </Button>
      </form>
      <p className="text-center text-sm text-muted-foreground">
        Already have an account?{' '}
        <Link to="/login" className="font-medium text-primary hover:underline">
          Sign in
        </Link>
      </p>
    </div>
  )
}
