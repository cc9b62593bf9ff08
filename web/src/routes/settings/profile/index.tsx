/**
 * `/settings/profile` — the signed-in user's profile (`PATCH /auth/me`; an emptied field is
 * cleared) and password change (`POST /auth/password`).
 */
import { zodResolver } from '@hookform/resolvers/zod'
import { CircleAlert } from 'lucide-react'
import { useEffect } from 'react'
import { useForm } from 'react-hook-form'
import { Link } from 'react-router'
import { z } from 'zod'
import { FormField, fieldAria } from '@/components/common/form-field'
import { PageHeader } from '@/components/common/page-header'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Input } from '@/components/ui/input'
import { Skeleton } from '@/components/ui/skeleton'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import { useMe } from '@/hooks/api/auth'
import {
  type MeWithProfile,
  type ProfilePatch,
  useChangePassword,
  useUpdateProfile,
} from '@/hooks/api/profile'
import { ApiError } from '@/lib/api'
import { applyApiErrors } from '@/lib/forms'
import { PASSWORD_MIN, signupSchema } from '@/lib/schemas/auth'

/** The sign-up rules for the same fields (email and password are not edited here). */
const profileSchema = signupSchema.omit({ email: true, password: true })
type ProfileInput = z.input<typeof profileSchema>
type ProfileValues = z.output<typeof profileSchema>
const PROFILE_FIELDS = ['name', 'phone', 'company', 'vat_id', 'address', 'city', 'country'] as const
const LABELS: Record<(typeof PROFILE_FIELDS)[number], string> = {
  name: 'Name',
  phone: 'Phone',
  company: 'Company',
  vat_id: 'VAT ID',
  address: 'Address',
  city: 'City',
  country: 'Country (2 letters)',
}

const passwordSchema = z
  .object({
    current_password: z.string().min(1, 'Enter your current password'),
    new_password: z
      .string()
      .min(PASSWORD_MIN, `Use at least ${PASSWORD_MIN} characters`)
      .max(1024, 'At most 1024 characters'),
    confirm: z.string(),
  })
  .refine((v) => v.new_password === v.confirm, { path: ['confirm'], message: 'The passwords do not match' })
type PasswordValues = z.infer<typeof passwordSchema>

function ProfileForm({ me }: { me: MeWithProfile }) {
  const update = useUpdateProfile()
  const form = useForm<ProfileInput, unknown, ProfileValues>({ resolver: zodResolver(profileSchema) })
  // biome-ignore lint/correctness/useExhaustiveDependencies: load once per user
  useEffect(() => {
    const u = me.user
    form.reset(Object.fromEntries(PROFILE_FIELDS.map((f) => [f, u[f] ?? ''])) as ProfileInput)
  }, [me.user.id])
  const { errors, isSubmitting, isDirty } = form.formState
  const onSubmit = form.handleSubmit(async (v) => {
    try {
      // Empty optional fields clear the value (`null`).
      const body: ProfilePatch = {}
      for (const f of PROFILE_FIELDS) body[f] = v[f] === '' ? null : v[f]
      const saved = await update.mutateAsync(body)
      form.reset(Object.fromEntries(PROFILE_FIELDS.map((f) => [f, saved.user[f] ?? ''])) as ProfileInput)
      toast.success('Profile saved')
    } catch (e) {
      applyApiErrors(e, form.setError, PROFILE_FIELDS)
    }
  })
  return (
    <form onSubmit={onSubmit} noValidate className="grid gap-4" data-testid="profile-form">
      {errors.root?.server && (
        <Alert variant="destructive">
          <CircleAlert />
          <AlertDescription>{errors.root.server.message}</AlertDescription>
        </Alert>
      )}
      <div className="grid gap-4 sm:grid-cols-2">
        {PROFILE_FIELDS.map((f) => {
          const id = `profile-${f}`
          const error = errors[f]?.message
          return (
            <FormField key={f} id={id} label={LABELS[f]} error={error} optional={f !== 'name'}>
              <Input autoComplete="off" {...fieldAria(id, error)} {...form.register(f)} />
            </FormField>
          )
        })}
      </div>
      <div>
        <Button type="submit" disabled={isSubmitting || !isDirty}>
          {isSubmitting && <Spinner />} Save profile
        </Button>
      </div>
    </form>
  )
}

function PasswordForm() {
  const change = useChangePassword()
  const form = useForm<PasswordValues>({
    resolver: zodResolver(passwordSchema),
    defaultValues: { current_password: '', new_password: '', confirm: '' },
  })
  const { errors, isSubmitting } = form.formState
  const onSubmit = form.handleSubmit(async (v) => {
    try {
      await change.mutateAsync({ current_password: v.current_password, new_password: v.new_password })
      form.reset()
      toast.success('Password changed')
    } catch (e) {
      if (e instanceof ApiError && e.code === 'invalid_credentials')
        form.setError('current_password', { type: 'server', message: 'This is not your current password' })
      else applyApiErrors(e, form.setError, ['current_password', 'new_password'])
    }
  })
  const field = (name: keyof PasswordValues, label: string, autoComplete: string) => (
    <FormField id={`pw-${name}`} label={label} error={errors[name]?.message}>
      <Input
        type="password"
        autoComplete={autoComplete}
        {...fieldAria(`pw-${name}`, errors[name]?.message)}
        {...form.register(name)}
      />
    </FormField>
  )
  return (
    <form onSubmit={onSubmit} noValidate className="grid max-w-md gap-4" data-testid="password-form">
      {errors.root?.server && (
        <Alert variant="destructive">
          <CircleAlert />
          <AlertDescription>{errors.root.server.message}</AlertDescription>
        </Alert>
      )}
      {field('current_password', 'Current password', 'current-password')}
      {field('new_password', 'New password', 'new-password')}
      {field('confirm', 'Repeat the new password', 'new-password')}
      <div>
        <Button type="submit" disabled={isSubmitting}>
          {isSubmitting && <Spinner />} Change password
        </Button>
      </div>
    </form>
  )
}

export function Component() {
  const me = useMe()
  return (
    <div className="flex flex-col gap-6">
      <PageHeader title="Profile" description={me.data ? me.data.user.email : 'Your account.'} />
      <Card>
        <CardHeader>
          <div>
            <CardTitle>Details</CardTitle>
            <CardDescription className="mt-1">Shown to admins; used on invoices.</CardDescription>
          </div>
        </CardHeader>
        <CardContent>
          {me.data ? (
            <ProfileForm me={me.data as MeWithProfile} />
          ) : (
            <div className="grid gap-4 sm:grid-cols-2">
              {PROFILE_FIELDS.map((f) => (
                <Skeleton key={f} className="h-14" />
              ))}
            </div>
          )}
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <div>
            <CardTitle>Password</CardTitle>
            <CardDescription className="mt-1">
              Your other sessions are signed out when it changes.
            </CardDescription>
          </div>
        </CardHeader>
        <CardContent>
          <PasswordForm />
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <div>
            <CardTitle>Two-factor authentication</CardTitle>
            <CardDescription className="mt-1">
              A code from your phone after the password.{' '}
              <Link to="/settings/security" className="font-medium text-primary hover:underline">
                Security settings
              </Link>
            </CardDescription>
          </div>
        </CardHeader>
      </Card>
    </div>
  )
}
