/**
 * The TypeScript reader on object stores: fixture tables copied into S3 (moto), GCS
 * (fake-gcs-server) and Azure Blob (Azurite) and imported into a SQLite catalog; `scan()` of the
 * catalog snapshot, at the latest and a middle version, yields exactly delta-rs's rows (sorted
 * canonical strings; delta-rs reads the local fixture, delta-kernel-rs where delta-rs cannot:
 * deletion vectors, column mapping). The stores reach the emulators through a recording proxy, so
 * the test also proves how the data was read: every data-file read is a ranged GET (the
 * fixtures' files are small, so a first footer read may span a whole file; column chunks are read
 * by their own ranges).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SqlCatalogStore } from '../../catalog/sql-catalog';
import { batchRows, openSnapshot } from '../../reader/snapshot';
import { AZURE_CONNECTION_STRING, fixture } from '../support/env';
import { uploadDir } from '../support/s3';
import { importFixture, runOracle, testCatalog, type ImportedTable } from '../sharing/helpers';
import { startFaultProxy, type FaultProxy } from '../storage/fault-proxy';
import { CLOUD_KINDS, createBucket, storeFor, unique, upstreamOf, type StoreKind } from '../storage/stores';
import { canonRow, sortRows } from './canon';

jest.setTimeout(240_000);

// A checkpointed history; a deletion vector (UUID-relative, a file of the table); column mapping
// with partition columns.
const FIXTURES = [
  'delta-rs/simple_table_with_checkpoint',
  'delta-rs/table-with-dv-small',
  'delta-rs/table_with_partitioning_mapping',
];
const SCHEME: Record<string, string> = { s3: 's3', gcs: 'gs', azure: 'az' };

interface Table extends ImportedTable {
  kind: StoreKind;
  source: string;
}

const saved = { ...process.env };
const proxies = new Map<StoreKind, FaultProxy>();
const tables: Table[] = [];
let store: SqlCatalogStore;
let dir: string;

beforeAll(async () => {
  for (const kind of CLOUD_KINDS) proxies.set(kind, await startFaultProxy(upstreamOf(kind)));
  const via = (kind: StoreKind): string => proxies.get(kind)?.url ?? '';
  // The reader opens each table's store from the environment, as the CLI does.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: via('s3'),
    STORAGE_EMULATOR_HOST: via('gcs'),
    AZURE_STORAGE_CONNECTION_STRING: AZURE_CONNECTION_STRING.replace(
      /BlobEndpoint=[^;]+/,
      `BlobEndpoint=${via('azure')}${new URL(upstreamOf('azure')).pathname}`,
    ),
  });
  ({ store, dir } = await testCatalog());
  for (const kind of CLOUD_KINDS) {
    const bucket = unique(`scan-${kind}`);
    await createBucket(kind, bucket);
    for (const rel of FIXTURES) {
      const prefix = `lake/${path.basename(rel)}`;
      await uploadDir(storeFor(kind, bucket, prefix), fixture(rel));
      const t = await importFixture(store, `${kind}/${rel}`, `${SCHEME[kind]}://${bucket}/${prefix}`);
      if (!t) throw new Error(`cannot import ${kind}/${rel}`);
      tables.push({ ...t, kind, source: rel });
    }
  }
});

afterAll(async () => {
  process.env = saved;
  await store?.close();
  for (const p of proxies.values()) await p.close();
});

test('scan() on S3, GCS and Azure equals delta-rs; every data-file read is ranged', async () => {
  const versions = (t: Table): number[] => [
    ...new Set([t.latest, t.first + Math.floor((t.latest - t.first) / 2)]),
  ];
  const checks = tables
    .filter((t) => t.kind === 's3')
    .flatMap((t) =>
      versions(t).map((v) => ({
        id: `${t.source}@${v}`,
        kind: 'deltars',
        path: fixture(t.source),
        version: v,
        out: path.join(dir, `${path.basename(t.source)}@${v}.json`),
      })),
    );
  const results = await runOracle(checks, dir);
  expect(checks.map((c) => [c.id, results.get(c.id)?.ok])).toEqual(checks.map((c) => [c.id, true]));
  for (const p of proxies.values()) p.reset();

  const outcome: [string, number, boolean][] = [];
  for (const t of tables) {
    for (const v of versions(t)) {
      const snap = await openSnapshot(store, t.name, { version: v });
      const got: string[] = [];
      for await (const b of snap.scan({ batchRows: 1000 }))
        for (const row of batchRows(b)) got.push(canonRow(row, snap.schema));
      const want = JSON.parse(
        fs.readFileSync(path.join(dir, `${path.basename(t.source)}@${v}.json`), 'utf8'),
      ) as string[];
      outcome.push([
        `${t.kind}:${t.source}@${v}`,
        got.length,
        JSON.stringify(sortRows(got)) === JSON.stringify(sortRows(want)),
      ]);
      expect(want.length).toBeGreaterThan(0);
    }
  }
  expect(outcome.map(([id, , same]) => [id, same])).toEqual(outcome.map(([id]) => [id, true]));
  expect(outcome).toHaveLength(18); // 3 stores × 3 tables × 2 versions

  for (const [kind, proxy] of proxies) {
    // GCS reads object bytes with alt=media (a plain GET is its metadata call).
    const reads = proxy.seen.filter(
      (r) =>
        r.method === 'GET' && r.path.includes('.parquet') && (kind !== 'gcs' || r.path.includes('alt=media')),
    );
    expect([kind, reads.length > 0]).toEqual([kind, true]);
    expect(reads.filter((r) => !/^bytes=\d+-\d+$/.test(r.range ?? ''))).toEqual([]);
    // The fixtures' files are small (a footer read may span one), but column chunks are read alone.
    expect([kind, reads.some((r) => !r.range?.startsWith('bytes=0-'))]).toEqual([kind, true]);
  }
});
