/**
 * The fast paths of query answers (issue 17's latency goal) give exactly the answers of the plain
 * ones: on PostgreSQL the lines the database builds (PG_QUERY_LINE_TAIL) are byte-equal to the
 * lines built from FileRows in JS, at the latest and a middle version and with a partition hint;
 * the one-shot HMAC is HMAC-SHA256; and the response cache re-uses an answer byte for byte only
 * within its reuse window and its byte budget.
 */
import { createHmac, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateTable } from '../../bench/generator';
import { openCatalog } from '../../catalog/open';
import type { SqlCatalogStore } from '../../catalog/sql-catalog';
import { partitionKeyMap } from '../../reader/schema';
import { compilePredicate, parsePredicate } from '../../sharing/predicates';
import { pgQueryLines, rowQueryLines } from '../../sharing/query-lines';
import { ResponseCache } from '../../sharing/response-cache';
import type { SignFn } from '../../sharing/responses';
import { FastHmac, UrlSigner } from '../../sharing/signer';
import { tableState } from '../../sharing/table-data';
import { collect, dropPgSchema, loadHistory, pgUrl, tempDir, uniqueSchema } from '../catalog/helpers';
import { serve, type Served } from './helpers';

jest.setTimeout(180_000);

const schema = uniqueSchema('fastpath');
const dir = tempDir('deltasql-fastpath-');
let store: SqlCatalogStore;
let tableId: string;
let s: Served;

beforeAll(async () => {
  const root = path.join(dir, 'table');
  await generateTable({
    dir: root,
    versions: 12,
    addsPerVersion: 40,
    removesPerVersion: 15,
    checkpointInterval: 0,
    crcInterval: 0,
    protocolUpgradeAt: 0,
    schemaEvolutionEvery: 0,
    txnEvery: 0,
    seed: 23,
  });
  store = await openCatalog(pgUrl(schema));
  tableId = (await store.ensureTable({ location: root, name: 'gen' })).tableId;
  await store.writeVersions(tableId, (await loadHistory(root)).commits);
  s = await serve(['gen'], { store, dir });
});

afterAll(async () => {
  await s?.close();
  await store?.close();
  await dropPgSchema(schema);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('PostgreSQL-built query lines are byte-equal to the JS-built ones (latest, middle, pruned)', async () => {
  const signer = new UrlSigner(900, randomBytes(32));
  const paths = signer.localPaths(tableId, 1_800_000_000_000);
  const sign: SignFn = (ref) => ({ url: `http://h:1/ds${paths(ref)}`, expiresAt: 1_800_000_000_000 });
  sign.jsonSafe = true;
  const region = JSON.stringify({
    op: 'equal',
    children: [
      { op: 'column', name: 'region', valueType: 'string' },
      { op: 'literal', value: 'ap%south', valueType: 'string' },
    ],
  });
  for (const [version, hint] of [
    [11, null],
    [5, null],
    [11, region],
  ] as const) {
    const st = await tableState(store, tableId, { version });
    const pred = hint === null ? null : parsePredicate(hint);
    const where = pred ? compilePredicate(pred, partitionKeyMap(st.metadata), store.dialect) : null;
    const fast = (await collect(await pgQueryLines(store, tableId, version, where, sign, 64))).join('');
    const plain = (
      await collect(
        await rowQueryLines(store, tableId, version, where, sign, { format: 'parquet', pageRows: 64 }),
      )
    ).join('');
    const lines = plain.trim().split('\n');
    expect(lines.length).toBeGreaterThan(hint === null ? 100 : 5);
    if (hint !== null) expect(lines.length).toBeLessThan(st.numFiles ?? 0);
    expect(fast).toBe(plain);
    const first = JSON.parse(lines[0]) as { file: { stats?: string; partitionValues: object } };
    expect(typeof first.file.stats).toBe('string');
    // The URL signs the decoded path and verifies.
    const url = new URL(JSON.parse(lines[0]).file.url as string);
    const ref = decodeURIComponent(url.pathname.split('/').slice(4).join('/'));
    expect(
      signer.verify(tableId, ref, {
        fileTag: url.searchParams.get('fs') ?? '',
        exp: url.searchParams.get('exp') ?? '',
        sig: url.searchParams.get('X-Amz-Signature') ?? '',
      }),
    ).toBe('ok');
  }
});

test('FastHmac is HMAC-SHA256', () => {
  const key = FastHmac.deriveKey(randomBytes(32), 'test');
  const h = new FastHmac(key);
  for (const msg of [
    '',
    'a',
    'tid\ndate=2024-01-01/part-0.parquet\n1800000000000',
    'é/ü/日本/\u{1F600}'.repeat(40),
  ]) {
    expect(h.digest(msg).toString('hex')).toBe(createHmac('sha256', key).update(msg).digest('hex'));
  }
  expect(() => new FastHmac(Buffer.alloc(64, 0x80))).toThrow();
});

test('a repeated query is the cached answer byte for byte; another version is not', async () => {
  const q = async (body: object): Promise<string> => {
    const r = await fetch(`${s.endpoint}/shares/fx/schemas/default/tables/gen/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(r.status).toBe(200);
    return r.text();
  };
  const a = await q({ version: 11 });
  await new Promise((r) => setTimeout(r, 5));
  expect(await q({ version: 11 })).toBe(a);
  expect(await q({})).toBe(a); // latest is version 11
  const older = await q({ version: 4 });
  expect(older).not.toBe(a);
  expect(older.split('\n')[1]).toContain('"version":4');
});

test('ResponseCache: reuse window, byte budget (least recently used out), entry limit', () => {
  const c = new ResponseCache(400, 1_000);
  const put = (key: string, bytes: number, at: number): void => {
    const k = c.collector(key, { version: 1, format: 'parquet', signedAt: at });
    k.add('x'.repeat(bytes));
    k.store();
  };
  put('a', 100, 0);
  put('b', 100, 0);
  expect(c.get('a', 10)?.body.length).toBe(100);
  expect(c.get('a', 1_001)).toBeUndefined(); // its URLs are too old now
  put('a', 100, 2_000);
  put('c', 100, 2_000);
  put('d', 100, 2_000); // 400 bytes: all fit
  c.get('b', 500); // b: touched, though already expired for reads at 2 000
  put('e', 100, 2_000); // over budget: the least recently used goes first
  expect([...'abcde'].filter((k) => c.get(k, 2_100) !== undefined)).toEqual(['c', 'd', 'e']);
  put('big', 101, 2_000); // over a quarter of the budget: never kept
  expect(c.get('big', 2_100)).toBeUndefined();
  const unfinished = c.collector('u', { version: 1, format: 'parquet', signedAt: 2_000 });
  unfinished.add('x');
  expect(c.get('u', 2_100)).toBeUndefined();
});
