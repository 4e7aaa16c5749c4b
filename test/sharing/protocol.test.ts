/**
 * Protocol details and security of `deltasql serve`, over real HTTP: listings with tamper-proof
 * page tokens, version headers, partition pruning from jsonPredicateHints, limitHint, the response
 * format negotiation for deletion-vector tables, 401/404 rules, signed file URLs (ranges, tampered,
 * expired, path traversal), and an access log without tokens or signed URLs.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { fixture } from '../support/env';
import { importFixture, serve, testCatalog, type Served } from './helpers';

jest.setTimeout(120_000);

const PART = 'delta-rs/delta-0.8.0-partitioned';
const DV = 'delta-rs/table-with-dv-small';
const PLAIN = 'delta-rs/simple_table';
/** Has per-file numRecords stats, so limitHint can drop files. */
const STATS = 'delta-rs/cdf-table';
let s: Served;
let expiring: Served;
const names: Record<string, string> = {};

beforeAll(async () => {
  const { store, dir } = await testCatalog();
  for (const rel of [PART, DV, PLAIN, STATS]) {
    const t = await importFixture(store, rel, fixture(rel));
    if (!t) throw new Error(`cannot import ${rel}`);
    names[rel] = t.name;
  }
  s = await serve(Object.values(names), { store, dir });
  expiring = await serve(Object.values(names), { store, dir: path.join(dir), urlTtlSeconds: 0 });
});

afterAll(async () => {
  await s?.close();
  await expiring?.close();
  await s?.store.close();
});

const call = (
  sv: Served,
  p: string,
  init: RequestInit & { token?: string | null } = {},
): Promise<Response> => {
  const headers = new Headers(init.headers);
  if (init.token !== null) headers.set('authorization', `Bearer ${init.token ?? sv.token}`);
  if (init.body) headers.set('content-type', 'application/json');
  return fetch(sv.endpoint + p, { ...init, headers });
};
const tablePath = (rel: string, share = 'fx'): string =>
  `/shares/${share}/schemas/default/tables/${names[rel]}`;
const lines = async (r: Response): Promise<Record<string, Record<string, unknown>>[]> =>
  (await r.text())
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
const query = (rel: string, body: object, headers: Record<string, string> = {}, sv = s): Promise<Response> =>
  call(sv, `${tablePath(rel)}/query`, { method: 'POST', body: JSON.stringify(body), headers });

test('listings page with tokens bound to their listing', async () => {
  const first = (await (await call(s, '/shares/fx/all-tables?maxResults=2')).json()) as {
    items: { name: string }[];
    nextPageToken?: string;
  };
  expect(first.items).toHaveLength(2);
  expect(first.nextPageToken).toBeDefined();
  const rest = (await (
    await call(s, `/shares/fx/all-tables?maxResults=2&pageToken=${first.nextPageToken}`)
  ).json()) as {
    items: { name: string; schema: string; share: string }[];
    nextPageToken?: string;
  };
  expect(rest.nextPageToken).toBeUndefined();
  expect([...first.items, ...rest.items].map((t) => t.name).sort()).toEqual(Object.values(names).sort());
  expect(rest.items[0]).toMatchObject({ schema: 'default', share: 'fx' });
  const tampered = first.nextPageToken!.replace(/^\d+/, '0');
  const bad = await call(s, `/shares/fx/all-tables?maxResults=2&pageToken=${tampered}`);
  expect(bad.status).toBe(400);
  expect(await bad.json()).toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE' });
  const other = await call(
    s,
    `/shares/fx/schemas/default/tables?maxResults=2&pageToken=${first.nextPageToken}`,
  );
  expect(other.status).toBe(400);
  expect(await (await call(s, '/shares')).json()).toEqual({ items: [{ name: 'fx' }] });
  expect(await (await call(s, '/shares/FX/schemas')).json()).toEqual({
    items: [{ name: 'default', share: 'fx' }],
  });
});

