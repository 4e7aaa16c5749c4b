/**
 * Test checkpoints for the streaming reader: a multi-row-group, multi-page parquet checkpoint
 * written with the generator's schema (parquetjs), and the actions the pre-streaming reader
 * produced (whole file through hyparquet's parquetReadObjects), the byte-identical oracle.
 */
import * as fs from 'node:fs';
import type { WriteStream } from 'node:fs';
import * as path from 'node:path';
import { ParquetWriter } from '@dsnp/parquetjs';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import {
  addRow,
  checkpointSchema,
  metadataRow,
  protocolRow,
  removeRow,
  txnRow,
} from '../../bench/generator/checkpoint-schema';
import type { LogAction } from '../../delta/actions';
import { toLogAction } from '../../delta/action-parse';
import { cleanValue } from '../../delta/checkpoint-reader';
import type { CheckpointRef } from '../../delta/table';

export const CHECKPOINT_VERSION = 7;
export const checkpointRel = `_delta_log/${String(CHECKPOINT_VERSION).padStart(20, '0')}.checkpoint.parquet`;

const dv = (i: number) => ({
  storageType: 'u',
  pathOrInlineDv: `ab^${i}`,
  offset: i,
  sizeInBytes: 40 + i,
  cardinality: i % 7,
});

/** Rows: protocol, metaData, 2 txns, `adds` adds, `removes` removes; varied maps, nulls and DVs. */
export async function writeCheckpoint(
  dir: string,
  opts: { adds: number; removes: number; rowGroupSize: number; pageSize: number },
): Promise<{ ref: CheckpointRef; file: string; rows: number }> {
  const file = path.join(dir, checkpointRel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const out = fs.createWriteStream(file);
  const writer = await ParquetWriter.openStream(checkpointSchema(), out as unknown as WriteStream, {
    rowGroupSize: opts.rowGroupSize,
    pageSize: opts.pageSize,
    useDataPageV2: false,
    pageIndex: false,
  });
  await writer.appendRow(
    protocolRow({
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['deletionVectors'],
      writerFeatures: ['deletionVectors'],
    }),
  );
  await writer.appendRow(
    metadataRow({
      id: 'tbl',
      name: null,
      description: 'stream test',
      format: { provider: 'parquet', options: {} },
      schemaString: '{"type":"struct","fields":[]}',
      partitionColumns: ['p'],
      configuration: { 'delta.enableDeletionVectors': 'true' },
      createdTime: 1_700_000_000_000,
    }),
  );
  for (const appId of ['app-a', 'app-b'])
    await writer.appendRow(txnRow({ appId, version: 3, lastUpdated: 5 }));
  for (let i = 0; i < opts.adds; i++) {
    await writer.appendRow(
      addRow({
        path: `p=${i % 5}/part-${String(i).padStart(6, '0')}-é %.parquet`,
        partitionValues: i % 11 === 0 ? { p: null } : { p: String(i % 5) },
        size: 1000 + i,
        modificationTime: 1_700_000_000_000 + i,
        dataChange: false,
        stats: `{"numRecords":${i},"minValues":{"id":${i}},"maxValues":{"id":${i * 2}},"nullCount":{"id":0}}`,
        ...(i % 3 === 0 ? { tags: { t: `v${i}`, u: 'x' } } : {}),
        ...(i % 4 === 0 ? { deletionVector: dv(i) } : {}),
      }),
    );
  }
  for (let i = 0; i < opts.removes; i++) {
    await writer.appendRow(
      removeRow({
        path: `p=${i % 5}/gone-${i}.parquet`,
        deletionTimestamp: 1_700_000_001_000 + i,
        dataChange: false,
        extendedFileMetadata: true,
        partitionValues: { p: String(i % 5) },
        size: 10 + i,
        ...(i % 2 === 0 ? { deletionVector: dv(i) } : {}),
      }),
    );
  }
  await writer.close();
  const st = fs.statSync(file);
  const rows = 4 + opts.adds + opts.removes;
  return {
    file,
    rows,
    ref: {
      version: CHECKPOINT_VERSION,
      kind: 'classic',
      files: [{ path: checkpointRel, size: st.size, lastModified: Math.floor(st.mtimeMs) }],
    },
  };
}

/** Decoded rows of a whole parquet file, the way hyparquet's high-level API returns them. */
export async function wholeFileRows(file: string): Promise<Record<string, unknown>[]> {
  const buf = fs.readFileSync(file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  return parquetReadObjects({ file: ab, metadata: parquetMetadata(ab), compressors });
}

/** The actions the whole-file reader produced for a single-file checkpoint (seq from 0). */
export async function wholeFileActions(file: string): Promise<LogAction[]> {
  const out: LogAction[] = [];
  let seq = 0;
  for (const row of await wholeFileRows(file)) {
    const clean = cleanValue(row) as Record<string, unknown>;
    for (const [key, body] of Object.entries(clean)) {
      const obj = { [key]: body };
      out.push(toLogAction(obj, JSON.stringify(obj), seq));
    }
    seq++;
  }
  return out;
}
