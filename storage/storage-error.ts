/**
 * Storage failures as typed errors. Callers need to tell "object absent" (often expected: a missing
 * `_last_checkpoint` or `.crc`) from real I/O failures, so not-found carries `notFound: true`, and
 * "credentials refused" (HTTP 401/403, EACCES) carries `permissionDenied: true`, which no retry
 * heals. Messages name the object, never credentials.
 */
import { DeltaSqlError } from '../common/errors';

export class StorageError extends DeltaSqlError {
  readonly notFound: boolean;
  readonly permissionDenied: boolean;
  constructor(
    message: string,
    opts: { file?: string; notFound?: boolean; permissionDenied?: boolean; cause?: unknown } = {},
  ) {
    super('StorageError', message, { file: opts.file, cause: opts.cause });
    this.notFound = opts.notFound ?? false;
    this.permissionDenied = opts.permissionDenied ?? false;
  }
  override get retryable(): boolean {
    return !this.permissionDenied;
  }
}

/** HTTP statuses that mean the credentials were refused. */
export const isDeniedStatus = (status: number | undefined): boolean => status === 401 || status === 403;

export const isNotFound = (e: unknown): boolean => e instanceof StorageError && e.notFound;

/** Join a store root and a relative path for display in messages. */
export const displayPath = (root: string, rel: string): string =>
  rel === '' ? root : `${root.replace(/\/+$/, '')}/${rel}`;
