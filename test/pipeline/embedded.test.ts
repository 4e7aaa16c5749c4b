/**
 * The embedded default that quickstart relies on: with TEMPORAL_ADDRESS unset and nothing on the
 * dev-server port, `deltasql import` starts a persisted dev server itself, runs an in-process
 * worker, and imports into the SQLite catalog. (A spare port keeps the shared dev server alone.)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fixture } from '../support/env';

const REPO = path.resolve(__dirname, '..', '..');
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-embedded-'));
const PORT = 7266;

afterAll(() => {
  const pidFile = path.join(home, 'temporal', 'dev-server.pid');
  if (fs.existsSync(pidFile)) {
    try {
      process.kill(Number(fs.readFileSync(pidFile, 'utf8')), 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  fs.rmSync(home, { recursive: true, force: true });
});

test('import with no TEMPORAL_ADDRESS starts a dev server and an in-process worker', () => {
  if (!fs.existsSync(path.join(REPO, 'dist', 'client', 'cli.js')))
    throw new Error('run `npm run build` first (dist/ is missing)');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DELTASQL_HOME: home,
    DELTASQL_DEV_PORT: String(PORT),
    DELTASQL_DEV_UI_PORT: String(PORT + 1),
  };
  delete env.TEMPORAL_ADDRESS;
  delete env.DELTASQL_TASK_QUEUE;
  const r = spawnSync(
    process.execPath,
    [path.join(REPO, 'bin', 'deltasql.js'), 'import', fixture('delta-rs/simple_table'), '--format', 'json'],
    {
      cwd: home,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out).toMatchObject({ name: 'simple_table', versionsImported: 5, validation: { passed: true } });
  expect(out.uiLink).toMatch(new RegExp(`^http://localhost:${PORT + 1}/namespaces/default/workflows/`));
  // default catalog sqlite:///./deltasql.db, persisted dev-server state under DELTASQL_HOME
  expect(fs.existsSync(path.join(home, 'deltasql.db'))).toBe(true);
  expect(fs.existsSync(path.join(home, 'temporal', 'dev.db'))).toBe(true);
}, 150_000);
