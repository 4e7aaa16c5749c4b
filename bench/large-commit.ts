/**
 * A table whose version 0 is one huge commit, as CONVERT TO DELTA or a first CTAS over many files
 * writes it (commitInfo, protocol, metaData, then one add per file with stats), followed by a
 * small commit that removes some of those files and adds new ones. Used by the >600 MB import
 * test (test/hardening/large-commit-import) and its benchmark (`--only=largecommit`).
 *
 * Generated fast: each add line is one template with the file number spliced in, written in
 * blocks of a few MB, so 600 MB take a few seconds. The sha256 of each commit file is computed as
 * it is written, so a caller can check the catalog's byte-exact record of it.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The sha256 of a file read 8 MiB at a time (a generated commit is larger than one string). */
export function sha256File(file: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 * 1024 * 1024);
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

export interface LargeCommitTable {
  /** Bytes and sha256 of 00000000000000000000.json. */
  commitBytes: number;
  commitSha256: string;
  /** Add actions in version 0. */
  files: number;
  /** Version 1: removes of files 0..removed-1, adds of `added` new files. */
  removed: number;
  added: number;
  /** Live file paths after version 1, sorted. */
  livePaths(): string[];
}

const BLOCK_BYTES = 4 * 1024 * 1024;
const COLUMNS = 48;
export const MTIME = 1_700_000_000_000;

export const largeFilePath = (i: number): string =>
  `part=${i % 16}/part-${String(i).padStart(7, '0')}-0f3c2a1e-6a55-4c1b-9d0e-${String(i).padStart(12, '0')}.c000.snappy.parquet`;

/** Stats of a wide table (COLUMNS columns of min, max and null counts); ~3.6 KB per add line. */
export function statsTemplate(): string {
  const min: Record<string, string> = {};
  const max: Record<string, string> = {};
  const nulls: Record<string, number> = {};
  for (let c = 0; c < COLUMNS; c++) {
    min[`column_${c}`] = `aaaaaaaaaaaa${c}`;
    max[`column_${c}`] = `zzzzzzzzzzzz${c}`;
    nulls[`column_${c}`] = 0;
  }
  return JSON.stringify({ numRecords: 1000, minValues: min, maxValues: max, nullCount: nulls });
}

/** One add line, spliced from literal pieces (JSON.stringify per line made generation CPU-bound). */
export function addLine(i: number, statsJson: string): string {
  return (
    `{"add":{"path":${JSON.stringify(largeFilePath(i))},"partitionValues":{"part":"${i % 16}"},` +
    `"size":${100_000 + (i % 997)},"modificationTime":${MTIME},"dataChange":true,"stats":${statsJson}}}`
  );
}

export function writeFileHashed(file: string, lines: Iterable<string>): { bytes: number; sha256: string } {
  const fd = fs.openSync(file, 'w');
  const hash = createHash('sha256');
  let bytes = 0;
  let block: string[] = [];
  let blockLen = 0;
  const flush = (): void => {
    const buf = Buffer.from(block.join(''), 'utf8');
    hash.update(buf);
    for (let off = 0; off < buf.length;) off += fs.writeSync(fd, buf, off);
    bytes += buf.length;
    block = [];
    blockLen = 0;
  };
  try {
    for (const l of lines) {
      block.push(l, '\n');
      blockLen += l.length + 1;
      if (blockLen >= BLOCK_BYTES) flush();
    }
    flush();
  } finally {
    fs.closeSync(fd);
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** The wide table's schema (COLUMNS string columns and the `part` partition column). */
export function largeTableSchema(): object {
  return {
    type: 'struct',
    fields: [
      ...Array.from({ length: COLUMNS }, (_, c) => ({
        name: `column_${c}`,
        type: 'string',
        nullable: true,
        metadata: {},
      })),
      { name: 'part', type: 'string', nullable: true, metadata: {} },
    ],
  };
}

/** Write the table under `dir` with a version 0 of at least `minBytes` bytes. */
export function writeLargeCommitTable(dir: string, minBytes: number): LargeCommitTable {
  const log = path.join(dir, '_delta_log');
  fs.mkdirSync(log, { recursive: true });
  const stats = JSON.stringify(statsTemplate());
  const perLine = addLine(0, stats).length + 1;
  const files = Math.ceil(minBytes / perLine) + 1;
  const schema = largeTableSchema();
  const head = [
    { commitInfo: { timestamp: MTIME, operation: 'CONVERT', operationParameters: {}, isBlindAppend: false } },
    { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
    {
      metaData: {
        id: '5f0c1d2e-0000-4000-8000-000000000600',
        format: { provider: 'parquet', options: {} },
        schemaString: JSON.stringify(schema),
        partitionColumns: ['part'],
        configuration: {},
        createdTime: MTIME,
      },
    },
  ];
  const v0 = writeFileHashed(
    path.join(log, '00000000000000000000.json'),
    (function* () {
      for (const a of head) yield JSON.stringify(a);
      for (let i = 0; i < files; i++) yield addLine(i, stats);
    })(),
  );
  const removed = 1000;
  const added = 10;
  writeFileHashed(
    path.join(log, '00000000000000000001.json'),
    (function* () {
      yield JSON.stringify({ commitInfo: { timestamp: MTIME + 1000, operation: 'DELETE' } });
      for (let i = 0; i < removed; i++) {
        yield JSON.stringify({
          remove: { path: largeFilePath(i), deletionTimestamp: MTIME + 1000, dataChange: true },
        });
      }
      for (let i = files; i < files + added; i++) yield addLine(i, stats);
    })(),
  );
  // Commit times as a writer would leave them (the catalog's timestamps come from them).
  fs.utimesSync(path.join(log, '00000000000000000000.json'), MTIME / 1000, MTIME / 1000);
  fs.utimesSync(path.join(log, '00000000000000000001.json'), (MTIME + 1000) / 1000, (MTIME + 1000) / 1000);
  return {
    commitBytes: v0.bytes,
    commitSha256: v0.sha256,
    files,
    removed,
    added,
    livePaths: () => {
      const out: string[] = [];
      for (let i = removed; i < files + added; i++) out.push(largeFilePath(i));
      return out.sort();
    },
  };
}
