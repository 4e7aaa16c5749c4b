/**
 * One pino logger for the whole process, writing to stderr so stdout stays clean for `--json`.
 * Level from DELTASQL_LOG_LEVEL (default "warn" for the CLI). Credentials are redacted by key.
 */
import pino from 'pino';

export type Logger = pino.Logger;

export const logger: Logger = pino(
  {
    level: process.env.DELTASQL_LOG_LEVEL ?? 'warn',
    redact: {
      paths: [
        'password',
        '*.password',
        'secretAccessKey',
        '*.secretAccessKey',
        'sessionToken',
        '*.sessionToken',
        'url',
        '*.url',
      ],
      censor: '[redacted]',
    },
  },
  pino.destination(2),
);
