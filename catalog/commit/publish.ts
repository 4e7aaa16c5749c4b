/**
 * Publishing an sql-primary table: every committed version goes to `_delta_log/<v>.json`, strictly
 * in version order, with put-if-absent and exactly the bytes the catalog stored (raw-commits.ts
 * verifies them against the stored sha256), followed by its `.crc`, and a checkpoint plus
 * `_last_checkpoint` every `delta.checkpointInterval` versions (default 100), all through the log
 * writer (delta/log-writer.ts). Crash-safe without any bookkeeping of its own: a version found
 * already present with the same bytes was published by an earlier, interrupted run (or a parallel
 * publisher) and counts as published; the recorded `published_version` only ever moves forward.
 *
 * A version file with other bytes means a file-based writer is still committing to the log: that
 * is `ForeignCommit`, naming the file; nothing is overwritten and publishing stops there.
 */
import { DeltaSqlError, isDeltaSqlError } from '../../common/errors';
import { writeCheckpoint } from '../../delta/checkpoint-writer';
import { writeCrc } from '../../delta/crc-writer';
import { commitPath } from '../../delta/log-path';
import { writeCommitStream } from '../../delta/large-commit-writer';
import { writeCommit, writeLastCheckpoint } from '../../delta/log-writer';
import type { ObjectStore } from '../../storage/object-store';
import { displayPath } from '../../storage/storage-error';
import { checkpointSource, crcStates, protocolAndMetadata } from '../export-reader';
import { STREAM_EXPORT_BYTES, commitBytesInRange } from '../raw-commits';
import type { SqlDriver } from '../sql';
import { readMode, recordPublished, recordPublishError, type TableModeState } from './table-mode';

export const DEFAULT_CHECKPOINT_INTERVAL = 100;
/** Versions published per call by default (the workflow calls again while there are more). */
export const DEFAULT_PUBLISH_BATCH = 200;

export interface PublishResult {
  tableId: string;
  mode: TableModeState['mode'];
  /** Newest version in the log with the catalog's bytes after this call (null: none). */
  publishedVersion: number | null;
  lastVersion: number | null;
  /** Versions this call created in `_delta_log`. */
  created: number;
  /** Versions found already present with identical bytes (an interrupted earlier run). */
  alreadyPresent: number;
  checkpoints: number[];
}

export function checkpointInterval(metadata: Record<string, unknown>): number {
  const conf = (metadata.configuration ?? {}) as Record<string, unknown>;
  const n = Number(conf['delta.checkpointInterval']);
  return Number.isSafeInteger(n) && n > 0 ? n : DEFAULT_CHECKPOINT_INTERVAL;
}

function foreignCommit(store: ObjectStore, version: number, cause: unknown): DeltaSqlError {
  const file = displayPath(store.root, commitPath(version));
  return new DeltaSqlError(
    'ForeignCommit',
    `${file} already exists with bytes the catalog did not commit: another writer is still committing to the log. ` +
      `Nothing was overwritten and publishing stopped at version ${version - 1}. Stop that writer, then either roll back ` +
      `(deltasql rollback) and let a sync import its commits, or remove its file if it was written in error.`,
    { file, cause },
  );
}

async function publishCheckpoint(
  db: SqlDriver,
  store: ObjectStore,
  tableId: string,
  v: number,
): Promise<void> {
  const src = await checkpointSource(db, tableId, v, Date.now());
  const cp = await writeCheckpoint(store, v, src.batches, { metadata: src.metadata });
  await writeLastCheckpoint(store, {
    version: v,
    size: cp.size,
    sizeInBytes: cp.sizeInBytes,
    numOfAddFiles: cp.numOfAddFiles,
  });
}

/**
 * Publish the versions after the recorded published version, up to `maxVersions` of them.
 * `onVersion` is called after each version is in the log (heartbeats).
 */
export async function publishPending(
  db: SqlDriver,
  store: ObjectStore,
  table: string,
  opts: { maxVersions?: number; onVersion?: (v: number) => void } = {},
): Promise<PublishResult> {
  const s = await readMode(db, table);
  const result: PublishResult = {
    tableId: s.tableId,
    mode: s.mode,
    publishedVersion: s.publishedVersion,
    lastVersion: s.lastVersion,
    created: 0,
    alreadyPresent: 0,
    checkpoints: [],
  };
  if (s.lastVersion === null) return result;
  const from = (s.publishedVersion ?? -1) + 1;
  const to = Math.min(s.lastVersion, from + (opts.maxVersions ?? DEFAULT_PUBLISH_BATCH) - 1);
  if (from > to) return result;
  const crcs = crcStates(db, s.tableId, from, to)[Symbol.asyncIterator]();
  // The whole batch's bytes in a few statements (one per ~20k lines), not two per version.
  // A commit above 64 MiB comes as a stream, written as it is read (delta/large-commit-writer.ts).
  const commits = commitBytesInRange(db, s.tableId, from, to, undefined, STREAM_EXPORT_BYTES)[
    Symbol.asyncIterator
  ]();
  let interval = checkpointInterval((await protocolAndMetadata(db, s.tableId, from)).metadata);
  for (let v = from; v <= to; v++) {
    const next = await commits.next();
    const c = !next.done && next.value.version === v ? next.value : null;
    const body = c?.streamed ?? c?.bytes ?? null;
    if (body === null)
      throw new DeltaSqlError(
        'VersionNotFound',
        `version ${v} of table ${s.name} has no commit in the catalog`,
      );
    try {
      const outcome = Buffer.isBuffer(body)
        ? await writeCommit(store, v, body)
        : await writeCommitStream(store, v, body);
      if (outcome === 'created') result.created += 1;
      else result.alreadyPresent += 1;
    } catch (e) {
      if (isDeltaSqlError(e) && e.type === 'VersionConflict') {
        const err = foreignCommit(store, v, e);
        await recordPublishError(db, s.tableId, `${err.type}: ${err.message}`);
        throw err;
      }
      throw e;
    }
    const crc = await crcs.next();
    if (!crc.done && crc.value.version === v && crc.value.state !== null) {
      await writeCrc(store, v, crc.value.state);
      interval = checkpointInterval(crc.value.state.metadata);
    }
    if (v > 0 && v % interval === 0) {
      await publishCheckpoint(db, store, s.tableId, v);
      result.checkpoints.push(v);
    }
    result.publishedVersion = v;
    opts.onVersion?.(v);
    // Record often enough that status and lag stay current, rarely enough not to contend with commits.
    if (v === to || (v - from) % 20 === 19) await recordPublished(db, s.tableId, v);
  }
  return result;
}
