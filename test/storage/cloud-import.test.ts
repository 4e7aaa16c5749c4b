/**
 * End to end on the GCS and Azure emulators, through the CLI as users run it: fixture tables are
 * copied into a gs:// bucket and an az:// container, `deltasql import` loads them into SQLite via
 * a real Temporal workflow, `deltasql diff --all-versions` finds parity at every version (and so
 * does an independent snapshot comparison), and `deltasql discover --recursive` finds every table
 * across the bucket; `deltasql export` writes the catalog's log back into the store (put-if-absent
 * commits) byte for byte. Azure is read back through its abfss:// and https:// names as well.
 * Neither Azurite's account key nor the GCS signing key appears in the import's workflow history.
 * `deltasql serve` (Delta Sharing) hands out the store's own signed URLs for the imported tables
 * (GCS V4, signed with a throwaway service-account key; Azure SAS, which Azurite verifies), and a
 * plain fetch of each returns the object's bytes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCatalog } from '../../catalog/open';
import { importWorkflowId } from '../../client/import-client';
import { AZURE_CONNECTION_STRING, GCS_ENDPOINT, TEMPORAL_ADDRESS, fixture } from '../support/env';
import { expectParityAtEveryVersion } from '../support/parity';
import { runCli } from '../support/run-cli';
import { uploadDir } from '../support/s3';
import { integrationSuite } from '../support/suite';
import { serve } from '../sharing/helpers';
import { createBucket, storeFor, testServiceAccount, unique, type StoreKind } from './stores';

const suite = integrationSuite('cloud-import');
const saved = { ...process.env };
// A checkpoint table (ranged parquet reads) and a deletion-vector table, one nested deeper.
const TABLES = {
  sales: 'delta-rs/simple_table_with_checkpoint',
  'nested/dv': 'delta-rs/table-with-dv-small',
};

/** The file lines of a Delta Sharing query of the latest version. */
async function queryFiles(
  served: { endpoint: string; token: string },
  table: string,
): Promise<{ url: string; size: number }[]> {
  const r = await fetch(`${served.endpoint}/shares/fx/schemas/default/tables/${table}/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${served.token}`, 'content-type': 'application/json' },
    body: '{}',
  });
  expect(r.status).toBe(200);
  return (await r.text())
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { file?: { url: string; size: number } })
    .flatMap((l) => (l.file ? [l.file] : []));
}

/** Every payload of a workflow history as text (payload bytes decoded), plus the rest as JSON. */
function historyText(history: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (v instanceof Uint8Array) out.push(Buffer.from(v).toString('utf8'));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    else if (typeof v === 'string') out.push(v);
  };
  walk(history);
  return out.join('\n');
}

/** The store secrets in this process's environment: Azurite's account key, the GCS signing key. */
function secrets(): string[] {
  const key = /AccountKey=([^;]+)/.exec(AZURE_CONNECTION_STRING)?.[1] ?? '';
  const pem = JSON.parse(fs.readFileSync(process.env.GOOGLE_APPLICATION_CREDENTIALS ?? '', 'utf8')) as {
    private_key: string;
  };
  return [key, AZURE_CONNECTION_STRING, pem.private_key.split('\n')[5]];
}

beforeAll(async () => {
  // Credentials that can sign V4 URLs locally (the emulator itself gets no credentials).
  const key = testServiceAccount().keyFile(suite.tmp);
  Object.assign(process.env, {
    GOOGLE_APPLICATION_CREDENTIALS: key,
    TEMPORAL_ADDRESS,
    DELTASQL_TASK_QUEUE: suite.h.taskQueue,
    STORAGE_EMULATOR_HOST: GCS_ENDPOINT,
    AZURE_STORAGE_CONNECTION_STRING: AZURE_CONNECTION_STRING,
  });
});
afterAll(() => {
  process.env = saved;
});

