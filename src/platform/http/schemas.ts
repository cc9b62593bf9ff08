/** Response schemas shared by the admin API's modules. */
import { z } from 'zod'

/**
 * A page of a list endpoint: `{items, total, limit, offset}` (`total` counts every row that
 * matches the filters, `limit`/`offset` echo the request).
 */
export function pageResponse<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), total: z.number(), limit: z.number(), offset: z.number() })
}
