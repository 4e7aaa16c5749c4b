/**
 * Delta Sharing over tables stored in Google Cloud Storage (fake-gcs-server) and Azure Blob
 * (Azurite), end to end as users run it: fixtures are copied into a gs:// bucket and an az://
 * container and imported into a SQLite catalog, `deltasql serve` (the CLI, its own process) serves
 * them, and the real Python `delta-sharing` client reads them through the store's own signed URLs
 * (GCS V4 signed URLs, signed with a throwaway service-account key; Azure service SAS with the
 * account key). Its rows must equal, sorted and exactly, what delta-rs reads from the same bucket
 * (delta-rs reaches the emulators with storage_options), at the latest and a middle version; the
 * deletion-vector table goes through the delta response format, its DV file signed too.
 *
 * What the emulators check: Azurite verifies every SAS (a tampered one is refused, asserted here),
 * fake-gcs-server serves a V4 signed URL without checking its signature or expiry (its download
 * route ignores the X-Goog-* parameters), so the test verifies each GCS signature itself, per
 * Google's V4 algorithm, with the service account's public key (test/storage/stores.ts).
 *
 * The server runs from dist/: `npm run build` first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCatalog } from '../../catalog/open';
import { sha256Hex } from '../../sharing/config';
import { tempDir } from '../catalog/helpers';
import { AZURE_CONNECTION_STRING, GCS_ENDPOINT, fixture } from '../support/env';
import { uploadDir } from '../support/s3';
import {
  createBucket,
  deltaRsOptions,
  storeFor,
  testServiceAccount,
  unique,
  upstreamOf,
  verifyGcsV4,
} from '../storage/stores';
import { importFixture, runOracle, type ImportedTable } from './helpers';

jest.setTimeout(240_000);

const REPO = path.resolve(__dirname, '..', '..');
const KINDS = ['gcs', 'azure'] as const;
type Kind = (typeof KINDS)[number];
const SCHEME: Record<Kind, string> = { gcs: 'gs', azure: 'az' };
/** The signature parameter of each store's signed URL. */
const SIGNATURE: Record<Kind, string> = { gcs: 'X-Goog-Signature', azure: 'sig' };
/**
 * Plain parquet, a checkpointed history, partitions, and deletion vectors (delta format only), with
 * where delta-rs reads its reference rows: from the emulator, or from the local fixture where
 * delta-rs cannot read the emulator's copy:
 * - table-with-dv-small: delta-rs 1.6 has no deletion vectors (the oracle's delta-kernel-rs
 *   fallback reads local tables only);
 * - simple_table: its log holds a stray `_delta_log/.tmp/00000000000000000005.json`. delta-rs
 *   lists the log from the first version with `start-after` (GCS XML API) / `startFrom` (Azure),
 *   which fake-gcs-server 1.56 and Azurite 3.35 ignore; the `.tmp` key sorts first, delta-kernel
 *   takes it for version 5 and stops before the asked version ("No files in log segment").
 */
const FIXTURES: Record<string, 'emulator' | 'local'> = {
  'delta-rs/simple_table': 'local',
  'delta-rs/simple_table_with_checkpoint': 'emulator',
  'delta-rs/delta-0.8.0-partitioned': 'emulator',
  'delta-rs/table-with-dv-small': 'local',
};

interface Table extends ImportedTable {
  kind: Kind;
  uri: string;
  /** The fixture, relative to fixtures/delta. */
  source: string;
}

const dir = tempDir('deltasql-share-cloud-');
const SIGNER = testServiceAccount();
const token = `tok-${Math.random().toString(36).slice(2)}-${Date.now()}`;
const tables: Table[] = [];
const saved = { ...process.env };
let server: ChildProcess | undefined;
let serverLog = '';
let endpoint = '';
let profile = '';

/** `deltasql serve` on a free port; resolves with its endpoint once it prints it. */
async function startServer(catalog: string, shares: string, env: NodeJS.ProcessEnv): Promise<string> {
  const cli = path.join(REPO, 'bin', 'deltasql.js');
  if (!fs.existsSync(path.join(REPO, 'dist', 'client', 'cli.js')))
    throw new Error('run `npm run build` first');
  const child = spawn(
    process.execPath,
    [cli, 'serve', '--catalog', catalog, '--shares', shares, '--port', '0'],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  server = child;
  child.stderr.on('data', (d: Buffer) => (serverLog += d.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${serverLog}`)), 60_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving Delta Sharing at (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited ${code}: ${serverLog}`));
    });
  });
}

/** The file lines of one query answer (parquet format unless `delta`). */
async function query(name: string, delta = false): Promise<{ url: string; size: number }[]> {
  const r = await fetch(`${endpoint}/shares/fx/schemas/default/tables/${name}/query`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...(delta ? { 'delta-sharing-capabilities': 'responseformat=delta' } : {}),
    },
    body: '{}',
  });
  expect([name, r.status]).toEqual([name, 200]);
  return (await r.text())
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { file?: { url?: string; size?: number; deltaSingleAction?: unknown } })
    .flatMap((l) => {
      if (!l.file) return [];
      if (l.file.url !== undefined) return [{ url: l.file.url, size: l.file.size ?? -1 }];
      const add = (l.file.deltaSingleAction as { add: { path: string; size: number } }).add;
      return [{ url: add.path, size: add.size }];
    });
}

