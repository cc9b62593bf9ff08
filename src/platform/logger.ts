/** pino JSON logger; secrets are redacted by path so they never reach the logs. */
import { pino, type Logger } from 'pino'

export type { Logger }

/** Creates the process logger at `level` with redaction of credentials. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: [
        'password',
        '*.password',
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        'headers.cookie',
        '*.api_key',
        '*.secret',
        '*.postback_secret',
      ],
      censor: '[redacted]',
    },
  })
}
