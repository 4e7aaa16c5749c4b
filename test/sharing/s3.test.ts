/**
 * A table stored in S3 (moto) and served over Delta Sharing: file URLs are S3 pre-signed GET URLs
 * that expire, and the real Python client reads the same rows through them as delta-rs reads from
 * the fixture (the deletion-vector table through the delta format, its DV file pre-signed too).
 */
import { fixture } from '../support/env';
import { createBucket, uploadTable, useMotoEnv } from '../support/s3';
import { S3_ENDPOINT } from '../support/env';
import { importFixture, runOracle, serve, testCatalog, type ImportedTable, type Served } from './helpers';

jest.setTimeout(180_000);

const TABLES = ['delta-rs/simple_table', 'delta-rs/table-with-dv-small', 'delta-rs/delta-0.8.0-partitioned'];
let s: Served;
const imported: ImportedTable[] = [];

beforeAll(async () => {
  useMotoEnv();
  const bucket = `sharing-${process.pid}-${Date.now().toString(36)}`;
  await createBucket(bucket);
  const { store, dir } = await testCatalog();
  for (const rel of TABLES) {
    const uri = await uploadTable(fixture(rel), bucket, rel.replace(/\//g, '_'), { all: true });
    const t = await importFixture(store, rel, uri);
    if (!t) throw new Error(`cannot import ${uri}`);
    imported.push({ ...t, root: fixture(rel) });
  }
  s = await serve(
    imported.map((t) => t.name),
    { store, dir },
  );
});

afterAll(async () => {
  await s?.close();
  await s?.store.close();
});

test('file URLs are pre-signed S3 URLs with an expiry', async () => {
  const t = imported[0];
  const r = await fetch(`${s.endpoint}/shares/fx/schemas/default/tables/${t.name}/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
    body: '{}',
  });
  const files = (await r.text())
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { file?: { url: string; size: number } })
    .filter((l) => l.file);
  expect(files.length).toBeGreaterThan(0);
  for (const { file } of files) {
    expect(file!.url.startsWith(`${S3_ENDPOINT}/`)).toBe(true);
    expect(file!.url).toMatch(/X-Amz-Signature=[0-9a-f]{64}/);
    expect(file!.url).toContain('X-Amz-Expires=900');
  }
  const body = await fetch(files[0].file!.url);
  expect(body.status).toBe(200);
  expect((await body.arrayBuffer()).byteLength).toBe(files[0].file!.size);
  // moto does not verify signatures, so a tampered S3 URL cannot be tested here.
});

test('the Python client reads the S3 tables through the pre-signed URLs', async () => {
  const checks = imported.map((t) => ({
    id: t.rel,
    kind: 'rows',
    url: `${s.profile}#fx.default.${t.name}`,
    path: t.root,
    version: t.latest,
  }));
  const results = await runOracle(checks, s.dir);
  expect([...results.values()].map((r) => [r.id, r.ok, r.error ?? r.detail ?? null])).toEqual(
    checks.map((c) => [c.id, true, null]),
  );
});
