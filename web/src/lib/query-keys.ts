/**
 * Query-key factory (Medusa's convention): every resource's keys start with the resource
 * name, so `invalidateQueries({ queryKey: keys.all })` refreshes all of its lists and
 * details after a write.
 *
 * ```ts
 * const apiKeyKeys = queryKeys('api-keys')
 * apiKeyKeys.list()            // ['api-keys', 'list', {}]
 * apiKeyKeys.detail('id')      // ['api-keys', 'detail', 'id']
 * ```
 */
export function queryKeys<R extends string>(resource: R) {
  return {
    all: [resource] as const,
    lists: () => [resource, 'list'] as const,
    list: (params: object = {}) => [resource, 'list', params] as const,
    details: () => [resource, 'detail'] as const,
    detail: (id: string, params: object = {}) => [resource, 'detail', id, params] as const,
  }
}
