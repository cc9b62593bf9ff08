/** Response schemas shared by the admin API's modules. */
import { z } from 'zod'

/**
 * A page of a list endpoint: `{items, total, limit, offset}` (`total` counts every row that
 * matches the filters, `limit`/`offset` echo the request).
 */
export function pageResponse<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), total: z.number(), limit: z.number(), offset: z.number() })
}

/** The API error body `{error:{code,message,details?}}`; `details` names the bad fields. */
export const errorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .describe('error')

/** `:id` route parameter (a UUID). */
export const idParams = z.object({ id: z.uuid() })
