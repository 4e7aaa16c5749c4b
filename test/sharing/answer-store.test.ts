/**
 * Query answers kept on disk (sharing/answer-store.ts): a repeated query is read back from the
 * kept file with this response's expiry and expiry tag written into every line, so it equals the
 * first answer but for that slot; its URLs serve the files and a changed file tag is refused; the
 * real delta-sharing client reads the same rows as delta-rs from kept answers; a damaged file is
 * dropped and the answer rebuilt; a version committed after a latest-version query is kept
 * before it is asked for (sharing/prewarm.ts); and the directory stays within its byte budget. Both the
 * PostgreSQL line fast path and the SQLite (FileRow) path write kept answers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateTable } from '../../bench/generator';
import { openCatalog } from '../../catalog/open';
import type { SqlCatalogStore } from '../../catalog/sql-catalog';
import { AnswerStore } from '../../sharing/answer-store';
import { collect, dropPgSchema, loadHistory, pgUrl, tempDir, uniqueSchema } from '../catalog/helpers';
import { importFixture, runOracle, serve, type ImportedTable, type Served } from './helpers';

jest.setTimeout(240_000);

const schema = uniqueSchema('answers');
const dir = tempDir('deltasql-answers-');
const root = path.join(dir, 'table');
const stores: SqlCatalogStore[] = [];
const servers: Served[] = [];
const FIXTURE = 'delta-rs/simple_table';
let simple: ImportedTable;
const SLOT = /exp=\d{13}&X-Amz-Signature=[0-9a-f]{32}","expirationTimestamp":\d{13}/g;

beforeAll(async () => {
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
    seed: 29,
  });
  const history = await loadHistory(root);
  for (const url of [pgUrl(schema), `sqlite:///${path.join(dir, 'catalog.db')}`]) {
    const store = await openCatalog(url);
    stores.push(store);
    const t = await store.ensureTable({ location: root, name: 'gen' });
    await store.writeVersions(t.tableId, history.commits);
    const f = await importFixture(store, FIXTURE, path.join('/work/shared/fixtures/delta', FIXTURE));
    if (!f) throw new Error(`${FIXTURE} did not import`);
    simple = f;
  }
});

afterAll(async () => {
  for (const s of servers) await s.close();
  for (const s of stores) await s.close();
  await dropPgSchema(schema);
  fs.rmSync(dir, { recursive: true, force: true });
});

const answerFiles = (d: string): string[] => fs.readdirSync(d).filter((f) => f.endsWith('.answer'));

async function query(s: Served, body: object, table = 'gen'): Promise<string> {
  const r = await fetch(`${s.endpoint}/shares/fx/schemas/default/tables/${table}/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  expect([r.status, text.slice(0, 300)]).toEqual([200, text.slice(0, 300)]);
  return text;
}

const fileLines = (answer: string): { url: string; size: number; expirationTimestamp: number }[] =>
  answer
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { file?: { url: string; size: number; expirationTimestamp: number } })
    .flatMap((l) => (l.file ? [l.file] : []));

test.each([
  ['PostgreSQL', 0],
  ['SQLite', 1],
])('%s: a kept answer is the first one re-signed, and its URLs work', async (_name, i) => {
  const answerDir = path.join(dir, `answers-${i}`);
  const s = await serve(['gen', simple.name], {
    store: stores[i],
    dir,
    answerDir,
    responseCacheBytes: 0,
    filePageRows: 64,
  });
  servers.push(s);
  const first = await query(s, { version: 11 });
  expect(answerFiles(answerDir)).toHaveLength(1);
  await new Promise((r) => setTimeout(r, 5));
  const again = await query(s, { version: 11 });
  expect(again).not.toBe(first); // a new expiry and expiry tag ...
  expect(again.replace(SLOT, 'SLOT')).toBe(first.replace(SLOT, 'SLOT')); // ... and nothing else
  const [a, b] = [fileLines(first), fileLines(again)];
  expect(b.length).toBeGreaterThan(100);
  expect(b.length).toBe(first.match(SLOT)?.length);
  expect(b.every((f) => f.expirationTimestamp === b[0].expirationTimestamp)).toBe(true);
  expect(b[0].expirationTimestamp).toBeGreaterThan(a[0].expirationTimestamp);
  expect(b[0].url).toContain(`exp=${b[0].expirationTimestamp}&`);

  // The answer really is read from the file: a same-length edit there shows in the next answer.
  const file = path.join(answerDir, answerFiles(answerDir)[0]);
  const bytes = fs.readFileSync(file);
  const size = Buffer.from(`"size":${b[0].size}`);
  const at = bytes.indexOf(size);
  expect(at).toBeGreaterThan(0);
  const edited = Buffer.from(bytes);
  edited.write(`"size":${String(b[0].size).replace(/^./, (c) => (c === '9' ? '8' : '9'))}`, at);
  fs.writeFileSync(file, edited);
  expect(await query(s, { version: 11 })).toContain(
    `"size":${String(b[0].size).replace(/^./, (c) => (c === '9' ? '8' : '9'))}`,
  );

  // A damaged file (cut short in its first chunk) is dropped, and the answer rebuilt from SQL.
  fs.writeFileSync(file, bytes.subarray(0, 20));
  expect((await query(s, { version: 11 })).replace(SLOT, 'SLOT')).toBe(first.replace(SLOT, 'SLOT'));
  expect(fs.statSync(file).size).toBe(bytes.length);

  // Another version, and a pruned query, are answers of their own.
  const older = await query(s, { version: 5 });
  expect(older.replace(SLOT, 'SLOT')).not.toBe(first.replace(SLOT, 'SLOT'));
  expect(answerFiles(answerDir)).toHaveLength(2);

  // The URLs of a kept answer serve their files; a file tag is bound to its file.
  await query(s, {}, simple.name);
  const kept = fileLines(await query(s, {}, simple.name));
  expect(answerFiles(answerDir)).toHaveLength(3);
  expect(kept.length).toBeGreaterThan(2);
  const got = await fetch(kept[0].url);
  expect(got.status).toBe(200);
  expect(Buffer.from(await got.arrayBuffer()).length).toBe(kept[0].size);
  const tagOf = (u: string): string => /[?&]fs=([0-9a-f]{32})/.exec(u)![1];
  expect((await fetch(kept[0].url.replace(tagOf(kept[0].url), tagOf(kept[1].url)))).status).toBe(403);
  const flipped = tagOf(kept[0].url).replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
  expect((await fetch(kept[0].url.replace(tagOf(kept[0].url), flipped))).status).toBe(403);
});

test('the delta-sharing client reads kept answers: the same rows as delta-rs', async () => {
  const answerDir = path.join(dir, 'answers-oracle');
  const s = await serve([simple.name], { store: stores[0], dir, answerDir, responseCacheBytes: 0 });
  servers.push(s);
  const middle = Math.floor((simple.first + simple.latest) / 2);
  const checks = [simple.latest, simple.latest, middle, middle].map((version, k) => ({
    id: `${simple.name}@${version}#${k}`,
    kind: 'rows',
    url: `${s.profile}#fx.default.${simple.name}`,
    path: simple.root,
    version,
  }));
  const results = await runOracle(checks, s.dir);
  const bad = [...results.values()].filter((r) => !r.ok).map((r) => `${r.id}: ${r.error ?? r.detail}`);
  expect(bad).toEqual([]);
  expect(results.size).toBe(4);
  expect(answerFiles(answerDir)).toHaveLength(2); // the second read of each version was a kept answer
});

test('a version committed after a latest-version query is kept before anyone asks for it', async () => {
  const store = await openCatalog(`sqlite:///${path.join(dir, 'prewarm.db')}`);
  stores.push(store);
  const history = await loadHistory(root);
  const t = await store.ensureTable({ location: root, name: 'gen' });
  await store.writeVersions(t.tableId, history.commits.slice(0, 11));
  const answerDir = path.join(dir, 'answers-prewarm');
  const s = await serve(['gen'], { store, dir, answerDir, responseCacheBytes: 0, prewarmIntervalMs: 50 });
  const plain = await serve(['gen'], { store, dir, responseCacheBytes: 0 });
  servers.push(s, plain);
  await query(s, {}); // latest is 10: noted
  expect(answerFiles(answerDir)).toHaveLength(1);
  await store.writeVersions(t.tableId, history.commits.slice(11));
  for (let i = 0; i < 600 && answerFiles(answerDir).length < 2; i++)
    await new Promise((r) => setTimeout(r, 100));
  expect(answerFiles(answerDir)).toHaveLength(2); // version 11, built with no client asking
  const kept = await query(s, {});
  expect(answerFiles(answerDir)).toHaveLength(2);
  // Another server: its own key (file tags) and port.
  const norm = (a: string): string =>
    a
      .replace(SLOT, 'SLOT')
      .replace(/fs=[0-9a-f]{32}/g, 'fs=TAG')
      .replace(/http:\/\/127\.0\.0\.1:\d+\//g, 'BASE/');
  expect(kept).toContain('"version":11');
  expect(norm(kept)).toBe(norm(await query(plain, {})));
});

test('AnswerStore: a line without the slot keeps nothing; the byte budget drops the least recently used', async () => {
  const d = path.join(dir, 'unit');
  const store = new AnswerStore(d, 700);
  const keep = async (key: string, lines: string[]): Promise<void> => {
    const w = store.writer(key, 'SL0T');
    for (const l of lines) if (!(await w.add(l))) return;
    await w.finish();
  };
  await keep('bad', ['{"a":"SL0T"}\n', '{"b":1}\n']);
  expect(fs.readdirSync(d)).toEqual([]);
  for (const k of ['k1', 'k2', 'k3']) {
    await keep(k, ['{"x":"SL0T"}\n'.repeat(10)]); // 8 + 8 + 40 + 130 bytes
    await new Promise((r) => setTimeout(r, 20));
  }
  const read = async (k: string): Promise<string | null> => {
    const g = await store.open(k, 'ABCD');
    return g === null ? null : Buffer.concat(await collect(g)).toString();
  };
  expect(await read('k1')).toBe('{"x":"ABCD"}\n'.repeat(10));
  expect(await store.open('k1', 'TOO-WIDE')).toBeNull();
  await new Promise((r) => setTimeout(r, 20));
  await keep('k4', ['{"x":"SL0T"}\n'.repeat(10)]); // over 700 bytes: k2, the least recently used, goes
  expect(await read('k2')).toBeNull();
  expect(await read('k1')).not.toBeNull();
  expect(await read('k3')).not.toBeNull();
  expect(await read('k4')).not.toBeNull();
});

test('AnswerStore: a re-used buffer is never one the consumer has not handed on', async () => {
  const store = new AnswerStore(path.join(dir, 'ring'), 1 << 30);
  const chunks = Array.from({ length: 40 }, (_, c) =>
    Array.from({ length: 1 + (c % 7) }, (_, l) => `{"c":${c},"l":${l},"s":"SL0T"}\n`).join(''),
  );
  const w = store.writer('ring', 'SL0T');
  for (const c of chunks) expect(await w.add(c)).toBe(true);
  await w.finish();
  const expected = chunks.map((c) => c.replaceAll('SL0T', 'ABCD'));

  // A consumer holding chunks in flight: what it holds must not change until it hands them on.
  for (const hold of [0, 1, 3, 9]) {
    const inFlight: { buf: Buffer; copy: string }[] = [];
    const backlog = (): number => inFlight.reduce((a, f) => a + f.buf.length, 0);
    const g = await store.open('ring', 'ABCD', backlog);
    expect(g).not.toBeNull();
    const seen = new Set<ArrayBufferLike>();
    let i = 0;
    for await (const buf of g!) {
      expect(buf.toString()).toBe(expected[i++]);
      for (const f of inFlight) expect(f.buf.toString()).toBe(f.copy); // untouched while held
      seen.add(buf.buffer);
      inFlight.push({ buf, copy: buf.toString() });
      while (inFlight.length > hold) inFlight.shift(); // handed on, oldest first
    }
    expect(i).toBe(chunks.length);
    // Held by none: the pool's buffers are re-used; held by many: fresh ones are taken instead.
    if (hold <= 1) expect(seen.size).toBeLessThanOrEqual(4);
    if (hold === 9) expect(seen.size).toBeGreaterThan(4);
  }
  // Two answers read at once share the store's spare buffers; neither changes what the other holds.
  const consumers = [2, 5].map((hold) => ({
    hold,
    inFlight: [] as { buf: Buffer; copy: string }[],
    i: 0,
    g: null as AsyncGenerator<Buffer> | null,
  }));
  for (const c of consumers)
    c.g = await store.open('ring', 'ABCD', () => c.inFlight.reduce((a, f) => a + f.buf.length, 0));
  for (let live = consumers.length; live > 0;) {
    live = 0;
    for (const c of consumers) {
      const r = await c.g!.next();
      if (r.done) continue;
      live++;
      expect(r.value.toString()).toBe(expected[c.i++]);
      for (const d of consumers) for (const f of d.inFlight) expect(f.buf.toString()).toBe(f.copy);
      c.inFlight.push({ buf: r.value, copy: r.value.toString() });
      while (c.inFlight.length > c.hold) c.inFlight.shift();
    }
  }
  expect(consumers.map((c) => c.i)).toEqual([chunks.length, chunks.length]);
});

test('a kept answer of many chunks sent to a slow client is exact (re-used buffers, back-pressure)', async () => {
  const big = path.join(dir, 'big');
  await generateTable({
    dir: big,
    versions: 40,
    addsPerVersion: 400,
    removesPerVersion: 0,
    checkpointInterval: 0,
    crcInterval: 0,
    protocolUpgradeAt: 0,
    schemaEvolutionEvery: 0,
    txnEvery: 0,
    seed: 31,
  });
  const store = await openCatalog(`sqlite:///${path.join(dir, 'big.db')}`);
  stores.push(store);
  const t = await store.ensureTable({ location: big, name: 'big' });
  await store.writeVersions(t.tableId, (await loadHistory(big)).commits);
  const answerDir = path.join(dir, 'answers-big');
  const s = await serve(['big'], { store, dir, answerDir, responseCacheBytes: 0, filePageRows: 97 });
  servers.push(s);
  const first = await query(s, {}, 'big'); // from SQL, kept
  expect(answerFiles(answerDir)).toHaveLength(1);
  expect(first.length).toBeGreaterThan(8 << 20); // more than the socket buffers hold
  // Read back slowly: the server's writes wait for the client, chunks stay in flight.
  const r = await fetch(`${s.endpoint}/shares/fx/schemas/default/tables/big/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
    body: '{}',
  });
  expect(r.status).toBe(200);
  const parts: Buffer[] = [];
  const reader = r.body!.getReader();
  for (let k = 0; ; k++) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(Buffer.from(value));
    if (k % 8 === 0) await new Promise((res) => setTimeout(res, 20));
  }
  const again = Buffer.concat(parts).toString();
  expect(fileLines(again)).toHaveLength(16_000);
  expect(again.replace(SLOT, 'SLOT')).toBe(first.replace(SLOT, 'SLOT'));
});
