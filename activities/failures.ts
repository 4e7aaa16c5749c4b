/**
 * Map our typed errors onto Temporal failures: corrupt or impossible input becomes a
 * non-retryable ApplicationFailure carrying the error type (so the workflow and the CLI can name
 * it); storage and database hiccups stay retryable and get the activity retry policy's backoff.
 */
import { ApplicationFailure } from '@temporalio/common';
import { isDeltaSqlError } from '../common/errors';

export function toActivityFailure(e: unknown): unknown {
  if (e instanceof ApplicationFailure) return e;
  if (isDeltaSqlError(e)) {
    const details = e.file ? [{ file: e.file }] : [];
    return e.retryable
      ? ApplicationFailure.retryable(e.message, e.type, ...details)
      : ApplicationFailure.nonRetryable(e.message, e.type, ...details);
  }
  return e;
}

/** Run an activity body, converting thrown errors. */
export async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toActivityFailure(e);
  }
}
