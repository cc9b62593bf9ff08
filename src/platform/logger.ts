/**
 * pino JSON logger; secrets never reach the logs, by default:
 *
 * - credentials are redacted by path (passwords, API keys and their hashes, tokens,
 *   secrets, sealed keys, the Authorization and Cookie headers);
 * - errors go through {@link safeErrorSerializer}: a database error's SQL parameters are
 *   dropped (Drizzle's `Failed query: … params: …` message and its `params`, the drivers'
 *   `parameters`/`query`/`detail` fields), because parameters carry whatever the query
 *   wrote — an API key hash, a sealed autopilot key, a user's e-mail.
 */
import { type Logger, pino } from 'pino'

export type { Logger }

/** Fields dropped from every logged error (and its causes): SQL text with values, parameters, echoed rows. */
const ERROR_FIELDS_DROPPED = new Set(['params', 'parameters', 'args', 'query', 'detail', 'raw'])
/** Drizzle's `DrizzleQueryError` message: `Failed query: <sql>\nparams: <values>`. */
const DRIZZLE_PARAMS = /(Failed query: [\s\S]*?)\nparams: [\s\S]*$/
const MAX_CAUSES = 5

function isErrorLike(v: unknown): v is Error {
  return v instanceof Error || (v !== null && typeof v === 'object' && 'message' in v && 'stack' in v)
}

function safeMessage(message: string): string {
  return message.replace(DRIZZLE_PARAMS, '$1\nparams: [redacted]')
}

/**
 * pino `err` serializer: `{ type, message, stack, code?, …, cause? }` like pino's own, minus
 * every field in `ERROR_FIELDS_DROPPED` and with Drizzle's parameter list cut from the
 * message and the stack, at every level of the `cause` chain (up to 5). Non-errors pass
 * through unchanged.
 */
export function safeErrorSerializer(err: unknown, depth = 0): unknown {
  if (!isErrorLike(err)) return err
  const message = typeof err.message === 'string' ? err.message : String(err.message)
  const clean = safeMessage(message)
  const out: Record<string, unknown> = {
    type: err.constructor?.name ?? err.name,
    message: clean,
    stack: typeof err.stack === 'string' ? safeMessage(err.stack.split(message).join(clean)) : undefined,
  }
  for (const key of Object.keys(err)) {
    if (ERROR_FIELDS_DROPPED.has(key) || key === 'cause' || key in out) continue
    const v = (err as unknown as Record<string, unknown>)[key]
    out[key] = isErrorLike(v) ? (depth < MAX_CAUSES ? safeErrorSerializer(v, depth + 1) : undefined) : v
  }
  if (Array.isArray((err as { errors?: unknown }).errors) && depth < MAX_CAUSES) {
    out.aggregateErrors = (err as unknown as { errors: unknown[] }).errors.map((e) =>
      safeErrorSerializer(e, depth + 1),
    )
  }
  if (err.cause !== undefined && depth < MAX_CAUSES) out.cause = safeErrorSerializer(err.cause, depth + 1)
  return out
}

const SECRET_KEYS = [
  'password',
  'password_hash',
  'passwordHash',
  'api_key',
  'apiKey',
  'key_hash',
  'keyHash',
  'token',
  'token_hash',
  'tokenHash',
  'secret',
  'postback_secret',
  'postbackSecret',
  'api_token',
  'apiToken',
  'sealed_key',
  'sealedKey',
  'api_key_ciphertext',
  'apiKeyCiphertext',
]

/**
 * Creates the process logger at `level` with redaction of credentials and parameter-free
 * errors.
 * @param destination where lines go (default stdout); tests pass a stream to read them.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    serializers: { err: (e: unknown) => safeErrorSerializer(e) },
    redact: {
      paths: [
        ...SECRET_KEYS,
        ...SECRET_KEYS.map((k) => `*.${k}`),
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        'headers.cookie',
      ],
      censor: '[redacted]',
    },
  }
  return destination ? pino(options, destination) : pino(options)
}
