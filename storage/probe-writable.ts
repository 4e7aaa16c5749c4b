/**
 * Fail early, with a typed non-retryable error, when a destination folder cannot be written: a
 * regular file where the folder should be, refused credentials, a missing bucket. Writers call it
 * before their first object so that a run that cannot finish writes nothing at all, and a retry
 * policy never spins on a failure no retry heals.
 */
import { randomBytes } from 'node:crypto';
import { DeltaSqlError, isDeltaSqlError } from '../common/errors';
import type { ObjectStore } from './object-store';
import { StorageError } from './storage-error';

export async function probeWritable(store: ObjectStore, dir: string): Promise<void> {
  const probe = `${dir}/.deltasql-probe-${randomBytes(6).toString('hex')}`;
  try {
    // Not empty: the S3 SDK sends no Content-Length for an empty body and warns on stdout.
    await store.putIfAbsent(probe, 'deltasql write probe');
    await store.delete(probe);
  } catch (e) {
    if (isDeltaSqlError(e) && !(e instanceof StorageError)) throw e;
    const why = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
    throw new DeltaSqlError('DestinationNotWritable', `cannot write to ${store.root}/${dir}: ${why}`, {
      file: `${store.root}/${dir}`,
      cause: e,
    });
  }
}
