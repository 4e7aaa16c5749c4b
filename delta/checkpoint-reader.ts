/**
 * Stream the actions of one checkpoint: classic or multi-part parquet, or V2 (UUID-named JSON or
 * parquet) with its sidecar files expanded from `_delta_log/_sidecars/`. Parquet is read through
 * ranged reads and decoded page by page in row batches (parquet-stream.ts), so memory is bounded by
 * a batch, not by the row group or the checkpoint (delta-rs writes 1M rows as one row group).
 * Each row becomes a LogAction whose `raw` is the row's JSON with nulls dropped (map entries keep
 * their null values: a null partition value is data) and int64 as numbers (checkpoint-rows.ts);
 * `stats_parsed` is rebuilt into the `stats` JSON text, exactly (stats-parsed.ts).
 */
import { compressors } from 'hyparquet-compressors';
import { DeltaSqlError } from '../common/errors';
import type { ObjectStore } from '../storage/object-store';
import { displayPath, isNotFound } from '../storage/storage-error';
import type { LogAction, SidecarAction } from './actions';
import { ActionShapeError, toLogAction } from './action-parse';
import { assembleCleanRows, cleanValue, hasCleanPlan } from './checkpoint-rows';
import { lineAction } from './commit-reader';
import { byteChunks, streamLines } from './line-reader';
import { SIDECAR_DIR } from './log-path';
import { type ByteSource, parquetRowBatches, readParquetMetadata } from './parquet-stream';
import { statsDecoder } from './stats-parsed';
import type { CheckpointRef } from './table';

const EMPTY_ROW: Record<string, unknown> = {};

const corrupt = (file: string, why: string, cause?: unknown): DeltaSqlError =>
  new DeltaSqlError('CorruptCheckpoint', `corrupt checkpoint ${file}: ${why}`, { file, cause });

export { cleanValue };

async function fetchObject(store: ObjectStore, rel: string, what: string): Promise<Buffer> {
  try {
    return await store.get(rel);
  } catch (e) {
    if (isNotFound(e)) {
      const file = displayPath(store.root, rel);
      throw new DeltaSqlError('IncompleteCheckpoint', `${what} ${file} is missing`, { file, cause: e });
    }
    throw e;
  }
}

interface Counter {
  seq: number;
}

/**
 * Bytes of one checkpoint file: ranged reads when the store has them (memory stays bounded by the
 * decoder's windows), else the whole object once, read in place without a copy.
 */
async function openSource(
  store: ObjectStore,
  rel: string,
  knownSize: number | undefined,
  what: string,
): Promise<ByteSource> {
  const file = displayPath(store.root, rel);
  const missing = (cause?: unknown): DeltaSqlError =>
    new DeltaSqlError('IncompleteCheckpoint', `${what} ${file} is missing`, { file, cause });
  const getRange = store.getRange?.bind(store);
  if (!getRange) {
    const buf = await fetchObject(store, rel, what);
    return { size: buf.byteLength, read: async (start, end) => buf.subarray(start, end) };
  }
  let size = knownSize;
  if (size === undefined || size <= 0) {
    const meta = await store.head(rel);
    if (!meta) throw missing();
    size = meta.size;
  }
  return {
    size,
    read: async (start, end) => {
      try {
        return await getRange(rel, start, end);
      } catch (e) {
        throw isNotFound(e) ? missing(e) : e;
      }
    },
  };
}

