/**
 * Sharing test plumbing: fixtures written into a SQLite catalog in-process (the same library calls
 * the import activities make, without a workflow), a server with a generated shares file on a free
 * port, the client profile, and the Python oracle run once per test file with a batch of checks.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { openCatalog } from '../../catalog/open';
import type { SqlCatalogStore } from '../../catalog/sql-catalog';
import { parseShares, sha256Hex } from '../../sharing/config';
import { buildSharingServer, type AccessLogEntry } from '../../sharing/server';
import { loadHistory, tempDir } from '../catalog/helpers';
import { VENV_PYTHON } from '../support/python';

export const ORACLE = path.join(__dirname, 'oracle.py');

export interface ImportedTable {
  rel: string;
  /** Name in the catalog and in the share (letters, digits, _). */
  name: string;
  root: string;
  first: number;
  latest: number;
}

/** Fixtures left out of the row-by-row comparisons, with the reason. */
export const TOO_LARGE: Record<string, string> = {
  'delta-rs/COVID-19_NYT': 'over a million rows: a canonical row comparison alone takes a minute',
  'golden/parquet-decimal-dictionaries': 'one million rows',
  'golden/parquet-decimal-dictionaries-v2': 'one million rows',
  'golden/parquet-decimal-type': 'hundreds of thousands of rows',
};

/** Fixtures neither delta-rs nor delta-kernel-rs can read (so nothing to compare), with the reason. */
export const ORACLE_CANNOT_READ: Record<string, string> = {
  'delta-rs/checkpoint_with_partitions': 'data files of that version were deleted from the fixture',
  'delta-rs/checkpoints': 'data files of that version were deleted from the fixture',
  'delta-rs/checkpoints_vacuumed': 'vacuumed: data files are gone',
  'delta-rs/latest_not_checkpointed': 'data files were deleted from the fixture',
  'delta-rs/with_checkpoint_no_last_checkpoint': 'data files were deleted from the fixture',
  'delta-rs/spark-variant-stable-feature-checkpoint': 'the variantType reader feature is unsupported by both',
  'golden/data-reader-absolute-paths-escaped-chars': 'absolute data paths outside the fixture',
  'golden/parquet-decimal-dictionaries-v1': 'the data file is not in the fixture',
};

export const shareName = (rel: string): string => rel.replace(/[^A-Za-z0-9_]/g, '_');

/** Write a fixture's whole readable history into the catalog; null when the log reader refuses it. */
export async function importFixture(
  store: SqlCatalogStore,
  rel: string,
  root: string,
): Promise<ImportedTable | null> {
  let h;
  try {
    h = await loadHistory(root);
  } catch {
    return null;
  }
  const name = shareName(rel);
  const t = await store.ensureTable({ location: root, name });
  if (h.baseline) await store.writeBaseline(t.tableId, h.baseline, h.baseline.actions());
  for (let i = 0; i < h.commits.length; i += 50)
    await store.writeVersions(t.tableId, h.commits.slice(i, i + 50));
  return { rel, name, root, first: h.first, latest: h.latest };
}

export async function testCatalog(): Promise<{ store: SqlCatalogStore; dir: string }> {
  const dir = tempDir('deltasql-share-');
  return { store: await openCatalog(`sqlite:///${path.join(dir, 'catalog.db')}`), dir };
}

export interface Served {
  app: FastifyInstance;
  store: SqlCatalogStore;
  endpoint: string;
  token: string;
  profile: string;
  log: AccessLogEntry[];
  dir: string;
  close(): Promise<void>;
}

/** A server sharing `tables` as share `fx`, schema `default`; plus an ungranted share `secret`. */
export async function serve(
  tables: readonly string[],
  opts: {
    urlTtlSeconds?: number;
    store?: SqlCatalogStore;
    dir?: string;
    filePageRows?: number;
    responseCacheBytes?: number;
    answerDir?: string;
    answerDirBytes?: number;
    prewarmIntervalMs?: number;
  } = {},
): Promise<Served> {
  const dir = opts.dir ?? tempDir('deltasql-share-');
  const store = opts.store ?? (await openCatalog(`sqlite:///${path.join(dir, 'catalog.db')}`));
  const token = `tok-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  const yaml = [
    'shares:',
    '  - name: fx',
    '    schemas:',
    '      - name: default',
    '        tables:',
    ...tables.flatMap((t) => [`          - name: ${t}`, `            table: ${t}`]),
    '  - name: secret',
    '    schemas:',
    '      - name: default',
    '        tables:',
    ...tables.slice(0, 1).flatMap((t) => [`          - name: ${t}`, `            table: ${t}`]),
    'tokens:',
    '  - name: tester',
    `    hashSha256: ${sha256Hex(token)}`,
    '    shares: [fx]',
  ].join('\n');
  const log: AccessLogEntry[] = [];
  const app = await buildSharingServer({
    store,
    shares: parseShares(yaml),
    basePath: '/delta-sharing',
    urlTtlSeconds: opts.urlTtlSeconds,
    filePageRows: opts.filePageRows,
    responseCacheBytes: opts.responseCacheBytes,
    answerDir: opts.answerDir,
    answerDirBytes: opts.answerDirBytes,
    prewarmIntervalMs: opts.prewarmIntervalMs,
    accessLog: (e) => log.push(e),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const endpoint = `http://127.0.0.1:${port}/delta-sharing`;
  const profile = path.join(dir, 'profile.share');
  fs.writeFileSync(profile, JSON.stringify({ shareCredentialsVersion: 1, endpoint, bearerToken: token }));
  return {
    app,
    store,
    endpoint,
    token,
    profile,
    log,
    dir,
    close: async () => {
      await app.close();
      if (!opts.store) await store.close();
    },
  };
}

export interface OracleResult {
  id: string;
  ok: boolean;
  error?: string;
  rows?: number;
  detail?: string;
  ms?: number;
}

/**
 * Run the Python oracle over a batch of checks. It is synchronous on purpose: the server under
 * test runs in this process, so it is started in a worker-free way: `spawn` + await instead.
 */
export async function runOracle(checks: object[], dir: string): Promise<Map<string, OracleResult>> {
  const job = path.join(dir, `job-${Date.now()}.json`);
  fs.writeFileSync(job, JSON.stringify(checks));
  const { spawn } = await import('node:child_process');
  const child = spawn(VENV_PYTHON, [ORACLE, job], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    if (process.env.DELTASQL_ORACLE_PROGRESS) process.stderr.write(d);
  });
  const code = await new Promise<number | string>((resolve) =>
    child.on('close', (c, signal) => resolve(c ?? `on signal ${signal ?? '?'}`)),
  );
  if (code !== 0) throw new Error(`oracle exited ${code}: ${err.slice(-3000)}`);
  const results = JSON.parse(out.trim().split('\n').pop() ?? '[]') as OracleResult[];
  return new Map(results.map((r) => [r.id, r]));
}

/** For tests that need the oracle without a server (e.g. delta-rs rows only). */
export function runOracleSync(checks: object[], dir: string): Map<string, OracleResult> {
  const job = path.join(dir, `job-${Date.now()}.json`);
  fs.writeFileSync(job, JSON.stringify(checks));
  const r = spawnSync(VENV_PYTHON, [ORACLE, job], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`oracle exited ${r.status}: ${r.stderr.slice(-3000)}`);
  const results = JSON.parse(r.stdout.trim().split('\n').pop() ?? '[]') as OracleResult[];
  return new Map(results.map((x) => [x.id, x]));
}
