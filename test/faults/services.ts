/**
 * The fault suite's own services, so that restarting them never disturbs the shared ones other
 * test files use: a private PostgreSQL cluster (Debian `pg_createcluster`, created once and
 * reused) and a private Temporal dev server (scripts/services/temporal.sh on its own port and
 * database file). Every command and wait is bounded.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';

const REPO = path.resolve(__dirname, '..', '..');
const CMD_TIMEOUT_MS = 120_000;

/** Run a command with a deadline; rejects with its stderr on failure. */
export function run(cmd: string, args: string[], timeoutMs = CMD_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, cwd: REPO }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

const asRoot = (cmd: string, args: string[]): Promise<string> =>
  process.getuid?.() === 0 ? run(cmd, args) : run('sudo', ['-n', cmd, ...args]);

export async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: not ready after ${timeoutMs} ms`);
}

/** Newest PostgreSQL server version installed (Debian layout /usr/lib/postgresql/N/bin/postgres). */
function serverVersion(): string {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base)
    ? fs.readdirSync(base).filter((v) => fs.existsSync(path.join(base, v, 'bin', 'postgres')))
    : [];
  if (versions.length === 0)
    throw new Error('no PostgreSQL server in /usr/lib/postgresql (run scripts/services/postgres.sh start)');
  return versions.sort((a, b) => Number(a) - Number(b))[versions.length - 1];
}

export interface PgCluster {
  /** `postgresql://postgres@127.0.0.1:PORT/DB` (trust auth on loopback, a private cluster). */
  readonly url: string;
  readonly port: number;
  /** `pg_ctlcluster … restart -m immediate`: every backend dies at once, WAL recovery on start. */
  restartImmediate(): Promise<void>;
  stop(): Promise<void>;
}

const PG_CLUSTER = 'deltasql_faults';
const PG_DB = 'deltasql_faults';

/**
 * Create (once) and start the private cluster, with loopback trust auth so no password is
 * involved, and the database the suite uses. Idempotent: an existing cluster is reused.
 */
export async function startPgCluster(port: number): Promise<PgCluster> {
  const ver = serverVersion();
  if (!fs.existsSync(`/etc/postgresql/${ver}/${PG_CLUSTER}`)) {
    await asRoot('pg_createcluster', [
      ver,
      PG_CLUSTER,
      '--port',
      String(port),
      '--',
      '--auth-host=trust',
      '--auth-local=peer',
    ]);
  }
  const status = await run('pg_lsclusters', ['--no-header', ver, PG_CLUSTER]);
  const configuredPort = Number(status.trim().split(/\s+/)[2]);
  if (configuredPort !== port)
    throw new Error(`cluster ${ver}/${PG_CLUSTER} listens on ${configuredPort}, not ${port}`);
  if (!/\bonline\b/.test(status)) await asRoot('pg_ctlcluster', [ver, PG_CLUSTER, 'start']);
  const admin = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  await waitFor(`PostgreSQL ${ver}/${PG_CLUSTER}`, 30_000, () => canQuery(admin));
  await withClient(admin, async (c) => {
    const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [PG_DB]);
    if (r.rowCount === 0) await c.query(`CREATE DATABASE ${PG_DB}`);
  });
  const url = `postgresql://postgres@127.0.0.1:${port}/${PG_DB}`;
  return {
    url,
    port,
    async restartImmediate() {
      await asRoot('pg_ctlcluster', [ver, PG_CLUSTER, 'restart', '-m', 'immediate']);
    },
    async stop() {
      await asRoot('pg_ctlcluster', [ver, PG_CLUSTER, 'stop', '-m', 'fast']);
    },
  };
}

export async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function canQuery(url: string): Promise<boolean> {
  return withClient(url, async (c) => (await c.query('SELECT 1')).rowCount === 1);
}

export interface TemporalServer {
  readonly address: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A private dev server on `port` (UI on port+1000) with a fresh database file: no workflow from
 * an earlier, interrupted run of the suite can be attached to.
 */
export async function startTemporalServer(port: number): Promise<TemporalServer> {
  const script = path.join(REPO, 'scripts', 'services', 'temporal.sh');
  const db = path.join(REPO, '.deltasql', 'temporal', `faults-${port}.db`);
  const args = ['--port', String(port), '--db-filename', db];
  const stop = async (): Promise<void> => {
    await run('bash', [script, 'stop', ...args]);
  };
  await stop();
  for (const f of [db, `${db}-shm`, `${db}-wal`]) fs.rmSync(f, { force: true });
  await run('bash', [script, 'start', ...args]);
  return {
    address: `127.0.0.1:${port}`,
    async restart() {
      await stop();
      await run('bash', [script, 'start', ...args]);
    },
    stop,
  };
}
