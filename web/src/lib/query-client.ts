/**
 * The app's TanStack Query client. Defaults: data is fresh for 30 s; a failed query is
 * retried twice unless the error is a 4xx (a bad filter or a missing session will not fix
 * itself); windows regaining focus refetch.
 */
import { QueryClient } from '@tanstack/react-query'
import { ApiError } from './api'

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 30_000,
      retry: (count, error) => {
        if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false
        return count < 2
      },
    },
    mutations: { retry: false },
  },
})
