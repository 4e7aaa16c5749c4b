/**
 * Storage failures as typed errors. Callers need to tell "object absent" (often expected: a missing
 * `_last_checkpoint` or `.crc`) from real I/O failures, so not-found carries `notFound: true`.
 * Messages name the object, never credentials.
 */
import { DeltaSqlError } from '../common/errors';

export class StorageError extends DeltaSqlError {
  readonly notFound: boolean;
  constructor(message: string, opts: { file?: string; notFound?: boolean; cause?: unknown } = {}) {
    super('StorageError', message, { file: opts.file, cause: opts.cause });
    this.notFound = opts.notFound ?? false;
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof StorageError && e.notFound;

/** Join a store root and a relative path for display in messages. */
export const displayPath = (root: string, rel: string): string =>
  rel === '' ? root : `${root.replace(/\/+$/, '')}/${rel}`;
