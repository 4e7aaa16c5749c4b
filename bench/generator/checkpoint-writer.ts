/**
 * Writes a checkpoint of the generator's state at a version — classic single file or multi-part —
 * plus `_last_checkpoint`. Rows are streamed from the state into parquetjs row group by row group,
 * so memory stays bounded by the state itself plus one row group.
 */
import type { WriteStream } from 'node:fs';
import { ParquetWriter } from '@dsnp/parquetjs';
import { addRow, checkpointSchema, metadataRow, protocolRow, removeRow, txnRow } from './checkpoint-schema';
import type { LogSink } from './sink';
import type { TableState } from './state';

export const LOG_DIR = '_delta_log';
const pad20 = (n: number): string => String(n).padStart(20, '0');
const pad10 = (n: number): string => String(n).padStart(10, '0');

export const commitFile = (v: number): string => `${LOG_DIR}/${pad20(v)}.json`;
export const crcFile = (v: number): string => `${LOG_DIR}/${pad20(v)}.crc`;
export const lastCheckpointFile = `${LOG_DIR}/_last_checkpoint`;

export function checkpointFiles(v: number, parts: number): string[] {
  if (parts <= 1) return [`${LOG_DIR}/${pad20(v)}.checkpoint.parquet`];
  return Array.from(
    { length: parts },
    (_, i) => `${LOG_DIR}/${pad20(v)}.checkpoint.${pad10(i + 1)}.${pad10(parts)}.parquet`,
  );
}

export interface CheckpointResult {
  version: number;
  files: string[];
  rows: number;
  numOfAddFiles: number;
  sizeInBytes: number;
}

/** All checkpoint rows in a fixed order: protocol, metaData, txns (by appId), adds, live tombstones. */
function* rows(state: TableState): Generator<Record<string, unknown>> {
  if (!state.protocol || !state.metadata) throw new Error('checkpoint of a state without protocol/metaData');
  yield protocolRow(state.protocol);
  yield metadataRow(state.metadata);
  for (const t of [...state.txns.values()].sort((a, b) => (a.appId < b.appId ? -1 : 1))) yield txnRow(t);
  for (const a of state.files()) yield addRow(a);
  for (const r of state.tombstones.values()) yield removeRow(r);
}

/** Write the checkpoint for `state.version` at time `ts`, then `_last_checkpoint`. */
export async function writeCheckpoint(
  sink: LogSink,
  state: TableState,
  opts: { parts: number; rowGroupSize: number; timestamp: number },
): Promise<CheckpointResult> {
  const tombstones = state.pruneTombstones(opts.timestamp);
  const total = 2 + state.txns.size + state.numFiles + tombstones;
  const files = checkpointFiles(state.version, opts.parts);
  const perPart = Math.ceil(total / files.length);
  const schema = checkpointSchema();
  const it = rows(state);
  let sizeInBytes = 0;
  for (const file of files) {
    const { stream, finish } = await sink.openStream(file);
    // parquetjs only calls write(buf, cb) and end(cb), which every Writable has; its type asks for fs.WriteStream.
    const out = stream as unknown as WriteStream;
    const writer = await ParquetWriter.openStream(schema, out, {
      rowGroupSize: opts.rowGroupSize,
      useDataPageV2: false,
      pageIndex: false,
    });
    for (let i = 0; i < perPart; i++) {
      const r = it.next();
      if (r.done) break;
      await writer.appendRow(r.value);
    }
    await writer.close();
    sizeInBytes += await finish(opts.timestamp);
  }
  const last: Record<string, number> = { version: state.version, size: total };
  if (files.length > 1) last.parts = files.length;
  last.sizeInBytes = sizeInBytes;
  last.numOfAddFiles = state.numFiles;
  await sink.put(lastCheckpointFile, JSON.stringify(last), opts.timestamp);
  return { version: state.version, files, rows: total, numOfAddFiles: state.numFiles, sizeInBytes };
}
