/**
 * A table whose only usable state is one huge V2 checkpoint in JSON form
 * (`10.checkpoint.<uuid>.json`, PROTOCOL.md "V2 Spec"), as a table with 150k+ wide files and its
 * early log cleaned up leaves it: the checkpoint holds checkpointMetadata, protocol (v2Checkpoint),
 * metaData, a txn, one add per live file (stats included) and a few remove tombstones; commit 10
 * (the commit at the checkpoint version) is small; commit 11 removes 1,000 files and adds 10.
 * Commits 0..9 are gone, so only a checkpoint-only import can read it. Used by the >600 MB JSON
 * checkpoint import test (test/hardening/large-json-checkpoint-import) and the largecommit bench.
 * Generated as bench/large-commit.ts writes its commit: templated lines in blocks of a few MB.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  MTIME,
  addLine,
  largeFilePath,
  largeTableSchema,
  statsTemplate,
  writeFileHashed,
} from './large-commit';

export const CHECKPOINT_VERSION = 10;
const UUID = '7d3c1f0a-14aa-4e2b-9c5d-0a1b2c3d4e5f';
const TOMBSTONES = 5;
const TXN = { appId: 'large-checkpoint-writer', version: 42 };

export interface LargeCheckpointTable {
  /** Bytes of the JSON checkpoint file. */
  checkpointBytes: number;
  checkpointFile: string;
  /** Live files at the checkpoint version (adds in the checkpoint). */
  files: number;
  /** Their total size in bytes. */
  sizeBytes: number;
  /** Version 11: removes of files 0..removed-1, adds of `added` new files. */
  removed: number;
  added: number;
  /** Total size of the live files after version 11. */
  sizeBytesAfter: number;
  txn: { appId: string; version: number };
  /** Live file paths after version 11, sorted. */
  livePaths(): string[];
}

/** The generator's file sizes (bench/large-commit.ts `addLine`). */
const fileSize = (i: number): number => 100_000 + (i % 997);

const commitFile = (log: string, v: number): string => path.join(log, `${String(v).padStart(20, '0')}.json`);

/** Write the table under `dir` with a JSON checkpoint of at least `minBytes` bytes. */
export function writeLargeCheckpointTable(dir: string, minBytes: number): LargeCheckpointTable {
  const log = path.join(dir, '_delta_log');
  fs.mkdirSync(log, { recursive: true });
  const stats = JSON.stringify(statsTemplate());
  const files = Math.ceil(minBytes / (addLine(0, stats).length + 1)) + 1;
  const t = MTIME + CHECKPOINT_VERSION * 1000;
  const protocol = {
    minReaderVersion: 3,
    minWriterVersion: 7,
    readerFeatures: ['v2Checkpoint'],
    writerFeatures: ['v2Checkpoint'],
  };
  const metaData = {
    id: '5f0c1d2e-0000-4000-8000-000000000610',
    format: { provider: 'parquet', options: {} },
    schemaString: JSON.stringify(largeTableSchema()),
    partitionColumns: ['part'],
    configuration: { 'delta.checkpointPolicy': 'v2' },
    createdTime: MTIME,
  };
  const checkpointName = `${String(CHECKPOINT_VERSION).padStart(20, '0')}.checkpoint.${UUID}.json`;
  const cp = writeFileHashed(
    path.join(log, checkpointName),
    (function* () {
      yield JSON.stringify({ checkpointMetadata: { version: CHECKPOINT_VERSION } });
      yield JSON.stringify({ protocol });
      yield JSON.stringify({ metaData });
      yield JSON.stringify({ txn: { ...TXN, lastUpdated: t } });
      // Tombstones of files removed before the checkpoint: inert for state.
      for (let k = 0; k < TOMBSTONES; k++) {
        yield JSON.stringify({
          remove: { path: `gone/part-${k}.parquet`, deletionTimestamp: t - 1, dataChange: false },
        });
      }
      for (let i = 0; i < files; i++) yield addLine(i, stats);
    })(),
  );
  // The commit at the checkpoint version: its last file's add (and the txn) is what it wrote.
  writeFileHashed(commitFile(log, CHECKPOINT_VERSION), [
    JSON.stringify({ commitInfo: { timestamp: t, operation: 'WRITE' } }),
    JSON.stringify({ txn: TXN }),
    addLine(files - 1, stats),
  ]);
  const removed = 1000;
  const added = 10;
  writeFileHashed(
    commitFile(log, CHECKPOINT_VERSION + 1),
    (function* () {
      yield JSON.stringify({ commitInfo: { timestamp: t + 1000, operation: 'DELETE' } });
      for (let i = 0; i < removed; i++) {
        yield JSON.stringify({
          remove: { path: largeFilePath(i), deletionTimestamp: t + 1000, dataChange: true },
        });
      }
      for (let i = files; i < files + added; i++) yield addLine(i, stats);
    })(),
  );
  fs.writeFileSync(
    path.join(log, '_last_checkpoint'),
    JSON.stringify({ version: CHECKPOINT_VERSION, size: files + TOMBSTONES + 4, sizeInBytes: cp.bytes }),
  );
  fs.utimesSync(commitFile(log, CHECKPOINT_VERSION), t / 1000, t / 1000);
  fs.utimesSync(commitFile(log, CHECKPOINT_VERSION + 1), (t + 1000) / 1000, (t + 1000) / 1000);
  let sizeBytes = 0;
  for (let i = 0; i < files; i++) sizeBytes += fileSize(i);
  let sizeBytesAfter = sizeBytes;
  for (let i = 0; i < removed; i++) sizeBytesAfter -= fileSize(i);
  for (let i = files; i < files + added; i++) sizeBytesAfter += fileSize(i);
  return {
    checkpointBytes: cp.bytes,
    checkpointFile: checkpointName,
    files,
    sizeBytes,
    removed,
    added,
    sizeBytesAfter,
    txn: TXN,
    livePaths: () => {
      const out: string[] = [];
      for (let i = removed; i < files + added; i++) out.push(largeFilePath(i));
      return out.sort();
    },
  };
}