test('wrong or missing token: 401; ungranted share answers exactly like an unknown one: 404', async () => {
  for (const r of [await call(s, '/shares', { token: 'nope' }), await call(s, '/shares', { token: null })]) {
    expect(r.status).toBe(401);
    expect(await r.json()).toMatchObject({ errorCode: 'UNAUTHENTICATED' });
  }
  const wrongTokenQuery = await call(s, `${tablePath(PLAIN)}/query`, {
    method: 'POST',
    body: '{}',
    token: 'wrong',
  });
  expect(wrongTokenQuery.status).toBe(401);
  for (const p of [
    '/shares/%s',
    '/shares/%s/schemas',
    '/shares/%s/all-tables',
    `/shares/%s/schemas/default/tables/${names[PART]}/metadata`,
  ]) {
    const granted = await call(s, p.replace('%s', 'secret'));
    const unknown = await call(s, p.replace('%s', 'nosuch'));
    expect([granted.status, unknown.status]).toEqual([404, 404]);
    const g = (await granted.json()) as { errorCode: string; message: string };
    const u = (await unknown.json()) as { errorCode: string; message: string };
    expect(g.errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(g.message.replace('secret', 'X')).toBe(u.message.replace('nosuch', 'X'));
  }
  const t = await call(s, '/shares/fx/schemas/default/tables/nosuch/version');
  expect(t.status).toBe(404);
});

test('table version: GET /version, deprecated HEAD, startingTimestamp', async () => {
  const v = await call(s, `${tablePath(PLAIN)}/version`);
  expect(v.status).toBe(200);
  expect(v.headers.get('delta-table-version')).toBe('4');
  const h = await call(s, tablePath(PLAIN), { method: 'HEAD' });
  expect(h.headers.get('delta-table-version')).toBe('4');
  const early = await call(
    s,
    `${tablePath(PLAIN)}/version?startingTimestamp=${encodeURIComponent('2000-01-01 00:00:00')}`,
  );
  expect(early.headers.get('delta-table-version')).toBe('0');
  const late = await call(
    s,
    `${tablePath(PLAIN)}/version?startingTimestamp=${encodeURIComponent('2999-01-01 00:00:00')}`,
  );
  expect(late.status).toBe(400);
  const bad = await call(s, `${tablePath(PLAIN)}/version?startingTimestamp=yesterday`);
  expect(await bad.json()).toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE' });
});

test('jsonPredicateHints prune partitions in SQL; unusable hints prune nothing; limitHint', async () => {
  const all = (await lines(await query(PART, {}))).filter((l) => l.file);
  expect(all).toHaveLength(6);
  const eq = (col: string, value: string, valueType = 'string') =>
    JSON.stringify({
      op: 'equal',
      children: [
        { op: 'column', name: col, valueType },
        { op: 'literal', value, valueType },
      ],
    });
  const month2 = (await lines(await query(PART, { jsonPredicateHints: eq('month', '2') }))).filter(
    (l) => l.file,
  );
  const expected = all.filter((l) => (l.file.partitionValues as Record<string, string>).month === '2');
  expect(month2.map((l) => l.file.id).sort()).toEqual(expected.map((l) => l.file.id).sort());
  expect(month2.length).toBeGreaterThan(0);
  expect(month2.length).toBeLessThan(all.length);
  const gt = JSON.stringify({
    op: 'and',
    children: [
      {
        op: 'greaterThan',
        children: [
          { op: 'column', name: 'month', valueType: 'int' },
          { op: 'literal', value: '1', valueType: 'int' },
        ],
      },
      {
        op: 'lessThan',
        children: [
          { op: 'column', name: 'value', valueType: 'string' },
          { op: 'literal', value: 'x', valueType: 'string' },
        ],
      },
    ],
  });
  const later = (await lines(await query(PART, { jsonPredicateHints: gt }))).filter((l) => l.file);
  expect(later.every((l) => Number((l.file.partitionValues as Record<string, string>).month) > 1)).toBe(true);
  expect(later.length).toBe(
    all.filter((l) => Number((l.file.partitionValues as Record<string, string>).month) > 1).length,
  );
  const negated = JSON.stringify({ op: 'not', children: [JSON.parse(gt) as object] });
  expect(
    (await lines(await query(PART, { jsonPredicateHints: negated }))).filter((l) => l.file),
  ).toHaveLength(6);
  const dataCol = (await lines(await query(PART, { jsonPredicateHints: eq('value', '1') }))).filter(
    (l) => l.file,
  );
  expect(dataCol).toHaveLength(6);
  const garbage = (await lines(await query(PART, { jsonPredicateHints: '{not json' }))).filter((l) => l.file);
  expect(garbage).toHaveLength(6);
  const limited = (await lines(await query(STATS, { limitHint: 1 }))).filter((l) => l.file);
  const full = (await lines(await query(STATS, {}))).filter((l) => l.file);
  expect(limited).toHaveLength(1);
  expect(full.length).toBeGreaterThan(1);
  const badBody = await query(PLAIN, { version: -1 });
  expect(badBody.status).toBe(400);
  const noVersion = await query(PLAIN, { version: 99 });
  expect(await noVersion.json()).toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE' });
});

test('deletion-vector tables: parquet format refused, delta format carries signed DV URLs', async () => {
  const refused = await query(DV, {});
  expect(refused.status).toBe(400);
  expect(await refused.json()).toMatchObject({ errorCode: 'UNSUPPORTED_OPERATION' });
  const r = await query(
    DV,
    {},
    { 'delta-sharing-capabilities': 'responseformat=delta;readerfeatures=deletionvectors' },
  );
  expect(r.headers.get('delta-sharing-capabilities')).toBe('responseformat=delta');
  const ls = await lines(r);
  expect(ls[0].protocol.deltaProtocol).toMatchObject({ minReaderVersion: 3 });
  const add = (
    ls[2].file.deltaSingleAction as { add: { path: string; deletionVector: Record<string, unknown> } }
  ).add;
  expect(add.deletionVector).toMatchObject({ storageType: 'p', cardinality: 2 });
  const dv = await fetch(add.deletionVector.pathOrInlineDv as string);
  expect(dv.status).toBe(200);
  const onDisk = fs.readFileSync(
    path.join(fixture(DV), 'deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin'),
  );
  expect(Buffer.from(await dv.arrayBuffer()).equals(onDisk)).toBe(true);
});

/** A raw GET, so the path reaches the server exactly as written (fetch would normalise `..`). */
const rawGet = (url: string, pathAndQuery: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({ host: u.hostname, port: u.port, path: pathAndQuery, method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });

test('signed file URLs: served with ranges; tampered, expired and traversal URLs are 403', async () => {
  const file = (await lines(await query(PLAIN, {}))).find((l) => l.file)!.file;
  const url = file.url as string;
  expect(typeof file.expirationTimestamp).toBe('number');
  const whole = await fetch(url);
  expect(whole.status).toBe(200);
  expect(Number(whole.headers.get('content-length'))).toBe(file.size);
  const tail = await fetch(url, { headers: { range: 'bytes=-8' } });
  expect(tail.status).toBe(206);
  expect(
    Buffer.from(await tail.arrayBuffer())
      .subarray(4)
      .toString(),
  ).toBe('PAR1');
  const sig = /X-Amz-Signature=([0-9a-f]+)/.exec(url)![1];
  const flipped = url.replace(sig, (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1));
  expect((await fetch(flipped)).status).toBe(403);
  const otherFile = url.replace(
    /\/files\/([^/]+)\/[^?]+/,
    (_m, t: string) => `/files/${t}/_delta_log%2F00000000000000000000.json`,
  );
  expect((await fetch(otherFile)).status).toBe(403);
  expect((await fetch(url.replace(/exp=\d+/, 'exp=99999999999999'))).status).toBe(403);
  const u = new URL(url);
  const traversal = u.pathname.replace(/[^/]+$/, '..%2F..%2F..%2Fetc%2Fpasswd') + u.search;
  expect(await rawGet(url, traversal)).toBe(403);
  expect(await rawGet(url, u.pathname.replace(/[^/]+$/, '../../../etc/passwd') + u.search)).toBe(403);
  const old = (await lines(await query(PLAIN, {}, {}, expiring))).find((l) => l.file)!.file;
  await new Promise((r) => setTimeout(r, 20));
  expect((await fetch(old.url as string)).status).toBe(403);
});

test('the access log has no token, query string or signed URL', async () => {
  expect(s.log.length).toBeGreaterThan(20);
  const text = JSON.stringify(s.log);
  expect(text).not.toContain(s.token);
  expect(text).not.toContain('Signature');
  expect(text).not.toContain('?');
  expect(s.log.some((e) => e.status === 401 && e.route.endsWith('/shares'))).toBe(true);
  expect(s.log.some((e) => e.recipient === 'tester' && e.route.endsWith('/query'))).toBe(true);
});