beforeAll(async () => {
  // A throwaway service-account key: GCS V4 URLs are signed locally with it (never sent anywhere).
  const key = SIGNER.keyFile(dir);
  const env = {
    GOOGLE_APPLICATION_CREDENTIALS: key,
    STORAGE_EMULATOR_HOST: GCS_ENDPOINT,
    AZURE_STORAGE_CONNECTION_STRING: AZURE_CONNECTION_STRING,
  };
  Object.assign(process.env, env);

  const db = `sqlite:///${path.join(dir, 'catalog.db')}`;
  const catalog = await openCatalog(db);
  try {
    for (const kind of KINDS) {
      const bucket = unique(`share-${kind}`);
      await createBucket(kind, bucket);
      for (const rel of Object.keys(FIXTURES)) {
        const prefix = `lake/${path.basename(rel)}`;
        await uploadDir(storeFor(kind, bucket, prefix), fixture(rel));
        const uri = `${SCHEME[kind]}://${bucket}/${prefix}`;
        const t = await importFixture(catalog, `${kind}/${rel}`, uri);
        if (!t) throw new Error(`cannot import ${uri}`);
        tables.push({ ...t, kind, uri, source: rel });
      }
    }
  } finally {
    await catalog.close();
  }
  const shares = path.join(dir, 'shares.yaml');
  fs.writeFileSync(
    shares,
    [
      'shares:',
      '  - name: fx',
      '    schemas:',
      '      - name: default',
      '        tables:',
      ...tables.flatMap((t) => [`          - name: ${t.name}`, `            table: ${t.name}`]),
      'tokens:',
      '  - name: tester',
      `    hashSha256: ${sha256Hex(token)}`,
      '    shares: [fx]',
    ].join('\n'),
  );
  endpoint = await startServer(db, shares, { ...saved, ...env });
  profile = path.join(dir, 'profile.share');
  fs.writeFileSync(profile, JSON.stringify({ shareCredentialsVersion: 1, endpoint, bearerToken: token }));
});

afterAll(async () => {
  process.env = saved;
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server?.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
});

test("file URLs are the store's own signed URLs, pointing at the emulator", async () => {
  for (const t of tables) {
    const delta = t.rel.endsWith('dv-small');
    const files = await query(t.name, delta);
    expect([t.name, files.length > 0]).toEqual([t.name, true]);
    for (const f of files) {
      const url = new URL(f.url);
      expect([t.name, url.origin, url.searchParams.has(SIGNATURE[t.kind])]).toEqual([
        t.name,
        new URL(upstreamOf(t.kind)).origin,
        true,
      ]);
      if (t.kind === 'gcs') {
        expect(url.searchParams.get('X-Goog-Algorithm')).toBe('GOOG4-RSA-SHA256');
        expect(url.searchParams.get('X-Goog-Expires')).toBe('900');
        expect(url.searchParams.get('X-Goog-Signature')).toMatch(/^[0-9a-f]{512}$/);
        // Signed by the server with the service account's key, per Google's V4 algorithm.
        expect([f.url, verifyGcsV4(f.url, SIGNER.publicKey)]).toEqual([f.url, true]);
      } else {
        expect([url.searchParams.get('sp'), url.searchParams.get('sr')]).toEqual(['r', 'b']);
        expect(url.searchParams.get('se')).toBeTruthy();
      }
    }
  }
});

test('Azurite refuses a tampered SAS from the server', async () => {
  const t = tables.find((x) => x.kind === 'azure' && x.rel.endsWith('simple_table'));
  const url = new URL((await query(t?.name ?? ''))[0].url);
  expect((await fetch(url)).status).toBe(200);
  url.searchParams.set('sp', 'rw');
  expect((await fetch(url)).status).toBe(403);
});

test('the Python delta-sharing client reads the same rows as delta-rs from the emulator', async () => {
  const options = { gcs: deltaRsOptions('gcs', dir), azure: deltaRsOptions('azure', dir) };
  const id = (t: Table, v: number): string => `${t.kind}:${t.source}@${v}`;
  const checks = tables.flatMap((t) => {
    const mid = t.first + Math.floor((t.latest - t.first) / 2);
    const emulator = FIXTURES[t.source] === 'emulator';
    return [...new Set([t.latest, mid])].map((v) => ({
      id: id(t, v),
      kind: 'rows',
      url: `${profile}#fx.default.${t.name}`,
      path: emulator ? t.uri : fixture(t.source),
      ...(emulator ? { storageOptions: options[t.kind] } : {}),
      version: v,
    }));
  });
  expect(checks).toHaveLength(14); // delta-0.8.0-partitioned has one version
  const results = await runOracle(checks, dir);
  expect(
    checks.map((c) => [
      c.id,
      results.get(c.id)?.ok,
      results.get(c.id)?.error ?? results.get(c.id)?.detail ?? null,
    ]),
  ).toEqual(checks.map((c) => [c.id, true, null]));
  // Every table has rows at its latest version (an empty comparison proves nothing).
  for (const t of tables)
    expect([t.name, (results.get(id(t, t.latest))?.rows ?? 0) > 0]).toEqual([t.name, true]);
});

test('the access log holds neither the token nor a signature', () => {
  expect(serverLog.length).toBeGreaterThan(0);
  expect(serverLog).not.toContain(token);
  expect(serverLog).not.toMatch(/X-Goog-Signature|[?&]sig=|X-Goog-Credential/);
});
