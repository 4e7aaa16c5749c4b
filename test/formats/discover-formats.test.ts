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
const catalogDir = fs.mkdtempSync(path.join(os.tmpdir(), 'discover-formats-catalog-'));
let pyiceberg: { snapshot: string; n: number } | undefined;
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
  // An Iceberg table written by pyiceberg itself (SqlCatalog on SQLite, kept outside the scanned
  // folder): its metadata files are named `NNNNN-<uuid>.metadata.json`, with no version hint.
  await runPython<{ snapshot: string; n: number }>(
    String.raw`
import json, sys, pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog
a = json.load(sys.stdin)
cat = SqlCatalog("t", uri=f"sqlite:///{a['db']}", warehouse=f"file://{a['wh']}")
cat.create_namespace("ns")
t = cat.create_table("ns.pyice", schema=pa.schema([("id", pa.int64())]))
t.append(pa.table({"id": [1, 2]}))
t.append(pa.table({"id": [3]}))
t = cat.load_table("ns.pyice")
print(json.dumps({"snapshot": str(t.current_snapshot().snapshot_id), "n": len(t.metadata.snapshots)}))
`,
    { db: path.join(catalogDir, 'catalog.db'), wh: path.join(root, 'wh') },
  ).then((out) => (pyiceberg = out));
});
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(catalogDir, { recursive: true, force: true });
});

test('each folder is labelled with its formats and the primary one', async () => {
  const r = await runCli(['discover', root, '--recursive', '--format', 'json']);
  expect(r.code).toBe(0);
  const tables = (JSON.parse(r.stdout) as { tables: DiscoveredTable[] }).tables;
  const by = new Map(tables.map((t) => [t.path, t]));
  expect([...by.keys()].sort()).toEqual(['both', 'events', 'ice', 'raw', 'wh/ns/pyice']);
  expect(by.get('wh/ns/pyice')).toMatchObject({
    kind: 'iceberg',
    formats: ['iceberg', 'parquet'],
    latestMetadata: expect.stringMatching(/^00002-[0-9a-f-]{36}\.metadata\.json$/),
    iceberg: { formatVersion: 2, numSnapshots: pyiceberg!.n, currentSnapshotId: pyiceberg!.snapshot },
    error: null,
  });
  expect(by.get('events')).toMatchObject({ kind: 'delta', formats: ['delta', 'parquet'], iceberg: null });
  expect(by.get('both')).toMatchObject({
    kind: 'delta',
    formats: ['delta', 'iceberg', 'parquet'],
    latestMetadata: 'v1.metadata.json',
    iceberg: { formatVersion: 2, numSnapshots: 1 },
  });
  expect(by.get('both')?.iceberg?.currentSnapshotId).toMatch(/^\d+$/);
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
