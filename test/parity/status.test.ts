import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openCatalog } from '../../catalog/open';
import type { Commit } from '../../delta/actions';
import { DeltaTable } from '../../delta/table';
import { copyFixture } from '../support/env';
import { runCli } from '../support/run-cli';

const MINUTE_MS = 60_000;
let tmp: string;
let src: string;
let gone: string;
let url: string;

async function importUpTo(dir: string, name: string, upTo: number): Promise<string> {
  const store = await openCatalog(url);
  try {
    const t = await store.ensureTable({ location: dir, name });
    const commits: Commit[] = [];
    for await (const c of (await DeltaTable.open(dir)).commits(0, upTo)) commits.push(c);
    await store.writeVersions(t.tableId, commits);
    return t.tableId;
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-status-'));
  url = `sqlite:///${path.join(tmp, 'catalog.db')}`;
  src = copyFixture('delta-rs/simple_table');
  for (let v = 0; v <= 4; v++) {
    const t = new Date(Date.UTC(2025, 0, 1) + v * MINUTE_MS);
    fs.utimesSync(path.join(src, '_delta_log', `${String(v).padStart(20, '0')}.json`), t, t);
  }
  gone = copyFixture('delta-rs/simple_table');
  await importUpTo(src, 'caught_up', 4);
  const behindId = await importUpTo(src, 'behind', 1);
  await importUpTo(gone, 'moved', 4);
  fs.rmSync(gone, { recursive: true, force: true });
  const store = await openCatalog(url);
  const run = (runId: string, startedAt: number) => ({
    runId,
    tableId: behindId,
    workflowId: `wf-${runId}`,
    temporalRunId: null,
    mode: 'fast',
    startedAt,
    fromVersion: 0,
    toVersion: 1,
    versionsImported: 0,
    counts: {},
    validation: null,
    error: null,
  });
  await store.startRun(run('r1', 1000));
  await store.finishRun('r1', { status: 'failed', finishedAt: 2000, error: 'LogGap: boom' });
  await store.startRun(run('r2', 3000));
  await store.finishRun('r2', { status: 'completed', finishedAt: 4000, versionsImported: 2 });
  await store.close();
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(src, { recursive: true, force: true });
});

interface StatusJson {
  tables: {
    name: string;
    location: string;
    lastImportedVersion: number | null;
    sourceLatestVersion: number | null;
    sourceError: { type: string } | null;
    versionDelta: number | null;
    lagSeconds: number | null;
    lastRun: { runId: string; status: string } | null;
    runs: { runId: string; status: string }[];
  }[];
}

test('status --format json: versions, lag, unreachable source, runs', async () => {
  const r = await runCli(['status', '--catalog', url, '--format', 'json']);
  expect(r.code).toBe(0);
  const j = JSON.parse(r.stdout) as StatusJson;
  const by = Object.fromEntries(j.tables.map((t) => [t.name, t]));
  expect(Object.keys(by).sort()).toEqual(['behind', 'caught_up', 'moved']);
  expect(by.caught_up).toMatchObject({
    lastImportedVersion: 4,
    sourceLatestVersion: 4,
    versionDelta: 0,
    lagSeconds: 0,
    lastRun: null,
    runs: [],
  });
  expect(by.behind).toMatchObject({
    location: src,
    lastImportedVersion: 1,
    sourceLatestVersion: 4,
    versionDelta: 3,
    lagSeconds: 180,
  });
  expect(by.behind.runs.map((x) => [x.runId, x.status])).toEqual([
    ['r2', 'completed'],
    ['r1', 'failed'],
  ]);
  expect(by.behind.lastRun!.runId).toBe('r2');
  expect(by.moved).toMatchObject({ lastImportedVersion: 4, sourceLatestVersion: null, lagSeconds: null });
  expect(by.moved.sourceError!.type).toBe('TableNotFound');
});

test('aliases migration-status and info; --table filters; human output', async () => {
  const a = await runCli(['migration-status', '--catalog', url, '--table', 'behind']);
  expect(a.code).toBe(0);
  expect(a.stdout).toContain('behind (');
  expect(a.stdout).not.toContain('caught_up');
  expect(a.stdout).toContain('  source latest version: 4');
  expect(a.stdout).toContain('  lag:                   180.000s, 3 version(s) behind');
  expect(a.stdout).toMatch(/last run: {14}r2 fast completed/);
  expect(a.stdout).toContain('error: LogGap: boom');
  const b = await runCli(['info', '--catalog', url, '--table', 'moved']);
  expect(b.code).toBe(0);
  expect(b.stdout).toContain('source latest version: unreachable (TableNotFound: ');
  const c = await runCli(['status', '--catalog', url, '--table', 'nope', '--format', 'json']);
  expect(c.code).toBe(1);
  expect(JSON.parse(c.stdout).error.type).toBe('CatalogTableNotFound');
});