const reason = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Rows of one parquet checkpoint file, in bounded row batches (see parquet-stream.ts). */
async function* parquetActions(src: ByteSource, file: string, counter: Counter): AsyncGenerator<LogAction> {
  let metadata;
  try {
    metadata = await readParquetMetadata(src);
  } catch (e) {
    if (e instanceof DeltaSqlError) throw e;
    throw corrupt(file, `unreadable parquet footer (${reason(e)})`, e);
  }
  // Rows arrive as clean action bodies (checkpoint-rows.ts), ready for JSON.stringify.
  const batches = parquetRowBatches(src, metadata, {
    compressors,
    assemble: assembleCleanRows,
    flatLeaves: hasCleanPlan,
    decoder: statsDecoder,
  });
  let rowStart = 0;
  for (;;) {
    let next;
    try {
      next = await batches.next();
    } catch (e) {
      if (e instanceof DeltaSqlError) throw e;
      throw corrupt(file, `unreadable rows after row ${rowStart} (${reason(e)})`, e);
    }
    if (next.done) return;
    const rows = next.value;
    rowStart += rows.length;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      // Drop the decoded row as soon as it is converted.
      rows[i] = EMPTY_ROW;
      const seq = counter.seq++;
      // A checkpoint row holds one action column set; everything else is null.
      for (const key in row) yield toAction({ [key]: row[key] }, file, seq);
    }
  }
}

function toAction(obj: Record<string, unknown>, file: string, seq: number): LogAction {
  try {
    return toLogAction(obj, JSON.stringify(obj), seq);
  } catch (e) {
    if (e instanceof ActionShapeError) throw corrupt(file, `row ${seq}: ${e.message}`);
    throw e;
  }
}

/** Lines of a V2 JSON checkpoint, streamed through the shared line reader (any size, bounded memory). */
async function* jsonActions(src: ByteSource, file: string, counter: Counter): AsyncGenerator<LogAction> {
  const fail = (line: number, why: string): DeltaSqlError => corrupt(file, `line ${line}: ${why}`);
  for await (const l of streamLines(byteChunks(src.read, src.size))) {
    const a = lineAction(l, counter.seq, fail);
    if (a) {
      counter.seq++;
      yield a;
    }
  }
}

/** Where a sidecar lives: relative names are under _delta_log/_sidecars/ (PROTOCOL.md "Sidecar"). */
export function sidecarRelPath(store: ObjectStore, sidecarPath: string, checkpointFile: string): string {
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(sidecarPath) && !sidecarPath.startsWith('/')) {
    return `${SIDECAR_DIR}/${decodeURIComponent(sidecarPath)}`;
  }
  const rootPrefix = `${store.root.replace(/\/+$/, '')}/`;
  const abs = sidecarPath.replace(/^file:(\/\/)?/, '');
  if (sidecarPath.startsWith(rootPrefix)) return decodeURIComponent(sidecarPath.slice(rootPrefix.length));
  if (abs.startsWith(rootPrefix)) return decodeURIComponent(abs.slice(rootPrefix.length));
  throw corrupt(checkpointFile, `sidecar ${sidecarPath} lies outside the table`);
}

/** Every action of a checkpoint, parts in order, then sidecars. `seq` runs across all its files. */
export async function* readCheckpoint(store: ObjectStore, ref: CheckpointRef): AsyncGenerator<LogAction> {
  const counter: Counter = { seq: 0 };
  const sidecars: { path: string; from: string }[] = [];
  for (const meta of ref.files) {
    const file = displayPath(store.root, meta.path);
    const actions = meta.path.endsWith('.json')
      ? jsonActions(await openSource(store, meta.path, meta.size, 'checkpoint file'), file, counter)
      : parquetActions(await openSource(store, meta.path, meta.size, 'checkpoint file'), file, counter);
    for await (const a of actions) {
      if (a.type === 'sidecar') sidecars.push({ path: (a.body as SidecarAction).path, from: file });
      yield a;
    }
  }
  for (const sc of sidecars) {
    const rel = sidecarRelPath(store, sc.path, sc.from);
    const file = displayPath(store.root, rel);
    const src = await openSource(store, rel, undefined, `sidecar of ${sc.from}:`);
    for await (const a of parquetActions(src, file, counter)) {
      if (a.type === 'add' || a.type === 'remove') yield a;
      else throw corrupt(file, `sidecar files may hold only add and remove actions, found ${a.type}`);
    }
  }
}
