/**
 * Nothing hangs: a catalog that cannot work as configured fails the import at once (exit 1, one
 * line, non-retryable type), and an unreachable one is retried for `--catalog-timeout` only,
 * with one "waiting for catalog" line, after which the workflow is closed (no zombie to attach to).
 * Real PostgreSQL and Temporal; the worker is the harness's, so credentials come from its env.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Worker } from '@temporalio/worker';
import { importWorkflowId } from '../../client/import-client';
import { createImportWorker } from '../../workers/worker';
import { fixture, PG_URL, TEMPORAL_ADDRESS } from '../support/env';
import { runCli, type CliResult } from '../support/run-cli';
import { temporalHarness, type TemporalHarness } from '../support/temporal';
import { sharedWorkflowBundle } from '../support/workflow-bundle';

let h: TemporalHarness;
let worker: Worker;
let running: Promise<void>;
let closeWorker: () => Promise<void>;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-hangs-'));
const saved = { ...process.env };
const pg = new URL(PG_URL);
/** The test database's URL without its password: the worker finds it in PGPASSWORD. */
const pgNoPassword = (over: { port?: string; database?: string } = {}): string => {
  const u = new URL(PG_URL);
  u.password = '';
  if (over.port) u.port = over.port;
  if (over.database) u.pathname = `/${over.database}`;
  u.searchParams.set('schema', 'hangs_test');
  return u.href;
};

beforeAll(async () => {
  h = await temporalHarness();
  process.env.TEMPORAL_ADDRESS = TEMPORAL_ADDRESS;
  process.env.DELTASQL_TASK_QUEUE = h.taskQueue;
  // One worker for the whole file, on the shared workflow bundle (no webpack run of its own).
  const w = await createImportWorker({
    connection: h.native,
    namespace: 'default',
    taskQueue: h.taskQueue,
    workflowBundlePath: await sharedWorkflowBundle(),
  });
  worker = w.worker;
  closeWorker = w.close;
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await closeWorker?.();
  process.env = saved;
  await h?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function importWith(catalog: string, extra: string[] = []): Promise<CliResult & { seconds: number }> {
  const t0 = Date.now();
  const r = await runCli(['import', fixture('delta-rs/simple_table'), '--catalog', catalog, ...extra]);
  return { ...r, seconds: (Date.now() - t0) / 1000 };
}

const errorOf = (r: CliResult): { type: string; message: string } => JSON.parse(r.stdout).error;

test('sqlite:/// in a folder that does not exist fails at once, non-retryably', async () => {
  const r = await importWith(`sqlite:///${tmp}/missing/dir/c.db`, ['--format', 'json']);
  expect(r.code).toBe(1);
  expect(errorOf(r)).toEqual({
    type: 'CatalogMisconfigured',
    message: `cannot open catalog sqlite:///${tmp}/missing/dir/c.db: directory ${tmp}/missing/dir does not exist`,
  });
  expect(r.seconds).toBeLessThan(30);
}, 60_000);

test('a wrong password fails at once with CatalogMisconfigured, and the password is nowhere', async () => {
  process.env.PGPASSWORD = 'wrong-Pa55word';
  try {
    const r = await importWith(pgNoPassword(), ['--format', 'json']);
    expect(r.code).toBe(1);
    const err = errorOf(r);
    expect(err.type).toBe('CatalogMisconfigured');
    expect(err.message).toMatch(/authentication failed/);
    expect(r.stdout + r.stderr).not.toContain('wrong-Pa55word');
    expect(r.seconds).toBeLessThan(30);
  } finally {
    delete process.env.PGPASSWORD;
  }
}, 60_000);

test('an unknown database fails at once with CatalogMisconfigured', async () => {
  process.env.PGPASSWORD = decodeURIComponent(pg.password);
  try {
    const r = await importWith(pgNoPassword({ database: 'no_such_db_hangs' }), ['--format', 'json']);
    expect(r.code).toBe(1);
    expect(errorOf(r).type).toBe('CatalogMisconfigured');
    expect(errorOf(r).message).toMatch(/database "no_such_db_hangs" does not exist/);
    expect(r.seconds).toBeLessThan(30);
  } finally {
    delete process.env.PGPASSWORD;
  }
}, 60_000);

test('an invalid URL fails with InvalidUri and one line', async () => {
  const r = await importWith('postgresql://u@h:notaport/db');
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split('\n').pop()).toMatch(
    /^error: InvalidUri: invalid catalog URL postgresql:\/\/u@h:notaport\/db/,
  );
}, 60_000);

test('a closed port is retried for --catalog-timeout only, with a waiting line, then CatalogUnavailable', async () => {
  const url = pgNoPassword({ port: '1' });
  const r = await importWith(url, ['--catalog-timeout', '5s']);
  expect(r.code).toBe(1);
  const lines = r.stderr.trim().split('\n');
  // Never the old placeholder; `planning…` may be skipped when the first poll already sees the wait.
  expect(lines.some((l) => l.includes('version - of ?'))).toBe(false);
  const waiting = lines.filter((l) => l.startsWith('waiting for catalog'));
  expect(waiting.length).toBeGreaterThan(0);
  expect(waiting[0]).toMatch(
    new RegExp(
      `^waiting for catalog ${url.replace(/[?.]/g, '\\$&')}: connection refused \\(attempt \\d+, retrying\\)$`,
    ),
  );
  expect(lines[lines.length - 1]).toMatch(
    /^error: CatalogUnavailable: gave up after 5s: cannot connect to catalog/,
  );
  expect(r.stderr).not.toMatch(/version - of \?/);
  expect(r.seconds).toBeLessThan(30);
  // The workflow is closed: nothing keeps retrying on the server, a next import starts afresh.
  const id = importWorkflowId(url, 'simple_table');
  const d = await h.client.workflow.getHandle(id).describe();
  expect(d.status.name).toBe('FAILED');
}, 60_000);

test('a second import says when the running one looks stuck, and deltasql cancel stops it', async () => {
  const url = pgNoPassword({ port: '1' }).replace('hangs_test', 'hangs_stuck');
  const first = await importWith(url, ['--catalog-timeout', '60s', '--no-wait']);
  expect(first.code).toBe(0);
  const id = importWorkflowId(url, 'simple_table');
  const handle = h.client.workflow.getHandle(id);
  for (let i = 0; i < 100; i++) {
    const d = await handle.describe();
    if ((d.raw.pendingActivities?.[0]?.attempt ?? 0) >= 3) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const second = await importWith(url, ['--no-wait']);
  expect(second.stderr).toContain(`attaching to ${id}`);
  expect(second.stderr).toMatch(
    /warning: the running import looks stuck: its checkCatalog has failed \d+ times \(last: cannot connect to catalog .*ECONNREFUSED/,
  );
  const c = await runCli(['cancel', 'simple_table', '--catalog', url, '--format', 'json']);
  expect(JSON.parse(c.stdout)).toEqual([{ kind: 'import', workflowId: id, status: 'CANCELLED' }]);
}, 60_000);
