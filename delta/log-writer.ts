/**
 * Writing `_delta_log/` files: the log reader's mirror image. A commit `N.json` is the unit of
 * Delta's optimistic concurrency, so it is only ever created with put-if-absent (local: temp file +
 * link, S3: `If-None-Match: *`): whoever wins the create owns version N, and a reader never sees a
 * partial file. Re-writing a file that already holds the same bytes is a no-op success (retries and
 * restores are idempotent); other bytes are a `VersionConflict` naming the file, unless the caller
 * explicitly asks to overwrite (restore of a corrupted log).
 *
 * Derived files (checkpoints, `.crc`) are the writer's own account of a state that the commits
 * define; `writeDerivedFile` keeps an existing one with other bytes (another engine may have
 * written a richer but equally valid file) unless asked to overwrite. `_last_checkpoint` is only a
 * hint and moves forward only (see `writeLastCheckpoint`).
 */
import { DeltaSqlError } from '../common/errors';
import type { ObjectStore } from '../storage/object-store';
import { displayPath, isNotFound } from '../storage/storage-error';
import { LAST_CHECKPOINT, commitPath } from './log-path';
import { readLastCheckpoint } from './last-checkpoint';

/** What happened to one file: newly created, already present with these bytes, replaced, or an existing different file kept. */
export type WriteOutcome = 'created' | 'identical' | 'overwritten' | 'kept';

export interface WriteOptions {
  /** Replace an existing file that has other bytes (never needed for identical bytes). */
  overwrite?: boolean;
}

export interface CommitWriteOptions extends WriteOptions {
  /**
   * The commit's timestamp, given to the written file as its modification time where the store
   * can set one (local disk): without in-commit timestamps, Delta readers take a commit's time
   * from its file's mtime, so time travel by timestamp on an exported log needs it. Object stores
   * stamp the write time instead; see README "Export and restore".
   */
  modifiedMs?: number;
}

async function existingBytes(store: ObjectStore, rel: string): Promise<Buffer | null> {
  try {
    return await store.get(rel);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}

/**
 * Create `rel` with put-if-absent. When something is already there: same bytes -> 'identical';
 * other bytes -> `onDifferent` decides ('overwritten' after a plain put when overwrite is set).
 */
async function putOnce(
  store: ObjectStore,
  rel: string,
  body: Buffer,
  opts: WriteOptions,
  onDifferent: () => WriteOutcome,
  attempts = 3,
): Promise<WriteOutcome> {
  if (await store.putIfAbsent(rel, body)) return 'created';
  const have = await existingBytes(store, rel);
  if (have === null) {
    // Deleted between our create attempt and the read: try the create again (bounded).
    if (attempts > 1) return putOnce(store, rel, body, opts, onDifferent, attempts - 1);
    throw new DeltaSqlError('StorageError', `${displayPath(store.root, rel)} keeps appearing and vanishing`);
  }
  if (have.equals(body)) return 'identical';
  if (opts.overwrite) {
    await store.put(rel, body);
    return 'overwritten';
  }
  return onDifferent();
}

/**
 * Write commit `version` exactly as `bytes`, with `modifiedMs` as its mtime where the store allows.
 * Throws `VersionConflict` (naming the file, nothing written) when the log already holds a
 * different commit at that version and `overwrite` is off.
 */
export async function writeCommit(
  store: ObjectStore,
  version: number,
  bytes: Buffer,
  opts: CommitWriteOptions = {},
): Promise<WriteOutcome> {
  const rel = commitPath(version);
  const outcome = await putOnce(store, rel, bytes, opts, () => {
    throw versionConflict(store, version);
  });
  await stampCommit(store, version, outcome, opts);
  return outcome;
}

/** The VersionConflict of a commit file that exists with other bytes (nothing was overwritten). */
export function versionConflict(store: ObjectStore, version: number): DeltaSqlError {
  const file = displayPath(store.root, commitPath(version));
  return new DeltaSqlError(
    'VersionConflict',
    `${file} already exists with different content (version ${version} was committed by someone else); nothing was overwritten (use --overwrite to replace it)`,
    { file },
  );
}

/** A commit file we wrote gets the source's time; one already there with these bytes keeps its own. */
export async function stampCommit(
  store: ObjectStore,
  version: number,
  outcome: WriteOutcome,
  opts: CommitWriteOptions,
): Promise<void> {
  const setModified = store.setModified?.bind(store);
  if (opts.modifiedMs !== undefined && setModified && (outcome === 'created' || outcome === 'overwritten')) {
    await setModified(commitPath(version), opts.modifiedMs);
  }
}

/** Write a checkpoint part or `.crc`: an existing file with other bytes is kept unless `overwrite`. */
export function writeDerivedFile(
  store: ObjectStore,
  rel: string,
  bytes: Buffer,
  opts: WriteOptions = {},
): Promise<WriteOutcome> {
  return putOnce(store, rel, bytes, opts, () => 'kept');
}

export interface LastCheckpointHint {
  version: number;
  /** Number of actions (rows) in the checkpoint. */
  size: number;
  sizeInBytes: number;
  numOfAddFiles: number;
}

/**
 * Point `_last_checkpoint` at a checkpoint. The hint only moves forward: an existing hint naming
 * a newer checkpoint is left alone (unless `overwrite`), so exporting an older range into a live
 * log never makes readers start from further back. Returns whether the hint was written.
 */
export async function writeLastCheckpoint(
  store: ObjectStore,
  hint: LastCheckpointHint,
  opts: WriteOptions = {},
): Promise<boolean> {
  if (!opts.overwrite) {
    const have = await readLastCheckpoint(store, () => undefined);
    if (have !== null && have.version > hint.version) return false;
  }
  const body = JSON.stringify({
    version: hint.version,
    size: hint.size,
    sizeInBytes: hint.sizeInBytes,
    numOfAddFiles: hint.numOfAddFiles,
  });
  await store.put(LAST_CHECKPOINT, body);
  return true;
}
