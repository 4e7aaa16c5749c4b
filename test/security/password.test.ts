/**
 * No secret in Temporal: an import with a password URL into the real PostgreSQL (a role created
 * for this test) leaves the password nowhere in the workflow history (`temporal workflow show`),
 * the workflow description, a schedule's description, the CLI's output or the worker's log file.
 * A password no own worker can use is refused; named catalogs (DELTASQL_CATALOGS) send the name.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client as PgClient } from 'pg';
import { importWorkflowId } from '../../client/import-client';
import { syncScheduleId } from '../../client/sync-client';
import { fixture, PG_URL, TEMPORAL_ADDRESS } from '../support/env';
import { runCli } from '../support/run-cli';
import { temporalDecoded as temporal } from '../support/temporal-cli';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-sec-'));
const saved = { ...process.env };
const suffix = randomBytes(4).toString('hex');
const role = `dsec_${suffix}`;
const password = `S3cret-${randomBytes(6).toString('hex')}`;
const schema = `sec_${suffix}`;
const base = new URL(PG_URL);
const withPassword = `postgresql://${role}:${password}@${base.host}${base.pathname}?schema=${schema}`;
const noPassword = `postgresql://${role}@${base.host}${base.pathname}?schema=${schema}`;
const taskQueue = `sec-${suffix}`;
const source = fixture('delta-rs/simple_table');

async function admin(sql: string): Promise<void> {
  const c = new PgClient({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  await admin(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  await admin(`GRANT CREATE ON DATABASE ${base.pathname.slice(1)} TO ${role}`);
  Object.assign(process.env, {
    TEMPORAL_ADDRESS,
    DELTASQL_TASK_QUEUE: taskQueue,
    DELTASQL_HOME: tmp,
    DELTASQL_LOG_LEVEL: 'debug',
  });
  delete process.env.PGPASSWORD;
});

afterAll(async () => {
  process.env = saved;
  await admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin(`REVOKE CREATE ON DATABASE ${base.pathname.slice(1)} FROM ${role}`);
  await admin(`DROP ROLE IF EXISTS ${role}`);
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('without a worker of its own the CLI refuses to send a password, and says how to supply it', async () => {
  const r = await runCli(['import', source, '--catalog', withPassword, '--format', 'json']);
  expect(r.code).toBe(1);
  const err = JSON.parse(r.stdout).error;
  expect(err.type).toBe('InvalidArgument');
  expect(err.message).toContain(`postgresql://${role}:***@`);
  expect(err.message).toMatch(/PGPASSWORD.*~\/\.pgpass.*DELTASQL_CATALOGS/);
  expect(r.stdout + r.stderr).not.toContain(password);
  const sched = await runCli(['sync', 'schedule', source, '--catalog', withPassword, '--format', 'json']);
  expect(sched.code).toBe(1);
  expect(JSON.parse(sched.stdout).error.type).toBe('InvalidArgument');
});

test('an import with a password URL leaves the password out of history, description and logs', async () => {
  const r = await runCli([
    'import',
    source,
    '--catalog',
    withPassword,
    '--in-process-worker',
    '--format',
    'json',
  ]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ versionsImported: 5, validation: { passed: true } });
  expect(r.stdout).not.toContain(password);

  const id = importWorkflowId(noPassword, 'simple_table');
  const history = temporal('workflow', 'show', '--workflow-id', id);
  const description = temporal('workflow', 'describe', '--workflow-id', id);
  // The check can fail: the input does name the catalog, only without its password.
  expect(history).toContain(noPassword);
  expect(history).not.toContain(password);
  expect(description).not.toContain(password);
  expect(Buffer.from(history).toString('base64')).not.toContain(Buffer.from(password).toString('base64'));
  const log = path.join(tmp, 'logs', 'worker.log');
  const logged = fs.readFileSync(log, 'utf8');
  expect(logged).toContain(id); // the debug-level worker log names the workflow …
  expect(logged).not.toContain(password); // … never the password
}, 120_000);

test('a named catalog (DELTASQL_CATALOGS) sends only its name, also for schedules', async () => {
  const file = path.join(tmp, 'catalogs.yaml');
  fs.writeFileSync(file, `prod: ${withPassword}\n`);
  process.env.DELTASQL_CATALOGS = file;
  try {
    const r = await runCli([
      'import',
      source,
      '--catalog',
      'prod',
      '--name',
      'named_simple',
      '--in-process-worker',
      '--format',
      'json',
    ]);
    expect(r.code).toBe(0);
    const history = temporal('workflow', 'show', '--workflow-id', importWorkflowId('prod', 'named_simple'));
    expect(history).toContain('"prod"');
    expect(history).not.toContain(password);
    expect(history).not.toContain(role);

    const s = await runCli(['sync', 'schedule', source, '--catalog', 'prod', '--paused', '--format', 'json']);
    expect(s.code).toBe(0);
    const scheduleId = syncScheduleId('prod', 'simple_table');
    try {
      const d = temporal('schedule', 'describe', '--schedule-id', scheduleId);
      expect(d).toContain(scheduleId);
      expect(d).not.toContain(password);
    } finally {
      await runCli(['sync', 'delete', scheduleId]);
    }
  } finally {
    delete process.env.DELTASQL_CATALOGS;
  }
}, 120_000);
