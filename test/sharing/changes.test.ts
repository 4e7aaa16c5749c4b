/**
 * Change data feed and time travel over Delta Sharing, judged by the real Python clients in one
 * process: `load_table_changes_as_pandas` equals delta-rs `load_cdf` for the whole history and a
 * later range of every CDF fixture (the deletion-vector one through the delta response format),
 * and `load_as_pandas(timestamp=…)` reads the version that was current at that time. The CDF
 * checks run twice: through a server with the default SQL page size, and through one reading
 * 2 actions per page, so every answer streams over many pages and splits commits by seq.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyFixture, fixture } from '../support/env';
import { importFixture, runOracle, serve, testCatalog, type ImportedTable, type Served } from './helpers';

jest.setTimeout(300_000);

const CDF = [
  'delta-rs/cdc_ict_table',
  'delta-rs/cdf-table',
  'delta-rs/cdf-table-non-partitioned',
  'delta-rs/cdf-table-with-cdc-and-dvs',
  'delta-rs/simple_table_with_cdc',
];
/** Readable only through the delta format (deletion vectors). */
const DELTA_ONLY = new Set(['delta-rs/cdf-table-with-cdc-and-dvs']);
const TIME_TRAVEL = 'delta-rs/simple_table';
const BASE_MS = Date.UTC(2024, 0, 1);

let s: Served;
let paged: Served;
const tables = new Map<string, ImportedTable>();

beforeAll(async () => {
  const { store, dir } = await testCatalog();
  for (const rel of CDF) {
    const t = await importFixture(store, rel, fixture(rel));
    if (!t) throw new Error(`cannot import ${rel}`);
    tables.set(rel, t);
  }
  // The fixture's commit files all carry the same mtime (their timestamps): a copy whose versions
  // are one minute apart makes time travel by timestamp meaningful.
  const copy = copyFixture(TIME_TRAVEL);
  for (let v = 0; v <= 4; v++) {
    const t = (BASE_MS + v * 60_000) / 1000;
    fs.utimesSync(path.join(copy, '_delta_log', `${String(v).padStart(20, '0')}.json`), t, t);
  }
  const tt = await importFixture(store, 'time_travel', copy);
  if (!tt) throw new Error('cannot import the time-travel copy');
  tables.set(TIME_TRAVEL, tt);
  s = await serve(
    [...tables.values()].map((t) => t.name),
    { store, dir },
  );
  paged = await serve(
    [...tables.values()].map((t) => t.name),
    { store, dir: fs.mkdtempSync(path.join(dir, 'paged-')), filePageRows: 2 },
  );
});

afterAll(async () => {
  await paged?.close();
  await s?.close();
  await s?.store.close();
});

const url = (t: ImportedTable): string => `${s.profile}#fx.default.${t.name}`;

test('load_table_changes_as_pandas equals delta-rs load_cdf; time travel by timestamp', async () => {
  const checks: object[] = [];
  for (const rel of CDF) {
    const t = tables.get(rel)!;
    const useDelta = DELTA_ONLY.has(rel) ? true : null;
    // Commit timestamps: without in-commit timestamps the protocol's is the commit file's mtime
    // (what the catalog serves); delta-rs load_cdf reports commitInfo.timestamp instead.
    const ignoreTimestamp = rel !== 'delta-rs/cdc_ict_table';
    checks.push({
      ignoreTimestamp,
      id: `${rel}:all`,
      kind: 'cdf',
      url: url(t),
      path: t.root,
      start: t.first,
      end: t.latest,
      useDelta,
    });
    if (t.latest > t.first + 1) {
      const start = t.first + 1;
      checks.push({
        ignoreTimestamp,
        id: `${rel}:tail`,
        kind: 'cdf',
        url: url(t),
        path: t.root,
        start,
        end: t.latest,
        useDelta,
      });
    }
  }
  for (const c of [...checks] as { id: string; url: string }[]) {
    checks.push({ ...c, id: `${c.id}:paged`, url: c.url.replace(s.profile, paged.profile) });
  }
  // Time travel: each version's commit time reads that version; a moment later still reads it.
  const tt = tables.get(TIME_TRAVEL)!;
  const versions = await s.store.driver.query(
    `SELECT version, commit_timestamp FROM {T:dl_table_versions} v JOIN {T:dl_tables} t ON t.table_id = v.table_id
     WHERE t.name = ? ORDER BY version`,
    [tt.name],
  );
  for (const r of versions) {
    expect(Number(r.commit_timestamp)).toBe(BASE_MS + Number(r.version) * 60_000);
    // Between two commits reads the earlier one; after the latest commit is an error, so the
    // latest version is asked for at its own commit time.
    const ms = Number(r.commit_timestamp) + (Number(r.version) < 4 ? 30_000 : 0);
    const ts = new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
    checks.push({
      id: `tt@${r.version}`,
      kind: 'rows',
      url: url(tt),
      path: tt.root,
      version: Number(r.version),
      timestamp: ts,
    });
  }
  expect(versions.length).toBe(5);
  const results = await runOracle(checks, s.dir);
  const bad = [...results.values()].filter((r) => !r.ok).map((r) => `${r.id}: ${r.error ?? r.detail}`);
  expect(bad).toEqual([]);
  expect([...results.values()].filter((r) => r.id.endsWith(':all')).every((r) => (r.rows ?? 0) > 0)).toBe(
    true,
  );
  expect([...results.keys()].filter((id) => id.endsWith(':paged')).length).toBeGreaterThanOrEqual(CDF.length);
});

test('changes endpoint: bad ranges are 400, a DV table asked for parquet is refused', async () => {
  const t = tables.get('delta-rs/cdf-table')!;
  const get = (q: string, headers: Record<string, string> = {}) =>
    fetch(`${s.endpoint}/shares/fx/schemas/default/tables/${t.name}/changes?${q}`, {
      headers: { authorization: `Bearer ${s.token}`, ...headers },
    });
  expect((await get('startingVersion=2&endingVersion=1')).status).toBe(400);
  expect((await get('startingVersion=99')).status).toBe(400);
  expect((await get('')).status).toBe(400);
  const ok = await get('startingVersion=0&endingVersion=1');
  expect(ok.status).toBe(200);
  expect(ok.headers.get('delta-table-version')).toBe('0');
  const kinds = (await ok.text())
    .trim()
    .split('\n')
    .map((l) => Object.keys(JSON.parse(l) as object)[0]);
  expect(kinds.slice(0, 2)).toEqual(['protocol', 'metaData']);
  expect(new Set(kinds.slice(2))).toEqual(new Set(['add', 'cdf']));
  const dv = tables.get('delta-rs/cdf-table-with-cdc-and-dvs')!;
  const refused = await fetch(
    `${s.endpoint}/shares/fx/schemas/default/tables/${dv.name}/changes?startingVersion=0`,
    {
      headers: { authorization: `Bearer ${s.token}` },
    },
  );
  expect(refused.status).toBe(400);
});
