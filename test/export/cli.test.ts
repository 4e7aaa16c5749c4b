/**
 * `deltasql export` and `deltasql restore` as users run them: in-process CLI, the real Temporal dev
 * server with a worker on this file's task queue, PostgreSQL, and delta-rs as the judge.
 *   - checkpoint-only import -> export: a checkpoint at the baseline, the lost versions named;
 *   - restore of a fixture whose _delta_log was deleted: delta-rs reads every version as before,
 *     diff exit 0, and a second restore over the healthy log is refused;
 *   - --dry-run lists the files and writes nothing;
 *   - bad input: a different commit at the destination (VersionConflict, file untouched), an
 *     unwritable destination, an unknown table.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCatalog } from '../../catalog/open';
import { stripPassword, urlPassword } from '../../catalog/url';
import type { CatalogStore } from '../../catalog/store';
import { dropPgSchema, loadHistory, pgUrl, tempDir, uniqueSchema } from '../catalog/helpers';
import { copyFixture, fixture, TEMPORAL_ADDRESS } from '../support/env';
import { runCli } from '../support/run-cli';
import { temporalHarness, type TemporalHarness } from '../support/temporal';
import { commitName, deltaRsStates, logFile, sha256 } from './helpers';

const FIXTURE = 'delta-rs/simple_table_with_checkpoint';
const schema = uniqueSchema('export_cli');
/** Without its password: the CLI never sends one to workers it does not run (PGPASSWORD instead). */
const url = stripPassword(pgUrl(schema));
const tmp = tempDir('deltasql-export-cli-');
const saved = { ...process.env };
let h: TemporalHarness;
let pg: CatalogStore;
/** One in-process worker for the whole file (creating one per command costs seconds). */
let stopWorker: () => void = () => undefined;
const released = new Promise<void>((resolve) => (stopWorker = resolve));
let worker: Promise<void> | undefined;

beforeAll(async () => {
  h = await temporalHarness();
  process.env.TEMPORAL_ADDRESS = TEMPORAL_ADDRESS;
  process.env.DELTASQL_TASK_QUEUE = h.taskQueue;
  process.env.PGPASSWORD = urlPassword(pgUrl(schema)) ?? '';
  pg = await openCatalog(url);
  worker = h.withWorker(() => released);
});

