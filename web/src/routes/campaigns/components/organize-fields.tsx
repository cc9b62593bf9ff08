/**
 * The "Organize" section of the forms of list rows (campaigns, offers, landers, sources,
 * networks): tags (comma-separated) and notes, plus any extra fields a form adds beside the
 * tags (the campaign's group). The form's values carry `tags` and `notes` as text
 * (`organize-fields.lib.ts`); input ids are `<idPrefix>-tags` and `<idPrefix>-notes`.
 */
import type * as React from 'react'
import type { FieldValues, Path, UseFormReturn } from 'react-hook-form'
import { FormField, fieldAria } from '@/components/common/form-field'
import { Input } from '@/components/ui/input'
import type { OrganizeValues } from './organize-fields.lib'
import { FormSection } from './shared'

export function OrganizeFields<T extends FieldValues & OrganizeValues>({
  form,
  idPrefix,
  description = 'Tags and notes for finding it in the list.',
  tagsPlaceholder = 'fb, de, test',
  children,
}: {
  form: UseFormReturn<T>
  idPrefix: string
  description?: string
  tagsPlaceholder?: string
  /** Fields shown before the tags, in the same two-column row. */
  children?: React.ReactNode
}) {
  const errors = form.formState.errors as { tags?: { message?: string }; notes?: { message?: string } }
  const tagsId = `${idPrefix}-tags`
  const notesId = `${idPrefix}-notes`
  return (
    <FormSection title="Organize" description={description}>
      <div className="grid gap-4 md:grid-cols-2">
        {children}
        <FormField id={tagsId} label="Tags" optional hint="Comma-separated" error={errors.tags?.message}>
          <Input
            autoComplete="off"
            placeholder={tagsPlaceholder}
            {...fieldAria(tagsId, errors.tags?.message)}
            {...form.register('tags' as Path<T>)}
          />
        </FormField>
      </div>
      <FormField id={notesId} label="Notes" optional error={errors.notes?.message}>
        <textarea
          className="min-h-20 w-full min-w-0 rounded-md border border-input bg-card px-3 py-2 text-base shadow-xs outline-none placeholder:text-muted-foreground focus-visible:border-ring focus-visible:ring-[3px] focus-visible:ring-ring/40 aria-invalid:border-destructive md:text-sm"
          {...fieldAria(notesId, errors.notes?.message)}
          {...form.register('notes' as Path<T>)}
        />
      </FormField>
    </FormSection>
  )
}