describe.each([
  ['gcs', (b: string) => `gs://${b}`],
  ['azure', (b: string) => `az://${b}`],
] as const)('%s', (kind: StoreKind, uriOf) => {
  const bucket = unique(`e2e-${kind}`);
  const root = `${uriOf(bucket)}/lake`;
  const db = `sqlite:///${path.join(suite.tmp, `${kind}.db`)}`;

  beforeAll(async () => {
    await createBucket(kind, bucket);
    for (const [name, rel] of Object.entries(TABLES))
      await uploadDir(storeFor(kind, bucket, `lake/${name}`), fixture(rel));
  });

  test('import through the CLI, then diff at every version is parity', async () => {
    const r = await suite.h.withWorker(() =>
      runCli(['import', `${root}/sales`, '--catalog', db, '--format', 'json', '--no-progress']),
    );
    expect([r.code, r.stderr]).toEqual([0, expect.any(String)]);
    expect(JSON.parse(r.stdout)).toMatchObject({
      name: 'sales',
      startVersion: 0,
      targetVersion: 10,
      versionsImported: 11,
      validation: { passed: true },
    });
    // No store credential reached Temporal: the history names the table, never a key.
    const history = await suite.h.client.workflow.getHandle(importWorkflowId(db, 'sales')).fetchHistory();
    const text = historyText(history);
    expect(text).toContain(`${root}/sales`); // the check can fail: payloads are decoded
    for (const secret of secrets())
      expect([secret.length > 40, text.includes(secret)]).toEqual([true, false]);
    expect(r.stdout + r.stderr).not.toContain(secrets()[0]);
    // Azure's other names for the same table read the same log.
    const names =
      kind === 'azure'
        ? [`${root}/sales`, `abfss://${bucket}@devstoreaccount1.dfs.core.windows.net/lake/sales`]
        : [`${root}/sales`];
    for (const uri of names) {
      const d = await runCli([
        'diff',
        uri,
        '--catalog',
        db,
        '--table',
        'sales',
        '--all-versions',
        '--format',
        'json',
      ]);
      expect([uri, d.code]).toEqual([uri, 0]);
      const doc = JSON.parse(d.stdout) as { status: string; versions: { version: number; ok: boolean }[] };
      expect(doc.status).toBe('parity');
      expect(doc.versions.map((v) => [v.version, v.ok])).toEqual(
        Array.from({ length: 11 }, (_, v) => [v, true]),
      );
    }
    const store = await suite.open(db);
    const id = (await store.findTable('sales'))?.tableId ?? '';
    expect(await expectParityAtEveryVersion(store, id, `${root}/sales`)).toBe(11);
  });

  test('export the catalog table back into the store: commits byte for byte, diff parity', async () => {
    const dest = `${uriOf(bucket)}/exported/sales`;
    const r = await suite.h.withWorker(() =>
      runCli([
        'export',
        '--catalog',
        db,
        '--table',
        'sales',
        '--to',
        dest,
        '--format',
        'json',
        '--no-progress',
      ]),
    );
    expect([r.code, r.stdout.includes('"error"')]).toEqual([0, false]);
    const out = storeFor(kind, bucket, 'exported/sales');
    for (let v = 0; v <= 10; v++) {
      const name = `_delta_log/${String(v).padStart(20, '0')}.json`;
      const original = fs.readFileSync(path.join(fixture(TABLES.sales), name));
      expect([name, (await out.get(name)).equals(original)]).toEqual([name, true]);
    }
    const d = await runCli([
      'diff',
      dest,
      '--catalog',
      db,
      '--table',
      'sales',
      '--all-versions',
      '--format',
      'json',
    ]);
    expect([d.code, JSON.parse(d.stdout).status]).toEqual([0, 'parity']);
  });

  test('Delta Sharing serves the table with signed URLs of the store; each fetches the bytes', async () => {
    const catalog = await openCatalog(db);
    suite.track(catalog);
    const served = await serve(['sales'], { store: catalog, dir: suite.tmp });
    try {
      const files = await queryFiles(served, 'sales');
      expect(files.length).toBeGreaterThan(0);
      const table = storeFor(kind, bucket, 'lake/sales');
      for (const f of files) {
        const url = new URL(f.url);
        expect(url.searchParams.has(kind === 'gcs' ? 'X-Goog-Signature' : 'sig')).toBe(true);
        const name = decodeURIComponent(url.pathname).split('/lake/sales/')[1];
        const got = await fetch(f.url);
        const bytes = Buffer.from(await got.arrayBuffer());
        expect([name, got.status, bytes.length]).toEqual([name, 200, f.size]);
        expect(bytes.equals(await table.get(name))).toBe(true);
      }
    } finally {
      await served.close();
    }
  });

  test('Delta Sharing signs a data file named by an absolute URI of the store', async () => {
    // One commit whose add names its file by absolute URI, in a folder outside the table root.
    const src = fixture(TABLES.sales);
    const first = fs.readFileSync(path.join(src, '_delta_log', '00000000000000000000.json'), 'utf8');
    const data = 'part-00000-3810fbe0-9892-431d-bcfd-7de5788dfe8d-c000.snappy.parquet';
    const absolute = `${uriOf(bucket)}/elsewhere/${data}`;
    await storeFor(kind, bucket, 'elsewhere').put(data, fs.readFileSync(path.join(src, data)));
    await storeFor(kind, bucket, 'lake/absolute').put(
      '_delta_log/00000000000000000000.json',
      first.replace(`"path":"${data}"`, `"path":"${absolute}"`),
    );
    const imported = await suite.h.withWorker(() =>
      runCli(['import', `${root}/absolute`, '--catalog', db, '--format', 'json', '--no-progress']),
    );
    expect(imported.code).toBe(0);
    const catalog = await openCatalog(db);
    suite.track(catalog);
    const served = await serve(['absolute'], { store: catalog, dir: suite.tmp });
    try {
      const files = (await queryFiles(served, 'absolute')).map((f) => f.url);
      expect(files).toHaveLength(1);
      expect(new URL(files[0]).searchParams.has(kind === 'gcs' ? 'X-Goog-Signature' : 'sig')).toBe(true);
      const got = await fetch(files[0]);
      expect(got.status).toBe(200);
      expect(Buffer.from(await got.arrayBuffer()).equals(fs.readFileSync(path.join(src, data)))).toBe(true);
    } finally {
      await served.close();
    }
  });

  test('validate reads the table straight from the store: healthy', async () => {
    const r = await runCli(['validate', `${root}/sales`, '--format', 'json']);
    expect([r.code, JSON.parse(r.stdout).healthy]).toEqual([0, true]);
    const missing = await runCli(['validate', `${root}/absent`, '--format', 'json']);
    expect([missing.code, JSON.parse(missing.stdout).error?.type]).toEqual([1, 'TableNotFound']);
  });

  test('discover --recursive finds every table across the bucket', async () => {
    const roots =
      kind === 'azure'
        ? [uriOf(bucket), `https://devstoreaccount1.blob.core.windows.net/${bucket}`]
        : [uriOf(bucket)];
    for (const top of roots) {
      const r = await runCli(['discover', `${top}/`, '--recursive', '--format', 'json']);
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout) as {
        tables: { kind: string; uri: string; latestVersion: number; error: unknown }[];
      };
      expect(doc.tables.map((t) => [t.kind, t.uri, t.latestVersion, t.error])).toEqual([
        ['parquet', `${top}/elsewhere`, null, null], // the absolute-URI test's data file
        ['delta', `${top}/exported/sales`, 10, null], // written by the export test above
        ['delta', `${top}/lake/absolute`, 0, null],
        ['delta', `${top}/lake/nested/dv`, 1, null],
        ['delta', `${top}/lake/sales`, 10, null],
      ]);
    }
  });
});
