/**
 * `scripts/services/X.sh stop` when nothing runs is not an error (issue 14): under
 * `set -euo pipefail` the port lookup used to fail the script with exit 1 when no process
 * listened. The scripts are copied to a temporary root so their state directory (pid files) is
 * empty, and every service is pointed at a port nothing listens on: the shared services that
 * other test files use are never touched.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-scripts-'));

/** A loopback port nothing listens on (bound once to learn it, then released). */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

beforeAll(() => fs.cpSync(path.join(REPO, 'scripts'), path.join(root, 'scripts'), { recursive: true }));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

test.each(['temporal', 'moto', 'mariadb', 'azurite', 'fake-gcs'])(
  '%s.sh stop exits 0 and says "not running" when nothing runs',
  async (service) => {
    const port = await freePort();
    const env = {
      ...process.env,
      DELTASQL_MOTO_PORT: String(port),
      DELTASQL_MARIADB_PORT: String(port),
      DELTASQL_AZURITE_PORT: String(port),
      DELTASQL_FAKE_GCS_PORT: String(port),
    };
    const args = [path.join(root, 'scripts', 'services', `${service}.sh`), 'stop'];
    if (service === 'temporal') args.push('--port', String(port));
    const r = spawnSync('bash', args, { env, encoding: 'utf8', timeout: 30_000 });
    expect({ status: r.status, stderr: r.stderr }).toEqual({
      status: 0,
      stderr: expect.stringMatching(/not running/),
    });
  },
);
