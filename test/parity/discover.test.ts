import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeltaTable } from '../../delta/table';
import { type DiscoveredTable, discoverTables } from '../../parity/discover';
import { fixture, S3_ENDPOINT } from '../support/env';
import { runCli } from '../support/run-cli';

let root: string;
const put = (rel: string, body = 'x'): void => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), body);
};
const place = (fx: string, rel: string): void =>
  fs.cpSync(fixture(fx), path.join(root, rel), { recursive: true });
const summary = (ts: DiscoveredTable[]) => ts.map((t) => [t.kind, t.path, t.nestedIn]);

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-discover-'));
  place('delta-rs/simple_table', 'sales');
  place('delta-rs/table_with_deletion_logs', 'events');
  place('delta-rs/table-with-dv-small', 'sales/nested_tbl');
  place('delta-rs/simple_table_with_checkpoint', 'deep/a/b/tbl');
  put('ice/metadata/v1.metadata.json', '{}');
  put('ice/metadata/v2.metadata.json', '{"format-version":2,"current-snapshot-id":-1,"snapshots":[]}');
  put('ice/data/00000-0-data.parquet', 'PAR1');
  put('plain/a.parquet', 'PAR1aaaa');
  put('plain/year=2020/b.parquet', 'PAR1bb');
  put('notes/readme.txt', 'hello');
  put('broken/_delta_log/00000000000000000000.json', '{"commitInfo":{}}\n');
  fs.mkdirSync(path.join(root, 'empty'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('discoverTables on a local tree', () => {
  test('non-recursive: root children only, nothing inside tables', async () => {
    const found = await discoverTables(root);
    expect(summary(found)).toEqual([
      ['delta', 'broken', null],
      ['delta', 'events', null],
      ['iceberg', 'ice', null],
      ['parquet', 'plain', null],
      ['delta', 'sales', null],
    ]);
    const ice = found.find((t) => t.kind === 'iceberg')!;
    expect(ice.latestMetadata).toBe('v2.metadata.json');
    const plain = found.find((t) => t.kind === 'parquet')!;
    expect([plain.numFiles, plain.sizeBytes, plain.uri]).toEqual([2, 14, path.join(root, 'plain')]);
  });

  test('delta stats come from the crc when present, else the snapshot, and match the log', async () => {
    const found = await discoverTables(root);
    const events = found.find((t) => t.path === 'events')!;
    const sales = found.find((t) => t.path === 'sales')!;
    const ev = await DeltaTable.open(path.join(root, 'events'));
    const crc = (await ev.crc(await ev.latestVersion()))!;
    expect(events).toMatchObject({
      latestVersion: 20,
      latestCheckpoint: 20,
      numFiles: crc.numFiles,
      sizeBytes: crc.tableSizeBytes,
      statsSource: 'crc',
      error: null,
    });
    const snap = await (await DeltaTable.open(path.join(root, 'sales'))).snapshot();
    expect(sales).toMatchObject({
      latestVersion: 4,
      latestCheckpoint: null,
      numFiles: snap.numFiles,
      sizeBytes: snap.sizeBytes,
      statsSource: 'snapshot',
      error: null,
    });
    // A log without metaData/protocol is found but reported with its error.
    expect(found.find((t) => t.path === 'broken')!.error?.type).toMatch(/^Missing(Metadata|Protocol)$/);
  });

  test('recursive: nested tables, at any depth, with nestedIn', async () => {
    const found = await discoverTables(root, { recursive: true });
    expect(summary(found)).toEqual([
      ['delta', 'broken', null],
      ['delta', 'deep/a/b/tbl', null],
      ['delta', 'events', null],
      ['iceberg', 'ice', null],
      ['parquet', 'plain', null],
      ['delta', 'sales', null],
      ['delta', 'sales/nested_tbl', 'sales'],
    ]);
    expect(found.find((t) => t.path === 'deep/a/b/tbl')!.latestCheckpoint).toBe(10);
    expect(found.find((t) => t.path === 'sales/nested_tbl')!.latestVersion).toBe(1);
  });

  test('the root itself can be the table', async () => {
    const found = await discoverTables(path.join(root, 'sales'));
    expect(summary(found)).toEqual([['delta', '', null]]);
    const rec = await discoverTables(path.join(root, 'sales'), { recursive: true });
    expect(summary(rec)).toEqual([
      ['delta', '', null],
      ['delta', 'nested_tbl', ''],
    ]);
  });

  test('CLI: json and human output', async () => {
    const j = await runCli(['discover', root, '--recursive', '--format', 'json']);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout).tables).toHaveLength(7);
    const h = await runCli(['discover', root]);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain(`Found 3 Delta table(s) under ${root}`);
    expect(h.stdout).toContain(
      '  - iceberg  ice: not a Delta table (Iceberg v2, 0 snapshot(s), current -, v2.metadata.json)',
    );
    expect(h.stdout).toContain('  - parquet  plain: plain Parquet folder, not a table (2 file(s), 14 bytes)');
    expect(h.stdout).toMatch(
      / ✓ delta {4}sales: version 4, checkpoint -, \d+ file\(s\), \d+ bytes \(from snapshot\)/,
    );
    expect(h.stdout).not.toContain('empty');
  });

  test('CLI: a missing root finds nothing', async () => {
    const r = await runCli(['discover', path.join(root, 'does-not-exist'), '--format', 'json']);
    // An absent folder lists as empty on an object store: nothing found, not an error.
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).tables).toEqual([]);
  });
});

describe('discoverTables on S3 (moto)', () => {
  const bucket = `deltasql-discover-${process.pid}`;
  const saved = { ...process.env };
  beforeAll(async () => {
    process.env.AWS_ENDPOINT_URL_S3 = S3_ENDPOINT;
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    process.env.AWS_REGION = 'us-east-1';
    const s3 = new S3Client({ endpoint: S3_ENDPOINT, forcePathStyle: true, region: 'us-east-1' });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const src = fixture('delta-rs/table_with_deletion_logs');
    const walk = (dir: string): string[] =>
      fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    for (const f of walk(src)) {
      const key = `lake/events/${path.relative(src, f).split(path.sep).join('/')}`;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: fs.readFileSync(f) }));
    }
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'lake/raw/x.parquet', Body: 'PAR1' }));
    s3.destroy();
  });
  afterAll(() => {
    process.env = saved;
  });

  test('finds the table and the parquet folder under a prefix', async () => {
    const found = await discoverTables(`s3://${bucket}/lake`);
    expect(found.map((t) => [t.kind, t.uri, t.latestVersion, t.statsSource])).toEqual([
      ['delta', `s3://${bucket}/lake/events`, 20, 'crc'],
      ['parquet', `s3://${bucket}/lake/raw`, null, 'listing'],
    ]);
    expect(found[0].error).toBeNull();
  });
});
