/**
 * `deltasql discover` labels Delta, Iceberg and plain Parquet folders, lists every format of a
 * folder that holds several (primary first: Delta > Iceberg > Parquet), reports Iceberg format
 * version and snapshots, and the partition columns of a Hive-partitioned Parquet folder.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { convertToIceberg } from '../../client/convert-iceberg';
import type { DiscoveredTable } from '../../parity/discover';
import { fixture } from '../support/env';
import { runPython } from '../support/python';
import { runCli } from '../support/run-cli';

let root: string;
beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'discover-formats-'));
  fs.cpSync(fixture('delta-rs/simple_table'), path.join(root, 'events'), { recursive: true });
  fs.cpSync(fixture('delta-rs/simple_table'), path.join(root, 'both'), { recursive: true });
  await convertToIceberg(path.join(root, 'both'), { dryRun: false });
  fs.cpSync(path.join(root, 'both'), path.join(root, 'ice'), { recursive: true });
  fs.rmSync(path.join(root, 'ice/_delta_log'), { recursive: true });
  await runPython(
    String.raw`
import json, sys, os, pyarrow as pa, pyarrow.parquet as pq
a = json.load(sys.stdin)
for y in (2023, 2024):
    d = os.path.join(a["raw"], f"year={y}", "region=eu")
    os.makedirs(d, exist_ok=True)
    pq.write_table(pa.table({"id": [1, 2]}), os.path.join(d, "part-0.parquet"))
print(json.dumps({}))
`,
    { raw: path.join(root, 'raw') },
  );
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

test('each folder is labelled with its formats and the primary one', async () => {
  const r = await runCli(['discover', root, '--format', 'json']);
  expect(r.code).toBe(0);
  const tables = (JSON.parse(r.stdout) as { tables: DiscoveredTable[] }).tables;
  const by = new Map(tables.map((t) => [t.path, t]));
  expect([...by.keys()].sort()).toEqual(['both', 'events', 'ice', 'raw']);
  expect(by.get('events')).toMatchObject({ kind: 'delta', formats: ['delta', 'parquet'], iceberg: null });
  expect(by.get('both')).toMatchObject({
    kind: 'delta',
    formats: ['delta', 'iceberg', 'parquet'],
    latestMetadata: 'v1.metadata.json',
    iceberg: { formatVersion: 2, numSnapshots: 1 },
  });
  expect(by.get('both')?.iceberg?.currentSnapshotId).toEqual(expect.any(Number));
  expect(by.get('ice')).toMatchObject({
    kind: 'iceberg',
    formats: ['iceberg', 'parquet'],
    iceberg: { formatVersion: 2, numSnapshots: 1 },
    error: null,
  });
  expect(by.get('raw')).toMatchObject({
    kind: 'parquet',
    formats: ['parquet'],
    numFiles: 2,
    partitionColumns: ['year', 'region'],
  });
});
