/**
 * The service scripts as a user meets them: `status` succeeds while the services run, and a start
 * that fails names the failing service and its log.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const run = (script: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync('bash', [path.join(ROOT, 'scripts/services', script), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });

/** Like run(), but keeps this process's event loop free (the port blocker must keep accepting). */
function runAsync(script: string, args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [path.join(ROOT, 'scripts/services', script), ...args], { stdio: 'pipe' });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

test.each([
  ['postgres.sh', /^postgres: accepting connections on 127\.0\.0\.1:5432$/m],
  ['moto.sh', /^moto: serving on http:\/\/127\.0\.0\.1:5055$/m],
  ['temporal.sh', /^temporal: SERVING on 127\.0\.0\.1:7233$/m],
])('%s status exits 0 while the service runs', (script, expected) => {
  const r = run(script, ['status']);
  expect({ status: r.status, stdout: r.stdout }).toEqual({
    status: 0,
    stdout: expect.stringMatching(expected),
  });
});

test('status exits 3 for a Temporal port where nothing listens', () => {
  const r = run('temporal.sh', ['status', '--port', '7299']);
  expect(r.status).toBe(3);
  expect(r.stdout).toContain('temporal-7299: not running on 127.0.0.1:7299');
});

test('a failed start names the service and its log', async () => {
  // Hold a loopback port so the Temporal dev server cannot bind it and exits.
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  const db = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-fail-')), 'dev.db');
  try {
    const failed = await runAsync('temporal.sh', ['start', '--port', String(port), '--db-filename', db]);
    const log = path.join(ROOT, `.deltasql/logs/temporal-${port}.log`);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain(
      `error: service "temporal-${port}" failed to start: the server process exited`,
    );
    expect(failed.stderr).toContain(`log: ${log}`);
    expect(fs.readFileSync(log, 'utf8')).toMatch(/address already in use/i);
  } finally {
    blocker.close();
    fs.rmSync(path.join(ROOT, `.deltasql/logs/temporal-${port}.log`), { force: true });
    fs.rmSync(path.join(ROOT, `.deltasql/run/temporal-${port}.pid`), { force: true });
  }
});
