/**
 * The streamed file list of query answers (sharing/file-stream.ts) on SQLite and PostgreSQL:
 * bounded pages that together are exactly the files valid at V (the catalog's `files()`), also when
 * versions are committed while the list is being read (rows then move between validity classes);
 * and over HTTP, file pages (of query and of change answers) are read from SQL only as fast as the
 * client reads the answer.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { generateTable } from '../../bench/generator';
import { readFileList } from '../../catalog/file-list';
import { openCatalog } from '../../catalog/open';
import type { SqlCatalogStore } from '../../catalog/sql-catalog';
import type { Commit } from '../../delta/actions';
import { filePagesAt } from '../../sharing/file-stream';
import type { FileRow } from '../../sharing/table-data';
import {
  collect,
  dropPgSchema,
  loadHistory,
  pgUrl,
  sqliteUrl,
  tempDir,
  uniqueSchema,
} from '../catalog/helpers';
import { serve, type Served } from './helpers';

jest.setTimeout(180_000);

const PAGE = 250;

async function generated(dir: string, versions: number, adds: number, removes: number): Promise<Commit[]> {
  await generateTable({
    dir,
    versions,
    addsPerVersion: adds,
    removesPerVersion: removes,
    checkpointInterval: 0,
    crcInterval: 0,
    protocolUpgradeAt: 0,
    schemaEvolutionEvery: 0,
    txnEvery: 0,
    seed: 17,
  });
  return (await loadHistory(dir)).commits;
}

const removedPaths = (commits: readonly Commit[]): Set<string> =>
  new Set(commits.flatMap((c) => c.actions.flatMap((a) => (a.type === 'remove' ? [a.body.path] : []))));

const paths = (pages: readonly FileRow[][]): string[] => pages.flat().map((f) => f.path);

describe.each(['sqlite', 'postgres'] as const)('%s catalog', (engine) => {
  const schema = uniqueSchema('fstream');
  let store: SqlCatalogStore;
  let tableId: string;
  let commits: Commit[];
  const dir = tempDir('deltasql-fstream-');

  beforeAll(async () => {
    commits = await generated(path.join(dir, 'table'), 14, 300, 120);
    store = await openCatalog(engine === 'sqlite' ? sqliteUrl(dir) : pgUrl(schema));
    tableId = (await store.ensureTable({ location: path.join(dir, 'table'), name: 'gen' })).tableId;
    await store.writeVersions(tableId, commits.slice(0, 10));
  });
  afterAll(async () => {
    await store?.close();
    if (engine === 'postgres') await dropPgSchema(schema);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('pages of at most pageRows rows are exactly files() at the latest and a middle version', async () => {
    for (const v of [9, 4]) {
      const pages = await collect(filePagesAt(store.driver, tableId, v, { pageRows: PAGE }));
      const expected = await readFileList(store.driver, tableId, { version: v });
      expect(expected.length).toBeGreaterThan(2 * PAGE);
      for (const p of pages) expect(p.length).toBeGreaterThan(0);
      for (const p of pages) expect(p.length).toBeLessThanOrEqual(PAGE);
      expect(paths(pages).sort()).toEqual([...expected].sort());
    }
  });

  test('versions committed while the list streams: still exactly the files at V, none twice', async () => {
    const v = 9;
    const expected = [...(await readFileList(store.driver, tableId, { version: v }))].sort();
    const it = filePagesAt(store.driver, tableId, v, { pageRows: PAGE });
    const early: FileRow[][] = [];
    for (let i = 0; i < 3; i++) {
      const p = await it.next();
      if (p.done) throw new Error('too few pages');
      early.push(p.value);
    }
    // Versions 10..13 remove files already sent and files not sent yet.
    await store.writeVersions(tableId, commits.slice(10));
    const late: FileRow[][] = [];
    for (let p = await it.next(); !p.done; p = await it.next()) late.push(p.value);
    const removed = removedPaths(commits.slice(10));
    expect(paths(early).filter((p) => removed.has(p)).length).toBeGreaterThan(0);
    expect(paths(late).filter((p) => removed.has(p)).length).toBeGreaterThan(0);
    expect([...paths(early), ...paths(late)].sort()).toEqual(expected);
  });
});

/** Pages read while a client holds the answer paused for a second, and in all, and its lines. */
async function pausedRead(
  s: Served,
  pagesRead: () => number,
  url: URL,
  method: 'GET' | 'POST',
): Promise<{ whilePaused: number; total: number; lines: string[] }> {
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request(url, {
      method,
      headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
    });
    req.on('response', resolve).on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
  expect(res.statusCode).toBe(200);
  res.pause();
  await new Promise((r) => setTimeout(r, 1_000));
  const whilePaused = pagesRead();
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (d: string) => (body += d));
  const ended = new Promise((r) => res.on('end', r));
  res.resume();
  await ended;
  return { whilePaused, total: pagesRead(), lines: body.split('\n').filter((l) => l !== '') };
}

test('HTTP: query and change answers are read from SQL as the client reads them, not ahead', async () => {
  const dir = tempDir('deltasql-fstream-http-');
  const commits = await generated(path.join(dir, 'table'), 2, 9_000, 0);
  const store = await openCatalog(sqliteUrl(dir));
  const t = await store.ensureTable({ location: path.join(dir, 'table'), name: 'big' });
  await store.writeVersions(t.tableId, commits);
  const s = await serve(['big'], { store, dir, filePageRows: 100 });
  const db = store.driver as typeof store.driver & {
    queryArrays(sql: string, p?: unknown[]): Promise<unknown[][]>;
  };
  const real = db.queryArrays.bind(db);
  let pagesRead = 0;
  db.queryArrays = (sql, p) => {
    // Query pages, and each change page's add statement.
    if (sql.startsWith('SELECT path, size, version') && !/NULL AS stats/.test(sql)) pagesRead++;
    return real(sql, p);
  };
  try {
    const table = `${s.endpoint}/shares/fx/schemas/default/tables/big`;
    const q = await pausedRead(s, () => pagesRead, new URL(`${table}/query`), 'POST');
    // 18,000 files in ~180 pages of 100; a paused client holds the server at what the socket buffers take.
    expect(q.lines.length).toBe(2 + 18_000);
    expect(q.total).toBeGreaterThanOrEqual(180);
    expect(q.whilePaused).toBeLessThan(q.total / 2);
    pagesRead = 0;
    const c = await pausedRead(s, () => pagesRead, new URL(`${table}/changes?startingVersion=0`), 'GET');
    expect(c.lines.length).toBe(2 + 18_000);
    expect(c.lines.slice(2).every((l) => l.startsWith('{"add":'))).toBe(true);
    expect(c.total).toBeGreaterThanOrEqual(180);
    expect(c.whilePaused).toBeLessThan(c.total / 2);
    process.stderr.write(
      `pages read while the client paused / in all: query ${q.whilePaused}/${q.total}, changes ${c.whilePaused}/${c.total}\n`,
    );
  } finally {
    await s.close();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
