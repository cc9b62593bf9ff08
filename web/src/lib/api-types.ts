/** Shapes shared by many endpoints. */

/** A page of a list endpoint: `GET /x?limit=&offset=&q=` → `{items, total, limit, offset}`. */
export interface Paged<T> {
  items: T[]
  total: number
  limit: number
  offset: number
}

/** Paging and search parameters of list endpoints (limit 1–500, default 50). */
export interface ListParams {
  limit?: number
  offset?: number
  /** Case-insensitive substring of the name. */
  q?: string
}
