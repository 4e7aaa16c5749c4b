/**
 * `deltasql import` and `deltasql discover --import` as users run them, in-process, against the
 * real dev server (TEMPORAL_ADDRESS) with a worker on the test's task queue.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client as PgClient } from 'pg';
import { openCatalog } from '../../catalog/open';
import { DeltaTable } from '../../delta/table';
import { copyFixture, fixture, PG_URL, TEMPORAL_ADDRESS } from '../support/env';
import { runCli } from '../support/run-cli';
import { temporalHarness, type TemporalHarness } from '../support/temporal';

let h: TemporalHarness;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-cli-'));
const saved = { ...process.env };

/** Count actions by type straight from the commit files (an oracle independent of the reader). */
function countActions(table: string): Record<string, number> {
  const log = path.join(table, '_delta_log');
  const counts: Record<string, number> = {};
  for (const f of fs.readdirSync(log).filter((n) => /^\d{20}\.json$/.test(n))) {
    for (const line of fs.readFileSync(path.join(log, f), 'utf8').split('\n')) {
      if (line.trim()) for (const k of Object.keys(JSON.parse(line))) counts[k] = (counts[k] ?? 0) + 1;
    }
  }
  return counts;
}
const simple = countActions(fixture('delta-rs/simple_table'));

beforeAll(async () => {
  h = await temporalHarness();
  process.env.TEMPORAL_ADDRESS = TEMPORAL_ADDRESS;
  process.env.DELTASQL_TASK_QUEUE = h.taskQueue;
});

afterAll(async () => {
  process.env = saved;
  await h?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('--dry-run reports counts and estimates and writes nothing (not even the catalog file)', async () => {
  const db = path.join(tmp, 'dry.db');
  const r = await runCli([
    'import',
    fixture('delta-rs/simple_table'),
    '--catalog',
    `sqlite:///${db}`,
    '--dry-run',
    '--format',
    'json',
  ]);
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout);
  expect(report).toMatchObject({
    dryRun: true,
    versions: 5,
    plan: { startVersion: 0, targetVersion: 4, baselineVersion: null },
  });
  expect(report.counts).toMatchObject({
    add: simple.add,
    remove: simple.remove,
    metaData: simple.metaData,
    protocol: simple.protocol,
    commitInfo: simple.commitInfo,
  });
  expect(report.estimatedDbBytes).toBeGreaterThan(0);
  expect(fs.existsSync(db)).toBe(false);

  const human = await runCli([
    'import',
    fixture('delta-rs/simple_table'),
    '--catalog',
    `sqlite:///${db}`,
    '--dry-run',
  ]);
  expect(human.stdout).toMatch(/^DRY RUN - no database modifications/);
  expect(human.stdout).toContain(
    `Would insert ${simple.add} add actions, ${simple.remove} remove actions, 1 metadata updates, 1 protocol updates`,
  );
});

test('import --format json prints the stats object; a dry run on an existing catalog changes nothing', async () => {
  const url = `sqlite:///${path.join(tmp, 'json.db')}`;
  const r = await h.withWorker(() =>
    runCli([
      'import',
      fixture('delta-rs/simple_table'),
      '--catalog',
      url,
      '--up-to-version',
      '2',
      '--format',
      'json',
    ]),
  );
  expect(r.code).toBe(0);
  const stats = JSON.parse(r.stdout);
  expect(stats).toMatchObject({
    name: 'simple_table',
    startVersion: 0,
    targetVersion: 2,
    versionsImported: 3,
    validation: { passed: true },
  });
  expect(stats.workflowId).toMatch(/^deltasql-import-simple_table-/);
  expect(stats.uiLink).toContain(encodeURIComponent(stats.workflowId));

  const before = fs.readFileSync(path.join(tmp, 'json.db'));
  const dry = await runCli([
    'import',
    fixture('delta-rs/simple_table'),
    '--catalog',
    url,
    '--dry-run',
    '--format',
    'json',
  ]);
  expect(JSON.parse(dry.stdout).plan).toMatchObject({ startVersion: 3, targetVersion: 4, resumedFrom: 2 });
  expect(fs.readFileSync(path.join(tmp, 'json.db')).equals(before)).toBe(true);
});

test('human output: summary lines like the seed, validation PASSED', async () => {
  const url = `sqlite:///${path.join(tmp, 'human.db')}`;
  const r = await h.withWorker(() =>
    runCli(['import', fixture('delta-rs/simple_table'), '--catalog', url, '--no-progress']),
  );
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(
    `Import complete: 5 versions (0–4), ${simple.add} add actions, ${simple.remove} remove actions, 1 metadata updates, 1 protocol updates`,
  );
  expect(r.stdout).toMatch(/Validation: PASSED ✓/);
  expect(r.stderr).toMatch(/Temporal UI: http/);
});

test('--no-wait prints the workflow id and the UI link; the import then finishes on a worker', async () => {
  const url = `sqlite:///${path.join(tmp, 'nowait.db')}`;
  const r = await runCli([
    'import',
    fixture('delta-rs/simple_table'),
    '--catalog',
    url,
    '--no-wait',
    '--format',
    'json',
  ]);
  expect(r.code).toBe(0);
  const { workflowId, uiLink } = JSON.parse(r.stdout);
  expect(uiLink).toContain(workflowId);
  await h.withWorker(() => h.client.workflow.getHandle(workflowId).result());
  const store = await openCatalog(url);
  expect((await store.findTable('simple_table'))?.lastVersion).toBe(4);
  await store.close();
});

test('bad input: unknown source is TableNotFound with exit 1; bad catalog URL is InvalidUri', async () => {
  const missing = await runCli([
    'import',
    path.join(tmp, 'nope'),
    '--catalog',
    `sqlite:///${path.join(tmp, 'x.db')}`,
    '--dry-run',
    '--format',
    'json',
  ]);
  expect(missing.code).toBe(1);
  expect(JSON.parse(missing.stdout).error.type).toBe('TableNotFound');
  const bad = await runCli([
    'import',
    fixture('delta-rs/simple_table'),
    '--catalog',
    'oracle://u:secret@h/db',
    '--dry-run',
    '--format',
    'json',
  ]);
  expect(bad.code).toBe(1);
  expect(JSON.parse(bad.stdout).error.type).toBe('InvalidUri');
  expect(bad.stdout).not.toContain('secret');
});

test('seed-style positional target deltasql://postgres/<db>/<schema>/<table> imports into PostgreSQL', async () => {
  const u = new URL(PG_URL);
  const schema = `seed_${process.pid}`;
  // No password in the target: it would enter the workflow; the worker reads PGPASSWORD (issue 14).
  const target = `deltasql://postgres/${u.pathname.slice(1)}/${schema}/sales?host=${u.hostname}&port=${u.port}&user=${u.username}`;
  process.env.PGPASSWORD = decodeURIComponent(u.password);
  try {
    const r = await h.withWorker(() =>
      runCli(['import', fixture('delta-rs/simple_table_with_checkpoint'), target, '--format', 'json']),
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      name: 'sales',
      versionsImported: 11,
      validation: { passed: true },
    });
  } finally {
    delete process.env.PGPASSWORD;
    const pg = new PgClient({ connectionString: PG_URL });
    await pg.connect();
    await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pg.end();
  }
});

