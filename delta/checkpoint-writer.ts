/**
 * Writes a classic single-file checkpoint `N.checkpoint.parquet` (PROTOCOL.md "Checkpoints") from a
 * stream of action bodies: the mirror of checkpoint-reader.ts. Memory is bounded by one row group of
 * action objects (the encoded parquet bytes are buffered until the single put-if-absent, because a
 * checkpoint must appear whole or not at all); 1M files never exist as 1M objects at once.
 *
 * hyparquet-writer was measured against @dsnp/parquetjs on 200k add rows (BENCHMARKS.md / README):
 * about 2.3x faster at the same file size, and delta-rs, pyarrow and Spark read its output. The
 * table's metadata decides two options, as Spark does: `delta.checkpoint.writeStatsAsJson`
 * (default true) keeps `add.stats`, `delta.checkpoint.writeStatsAsStruct` adds `add.stats_parsed`.
 */
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { ObjectStore } from '../storage/object-store';
import { padVersion, LOG_DIR } from './log-path';
import {
  CHECKPOINT_COLUMNS,
  checkpointSchema,
  toColumn,
  type CheckpointColumn,
} from './checkpoint-writer-schema';
import { statsParsedFor } from './checkpoint-writer-stats';
import { writeDerivedFile, type WriteOptions, type WriteOutcome } from './log-writer';

type Json = Record<string, unknown>;

/** One checkpoint row: an action kind and its body (the JSON object inside `{"add": …}`). */
export interface CheckpointAction {
  kind: CheckpointColumn;
  body: Json;
}

export interface CheckpointOptions extends WriteOptions {
  /** The table's `metaData` body at the version: decides the stats columns. */
  metadata: Json;
  /** Rows per parquet row group (default 50k). */
  rowGroupRows?: number;
}

export interface CheckpointResult {
  path: string;
  /** Rows (actions) in the checkpoint: `_last_checkpoint.size`. */
  size: number;
  sizeInBytes: number;
  numOfAddFiles: number;
  outcome: WriteOutcome;
}

export const checkpointPath = (v: number): string => `${LOG_DIR}/${padVersion(v)}.checkpoint.parquet`;

const DEFAULT_ROW_GROUP = 50_000;

const configFlag = (metadata: Json, key: string, dflt: boolean): boolean => {
  const conf = metadata.configuration;
  const v = conf !== null && typeof conf === 'object' ? (conf as Json)[key] : undefined;
  return typeof v === 'string' ? v.toLowerCase() === 'true' : dflt;
};

/**
 * Encode `batches` (any grouping; order is kept) into the checkpoint for `version` and write it
 * with put-if-absent (an existing different checkpoint is kept unless `overwrite`).
 */
export async function writeCheckpoint(
  store: ObjectStore,
  version: number,
  batches: AsyncIterable<readonly CheckpointAction[]>,
  opts: CheckpointOptions,
): Promise<CheckpointResult> {
  const statsAsJson = configFlag(opts.metadata, 'delta.checkpoint.writeStatsAsJson', true);
  const parsed = configFlag(opts.metadata, 'delta.checkpoint.writeStatsAsStruct', false)
    ? statsParsedFor(opts.metadata)
    : null;
  const out = new ByteWriter();
  const writer = new ParquetWriter({
    writer: out,
    schema: checkpointSchema(parsed?.node ?? null),
    statistics: false,
    createdBy: 'deltasql',
  });
  const groupRows = opts.rowGroupRows ?? DEFAULT_ROW_GROUP;
  const cols = (): Record<CheckpointColumn, (Json | null)[]> => ({
    txn: [],
    add: [],
    remove: [],
    metaData: [],
    protocol: [],
    domainMetadata: [],
  });
  let pending = cols();
  let pendingRows = 0;
  const flush = (): void => {
    if (pendingRows === 0) return;
    const columnData = CHECKPOINT_COLUMNS.map((name) => ({ name, data: pending[name] }));
    void writer.write({ columnData, rowGroupSize: pendingRows });
    pending = cols();
    pendingRows = 0;
  };
  let size = 0;
  let numOfAddFiles = 0;
  for await (const batch of batches) {
    for (const a of batch) {
      let value: Json;
      if (a.kind === 'add') {
        numOfAddFiles++;
        const stats = typeof a.body.stats === 'string' ? a.body.stats : undefined;
        value = toColumn.add(
          statsAsJson ? a.body : { ...a.body, stats: undefined },
          parsed && stats !== undefined ? parsed.convert(stats) : undefined,
        );
      } else {
        value = toColumn[a.kind](a.body);
      }
      for (const c of CHECKPOINT_COLUMNS) pending[c].push(c === a.kind ? value : null);
      pendingRows++;
      size++;
      if (pendingRows >= groupRows) flush();
    }
  }
  flush();
  writer.finish();
  const bytes = Buffer.from(out.getBuffer());
  const path = checkpointPath(version);
  const outcome = await writeDerivedFile(store, path, bytes, opts);
  return { path, size, sizeInBytes: bytes.length, numOfAddFiles, outcome };
}
