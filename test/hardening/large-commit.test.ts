/**
 * A commit of more than 600 MB (what CONVERT TO DELTA or a first CTAS over 1M+ files writes) and a
 * V2 JSON checkpoint of that size are read line by line from a stream: replay succeeds with
 * bounded memory instead of failing with ERR_STRING_TOO_LONG. The files are generated in a temp
 * dir (one add line repeated) and deleted.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { commitPath } from '../../delta/log-path';
import { writeLargeCommitTable } from '../../bench/large-commit';
import { isStreamedRaw } from '../../delta/commit-framing';
import { DeltaTable, STREAM_COMMIT_BYTES } from '../../delta/table';

const TARGET_BYTES = 610 * 1024 * 1024;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-large-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function writeLargeCommit(): number {
  fs.mkdirSync(path.join(root, '_delta_log'));
  const file = path.join(root, commitPath(0));
  const fd = fs.openSync(file, 'w');
  const head = [
    { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
    {
      metaData: {
        id: 'big',
        format: { provider: 'parquet', options: {} },
        schemaString:
          '{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}}]}',
        partitionColumns: [],
        configuration: {},
      },
    },
  ];
  fs.writeSync(fd, head.map((a) => JSON.stringify(a)).join('\n') + '\n');
  // One wide add line (large stats, as a wide table has), repeated: the same file re-added.
  const stats = JSON.stringify({
    numRecords: 1,
    minValues: { id: 'x'.repeat(4000) },
    maxValues: { id: 'y'.repeat(4000) },
  });
  const line =
    JSON.stringify({
      add: { path: 'a.parquet', partitionValues: {}, size: 1, modificationTime: 1, dataChange: true, stats },
    }) + '\n';
  const block = Buffer.from(line.repeat(Math.ceil((4 * 1024 * 1024) / line.length)));
  let written = 0;
  while (written < TARGET_BYTES) written += fs.writeSync(fd, block);
  const last = JSON.stringify({
    add: { path: 'b.parquet', partitionValues: {}, size: 2, modificationTime: 1, dataChange: true },
  });
  fs.writeSync(fd, last + '\n');
  fs.closeSync(fd);
  return fs.statSync(file).size;
}

test('replay of a >600 MB commit streams it with bounded memory', async () => {
  const size = writeLargeCommit();
  expect(size).toBeGreaterThan(600 * 1024 * 1024);
  const before = process.resourceUsage().maxRSS;
  const started = Date.now();
  const snap = await (await DeltaTable.open(root)).snapshot({}, { includeFiles: false });
  const after = process.resourceUsage().maxRSS;
  expect(snap.version).toBe(0);
  expect(snap.numFiles).toBe(2);
  const mb = (kb: number): number => Math.round(kb / 1024);
  console.log(
    `large commit: ${Math.round(size / 2 ** 20)} MiB replayed in ${Date.now() - started} ms; peak RSS ${mb(after)} MB (${mb(before)} MB before the read)`,
  );
  // The whole file as one Buffer alone would be 610 MB; as parsed actions several GB.
  expect(mb(after) - mb(before)).toBeLessThan(256);
});

test('a commit too large for one framing value at a checkpoint baseline is handed over as a stream', async () => {
  const dir = path.join(root, 'baseline');
  const gen = writeLargeCommitTable(dir, STREAM_COMMIT_BYTES + 1024 * 1024);
  const warnings: string[] = [];
  const table = await DeltaTable.open(dir, { onWarning: (m) => warnings.push(m) });
  const before = process.resourceUsage().maxRSS;
  const raw = await table.wholeCommitRaw(0);
  if (raw === null || !isStreamedRaw(raw)) throw new Error('expected a streamed raw commit');
  // Not read until the catalog stores it; then read in bounded ranges, byte for byte.
  expect(process.resourceUsage().maxRSS - before).toBeLessThan(32 * 1024);
  expect(raw.size).toBe(gen.commitBytes);
  const hash = createHash('sha256');
  for await (const c of raw.chunks()) hash.update(c);
  expect(hash.digest('hex')).toBe(gen.commitSha256);
  expect(warnings).toEqual([]);
  // A small commit is still kept whole.
  expect(await table.wholeCommitRaw(1)).toMatchObject({
    size: fs.statSync(path.join(dir, commitPath(1))).size,
  });
  fs.rmSync(dir, { recursive: true, force: true });
});

test('replay from a >600 MB V2 JSON checkpoint streams it with bounded memory', async () => {
  const log = path.join(root, '_delta_log');
  const commit = path.join(root, commitPath(0));
  const checkpoint = path.join(log, `${'0'.repeat(20)}.checkpoint.3a0d65cd-4056-49b8-937b-95f9e3ee90e5.json`);
  // The commit's actions plus the checkpointMetadata a V2 checkpoint holds; the commit goes, so
  // the checkpoint is all there is to read.
  fs.renameSync(commit, checkpoint);
  fs.appendFileSync(checkpoint, JSON.stringify({ checkpointMetadata: { version: 0 } }) + '\n');
  const size = fs.statSync(checkpoint).size;
  expect(size).toBeGreaterThan(600 * 1024 * 1024);
  const before = process.resourceUsage().maxRSS;
  const started = Date.now();
  const table = await DeltaTable.open(root);
  expect((await table.segment(0)).checkpoint?.kind).toBe('v2');
  const snap = await table.snapshot({}, { includeFiles: false });
  const after = process.resourceUsage().maxRSS;
  expect(snap.version).toBe(0);
  expect(snap.numFiles).toBe(2);
  const mb = (kb: number): number => Math.round(kb / 1024);
  console.log(
    `large JSON checkpoint: ${Math.round(size / 2 ** 20)} MiB replayed in ${Date.now() - started} ms; peak RSS ${mb(after)} MB (${mb(before)} MB before the read)`,
  );
  expect(mb(after) - mb(before)).toBeLessThan(256);
});