test('discover --import imports every Delta table found, each under its own name', async () => {
  const root = path.join(tmp, 'lake');
  fs.mkdirSync(root);
  for (const [rel, name] of [
    ['delta-rs/simple_table', 'a'],
    ['delta-rs/table-with-dv-small', 'b'],
    ['golden/snapshot-data3', 'c'],
  ]) {
    fs.cpSync(copyFixture(rel), path.join(root, name), { recursive: true, preserveTimestamps: true });
  }
  fs.mkdirSync(path.join(root, 'not-a-table'));
  const url = `sqlite:///${path.join(tmp, 'lake.db')}`;
  const r = await h.withWorker(() =>
    runCli(['discover', root, '--import', '--catalog', url, '--parallelism', '2', '--format', 'json']),
  );
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out.import).toMatchObject({ total: 3, completed: 3, failed: 0 });
  const store = await openCatalog(url);
  try {
    for (const name of ['a', 'b', 'c']) {
      const row = await store.findTable(name);
      const latest = await (await DeltaTable.open(path.join(root, name))).latestVersion();
      expect({ name, last: row?.lastVersion }).toEqual({ name, last: latest });
    }
  } finally {
    await store.close();
  }
});

test('with TEMPORAL_ADDRESS set and no worker on the task queue, import warns instead of waiting silently', async () => {
  const queue = process.env.DELTASQL_TASK_QUEUE;
  process.env.DELTASQL_TASK_QUEUE = `${h.taskQueue}-nobody`;
  try {
    const url = `sqlite:///${path.join(tmp, 'noworker.db')}`;
    const r = await runCli(['import', fixture('delta-rs/simple_table'), '--catalog', url, '--no-wait']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`warning: no worker polls task queue "${h.taskQueue}-nobody"`);
    const [workflowId] = r.stdout.trim().split('\n');
    await h.client.workflow.getHandle(workflowId).terminate('test cleanup');
  } finally {
    process.env.DELTASQL_TASK_QUEUE = queue;
  }
});
