/**
 * The CLI's in-process worker never writes its log objects (the SDK's `[WARN] Activity failed {…}`)
 * to the user's terminal: they go to DELTASQL_HOME/logs/worker.log, named at the end. This file
 * installs no Temporal runtime of its own, so the CLI's is the one in force.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fixture, PG_URL, TEMPORAL_ADDRESS } from '../support/env';
import { runCli } from '../support/run-cli';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-wlog-'));
const saved = { ...process.env };

beforeAll(() => {
  Object.assign(process.env, {
    TEMPORAL_ADDRESS,
    DELTASQL_TASK_QUEUE: `wlog-${path.basename(tmp)}`,
    DELTASQL_HOME: tmp,
  });
});

afterAll(() => {
  process.env = saved;
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('worker warnings go to the log file, the terminal gets the waiting line and one error', async () => {
  const u = new URL(PG_URL);
  u.password = '';
  u.port = '1';
  const r = await runCli([
    'import',
    fixture('delta-rs/simple_table'),
    '--catalog',
    u.href,
    '--in-process-worker',
    '--catalog-timeout',
    '4s',
  ]);
  expect(r.code).toBe(1);
  const log = path.join(tmp, 'logs', 'worker.log');
  const lines = r.stderr.trim().split('\n');
  expect(
    lines.filter((l) => !/^(Started import|Temporal UI|planning…|waiting for catalog )/.test(l)),
  ).toEqual([
    `worker log: ${log}`,
    expect.stringMatching(/^error: CatalogUnavailable: gave up after 4s: cannot connect to catalog /),
  ]);
  const entries = fs
    .readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { level: string; message: string });
  expect(entries.some((e) => e.level === 'WARN' && e.message === 'Activity failed')).toBe(true);
}, 90_000);
