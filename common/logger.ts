/**
 * One pino logger for the whole process, writing to stderr so stdout stays clean for `--json`
 * (or to the worker log file in embedded mode, see `logToFile`).
 * Level from DELTASQL_LOG_LEVEL (default "warn" for the CLI). Credentials are redacted by key.
 */
import * as fs from 'node:fs';
import pino from 'pino';

export type Logger = pino.Logger;

/** Where log lines go: stderr, or a file once `logToFile` is called (the CLI's embedded worker). */
let sink: { write(line: string): unknown } = pino.destination(2);

/** Send this process's log lines to `file` instead of the terminal (appending). */
export function logToFile(file: string): void {
  const fd = fs.openSync(file, 'a');
  sink = { write: (line: string) => fs.writeSync(fd, line) };
}

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
  { write: (line: string) => sink.write(line) },
);
