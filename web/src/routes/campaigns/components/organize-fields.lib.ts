/**
 * The "Organize" fields every list row's form shares (campaigns, offers, landers, sources,
 * networks): tags typed as one comma-separated text and free notes, with the API's limits
 * (`tagsSchema` / `notesSchema` of src/modules/routing/routing.schema.ts: ≤ 20 tags of
 * ≤ 40 characters, notes ≤ 2000 characters).
 */
import { z } from 'zod'

/** Most tags one row carries. */
export const MAX_TAGS = 20
/** Longest tag. */
export const MAX_TAG_LENGTH = 40
/** Longest note. */
export const MAX_NOTES = 2000

/** Tags typed as "fb, de ,push" → ["fb", "de", "push"] (trimmed, empty and repeated ones dropped). */
export function splitTags(text: string): string[] {
  return [
    ...new Set(
      text
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ]
}

/** The form schema fields `tags` (comma-separated text) and `notes`; spread into a form's `z.object`. */
export const organizeFormFields = {
  tags: z
    .string()
    .refine((t) => splitTags(t).length <= MAX_TAGS, `At most ${MAX_TAGS} tags`)
    .refine(
      (t) => splitTags(t).every((x) => x.length <= MAX_TAG_LENGTH),
      `Each tag at most ${MAX_TAG_LENGTH} characters`,
    ),
  notes: z.string().max(MAX_NOTES, `At most ${MAX_NOTES} characters`),
}

/** Form values of the organize fields. */
export interface OrganizeValues {
  tags: string
  notes: string
}

/** Form values of a row's `tags` and `notes` (absent = empty). */
export function organizeToForm(row?: {
  tags?: string[] | undefined
  notes?: string | undefined
}): OrganizeValues {
  return { tags: (row?.tags ?? []).join(', '), notes: row?.notes ?? '' }
}

/** API body fields of the organize form values. */
export function formToOrganize(v: OrganizeValues): { tags: string[]; notes: string } {
  return { tags: splitTags(v.tags), notes: v.notes }
}