afterAll(async () => {
  stopWorker();
  await worker;
  process.env = saved;
  await pg?.close();
  await h?.close();
  await dropPgSchema(schema);
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Import a table's whole history through the library under `name`, recorded at `location`. */
async function importHistory(root: string, name: string, location = root): Promise<number> {
  const hist = await loadHistory(root);
  const t = await pg.ensureTable({ location, name });
  if (hist.baseline) await pg.writeBaseline(t.tableId, hist.baseline, hist.baseline.actions());
  await pg.writeVersions(t.tableId, hist.commits);
  return hist.latest;
}

const cli = runCli;
const errorOf = (stdout: string): { type: string; message: string } => JSON.parse(stdout).error;

test('checkpoint-only import, then export: checkpoint at the baseline, earlier versions named as lost', async () => {
  const imp = await cli([
    'import',
    fixture(FIXTURE),
    '--catalog',
    url,
    '--name',
    'co',
    '--mode',
    'checkpoint-only',
    '--no-progress',
  ]);
  expect({ code: imp.code, out: imp.stdout + imp.stderr }).toEqual({ code: 0, out: expect.any(String) });
  const dest = path.join(tmp, 'co');
  const r = await cli(['export', '--catalog', url, '--table', 'co', '--to', dest, '--format', 'json']);
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out.plan).toMatchObject({
    from: 10,
    to: 10,
    commitFrom: 10,
    checkpoints: [10],
    notRebuildable: { from: 0, to: 9 },
  });
  expect(out.checkpointsWritten).toBe(1);
  // The baseline's own commit file was imported too (its bytes are in the catalog): it is rebuilt.
  expect(fs.readdirSync(path.join(dest, '_delta_log')).sort()).toEqual([
    '00000000000000000010.checkpoint.parquet',
    '00000000000000000010.crc',
    '00000000000000000010.json',
    '_last_checkpoint',
  ]);
  expect(sha256(logFile(dest, commitName(10)))).toBe(sha256(logFile(fixture(FIXTURE), commitName(10))));
  const [src, got] = await deltaRsStates([
    { path: fixture(FIXTURE), versions: [10] },
    { path: dest, versions: [10] },
  ]);
  expect(got['10']).toEqual(src['10']);
  expect(src['10'].files?.length).toBeGreaterThan(0);
});

test('import, delete _delta_log, restore from PostgreSQL: the source checkpoints and mtimes, delta-rs reads every version as before', async () => {
  const copy = copyFixture(FIXTURE);
  try {
    const imp = await cli(['import', copy, '--catalog', url, '--name', 'restored', '--no-progress']);
    expect({ code: imp.code, out: imp.stdout + imp.stderr }).toEqual({ code: 0, out: expect.any(String) });
    const latest = 10;
    const mtimes = Array.from({ length: latest + 1 }, (_, v) =>
      Math.floor(fs.statSync(logFile(copy, commitName(v))).mtimeMs),
    );
    fs.rmSync(path.join(copy, '_delta_log'), { recursive: true });
    const r = await cli(['restore', '--catalog', url, '--table', 'restored', '--format', 'json']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const out = JSON.parse(r.stdout);
    expect(out.diff).toMatchObject({ exitCode: 0 });
    // The import recorded the source's one checkpoint (version 10): the log is gone, yet the
    // restore rebuilds exactly that one, and `_last_checkpoint` names it.
    expect(out.export.plan).toMatchObject({
      checkpoints: [10],
      checkpointRule: 'where the source had them (recorded at import, versions 0–10)',
    });
    expect(JSON.parse(fs.readFileSync(logFile(copy, '_last_checkpoint'), 'utf8')).version).toBe(10);
    for (let v = 0; v <= latest; v++) {
      const f = logFile(copy, commitName(v));
      expect({ v, sha: sha256(f), mtime: Math.floor(fs.statSync(f).mtimeMs) }).toEqual({
        v,
        sha: sha256(logFile(fixture(FIXTURE), commitName(v))),
        mtime: mtimes[v],
      });
    }
    const versions = Array.from({ length: latest + 1 }, (_, i) => i);
    const [src, got] = await deltaRsStates([
      { path: fixture(FIXTURE), versions },
      { path: copy, versions },
    ]);
    expect(got).toEqual(src);
    // The log is healthy again: a second restore refuses to touch it.
    const again = await runCli(['restore', '--catalog', url, '--table', 'restored', '--format', 'json']);
    expect(again.code).toBe(1);
    expect(errorOf(again.stdout).type).toBe('RestoreRefused');
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
});

test('--dry-run lists every file it would write and writes nothing', async () => {
  await importHistory(fixture('delta-rs/simple_table'), 'simple');
  const dest = path.join(tmp, 'dry');
  const r = await runCli([
    'export',
    '--catalog',
    url,
    '--table',
    'simple',
    '--to',
    dest,
    '--dry-run',
    '--checkpoint-interval',
    '2',
    '--format',
    'json',
  ]);
  expect(r.code).toBe(0);
  const plan = JSON.parse(r.stdout);
  expect(plan.checkpoints).toEqual([2, 4]);
  expect(plan.files).toHaveLength(5 + 5 + 2 + 1);
  expect(plan.files).toContain('_delta_log/00000000000000000004.checkpoint.parquet');
  expect(fs.existsSync(dest)).toBe(false);
});

test('a destination holding a different commit: VersionConflict naming it, nothing overwritten', async () => {
  await importHistory(fixture('delta-rs/simple_table'), 'conflict');
  const dest = path.join(tmp, 'conflict');
  fs.mkdirSync(path.join(dest, '_delta_log'), { recursive: true });
  const foreign = '{"commitInfo":{"operation":"someone else"}}\n';
  fs.writeFileSync(logFile(dest, commitName(1)), foreign);
  const r = await cli([
    'export',
    '--catalog',
    url,
    '--table',
    'conflict',
    '--to',
    dest,
    '--format',
    'json',
    '--no-checkpoints',
  ]);
  expect(r.code).toBe(1);
  const err = errorOf(r.stdout);
  expect(err.type).toBe('VersionConflict');
  expect(err.message).toContain(commitName(1));
  expect(fs.readFileSync(logFile(dest, commitName(1)), 'utf8')).toBe(foreign);
  // --overwrite replaces it with the catalog's bytes.
  const o = await cli([
    'export',
    '--catalog',
    url,
    '--table',
    'conflict',
    '--to',
    dest,
    '--format',
    'json',
    '--overwrite',
  ]);
  expect(o.code).toBe(0);
  expect(sha256(logFile(dest, commitName(1)))).toBe(
    sha256(logFile(fixture('delta-rs/simple_table'), commitName(1))),
  );
});

test('an unwritable destination and an unknown table are clear errors', async () => {
  await importHistory(fixture('delta-rs/simple_table'), 'unwritable');
  // Root ignores permission bits; a regular file where the folder should be stops everyone.
  const blocker = path.join(tmp, 'blocker');
  fs.writeFileSync(blocker, 'not a folder');
  const r = await cli([
    'export',
    '--catalog',
    url,
    '--table',
    'unwritable',
    '--to',
    path.join(blocker, 'table'),
    '--format',
    'json',
  ]);
  expect(r.code).toBe(1);
  expect(errorOf(r.stdout).type).toBe('DestinationNotWritable');
  const u = await runCli([
    'export',
    '--catalog',
    url,
    '--table',
    'no_such_table',
    '--to',
    path.join(tmp, 'x'),
    '--dry-run',
    '--format',
    'json',
  ]);
  expect(u.code).toBe(1);
  expect(errorOf(u.stdout)).toMatchObject({
    type: 'CatalogTableNotFound',
    message: expect.stringContaining('no_such_table'),
  });
});
