/**
 * Application errors that map to the API error body `{error:{code,message,details}}`.
 * Throw these from services; the HTTP layer turns them into 4xx responses.
 */
export class AppError extends Error {
  constructor(
    /** HTTP status, 4xx for caller errors. */
    readonly status: number,
    /** Stable machine code, e.g. "not_found", "validation_failed", "conflict". */
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
    this.name = 'AppError'
  }
}

export const notFound = (what: string) => new AppError(404, 'not_found', `${what} not found`)
export const conflict = (message: string, details?: unknown) =>
  new AppError(409, 'conflict', message, details)
export const badRequest = (message: string, details?: unknown) =>
  new AppError(400, 'validation_failed', message, details)
export const unauthorized = () => new AppError(401, 'unauthorized', 'authentication required')
export const forbidden = (message = 'forbidden') => new AppError(403, 'forbidden', message)
