/**
 * Bridges API errors to react-hook-form: a `validation_failed` answer names fields
 * (`details: [{path, message}]`); those that are fields of the form are shown under the
 * field, everything else as the form's root error.
 */
import type { FieldValues, Path, UseFormSetError } from 'react-hook-form'
import { ApiError, errorMessage } from './api'

/** Result of {@link splitApiErrors}: messages per form field, and the rest. */
export interface SplitErrors {
  fields: Record<string, string>
  /** Message for the form as a whole; null when every problem belongs to a field. */
  root: string | null
}

/**
 * Sorts an error's field errors into the form's `fields` (first message per field) and a
 * root message (the error message, plus fields the form does not have).
 */
export function splitApiErrors(error: unknown, fields: readonly string[]): SplitErrors {
  const out: SplitErrors = { fields: {}, root: null }
  if (!(error instanceof ApiError) || error.fieldErrors.length === 0) {
    out.root = errorMessage(error)
    return out
  }
  const other: string[] = []
  for (const f of error.fieldErrors) {
    if (fields.includes(f.path)) out.fields[f.path] ??= sentence(f.message)
    else other.push(f.path ? `${f.path}: ${f.message}` : f.message)
  }
  if (other.length > 0) out.root = other.join('; ')
  return out
}

/** Sets the errors of `error` on a react-hook-form form (see {@link splitApiErrors}). */
export function applyApiErrors<T extends FieldValues>(
  error: unknown,
  setError: UseFormSetError<T>,
  fields: readonly Path<T>[],
): void {
  const { fields: byField, root } = splitApiErrors(error, fields)
  for (const [path, message] of Object.entries(byField))
    setError(path as Path<T>, { type: 'server', message })
  if (root) setError('root.server' as Path<T>, { type: 'server', message: root })
}

/** "must be at least 10 characters" → "Must be at least 10 characters". */
function sentence(s: string): string {
  return s ? s[0]!.toUpperCase() + s.slice(1) : s
}
