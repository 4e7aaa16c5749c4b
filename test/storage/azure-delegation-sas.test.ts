/**
 * Azure signing without an account key: a user-delegation SAS. This file starts its own Azurite
 * 3.35 (the real emulator, from node_modules) with `--oauth basic` over HTTPS (a throwaway
 * self-signed certificate made with openssl), because Azurite accepts bearer tokens only so.
 * The store holds nothing but a token credential: it creates and reads blobs with bearer tokens,
 * asks the service for a user delegation key and signs read-only URLs with it; Azurite checks
 * those signatures (it recomputes the key), so a plain `fetch` gets the bytes and a tampered or
 * misapplied URL gets 403.
 *
 * The store runs in a child process (the compiled `dist/storage`, so `npm run build` first) that
 * trusts the throwaway certificate through NODE_EXTRA_CA_CERTS; nothing disables TLS checks.
 *
 * What is not real here: the token. Azurite's basic OAuth checks a token's issuer, audience and
 * lifetime but not its signature, so the credential below mints an unsigned JWT with Entra ID's
 * claims. Getting a token from Entra ID itself (DefaultAzureCredential, the store's default when
 * no key or SAS is set) cannot be exercised without an Entra tenant.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../catalog/helpers';

jest.setTimeout(90_000);

const REPO = path.resolve(__dirname, '..', '..');
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const OID = '11059fcc-5514-4800-b5f8-49808b9cfab6';

/**
 * The child: an AzureStore over a BlobServiceClient that holds only a token credential (an
 * Entra-shaped, unsigned JWT for Azure Storage). It writes, reads, signs and fetches, and prints
 * what it saw as one JSON line.
 */
const CHILD = `
const { BlobServiceClient } = require('@azure/storage-blob');
const { AzureStore } = require(process.env.STORE_JS);
const { endpoint, tenant, oid } = JSON.parse(process.env.ARGS);
const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
let tokens = 0;
const credential = {
  async getToken() {
    tokens++;
    const now = Math.floor(Date.now() / 1000);
    const claims = { aud: 'https://storage.azure.com', iss: 'https://sts.windows.net/' + tenant + '/',
      iat: now - 60, nbf: now - 60, exp: now + 3600, oid, tid: tenant };
    return { token: part({ typ: 'JWT', alg: 'none' }) + '.' + part(claims) + '.', expiresOnTimestamp: (now + 3600) * 1000 };
  },
};
let body;
const fetchStatus = async (url) => {
  const res = await fetch(url);
  return { status: res.status, same: Buffer.from(await res.arrayBuffer()).equals(body) };
};
(async () => {
  const service = new BlobServiceClient(endpoint, credential, { retryOptions: { maxTries: 1 } });
  await service.getContainerClient('shared').createIfNotExists();
  const store = new AzureStore({ container: 'shared', prefix: 'lake/t', root: 'az://shared/lake/t' }, service);
  body = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 13) % 256));
  const keys = ['part-00000.parquet', 'p=a b/100%/\u00e9.parquet', 'other.parquet'];
  for (const k of keys) await store.put(k, body);
  const out = { read: (await store.get(keys[0])).equals(body), urls: [], fetched: [] };
  for (const k of keys.slice(0, 2)) {
    const url = await store.signedUrl(k, 600);
    out.urls.push(url);
    out.fetched.push(await fetchStatus(url));
  }
  const widened = new URL(out.urls[0]);
  widened.searchParams.set('sp', 'rw');
  const moved = new URL(out.urls[0]);
  moved.pathname = moved.pathname.replace('part-00000.parquet', 'other.parquet');
  out.widened = (await fetchStatus(widened.toString())).status;
  out.moved = (await fetchStatus(moved.toString())).status;
  out.tooLong = await store.signedUrl(keys[0], 8 * 24 * 3600).then(() => null, (e) => e.type);
  const sasOnly = new AzureStore({ container: 'shared', prefix: 't', root: 'az://shared/t' },
    new BlobServiceClient(endpoint + '?sv=2025-11-05&sig=not-a-real-signature'));
  out.sasOnly = await sasOnly.signedUrl('x', 60).then(() => null, (e) => ({ type: e.type, message: e.message }));
  out.tokens = tokens;
  process.stdout.write(JSON.stringify(out) + '\\n');
})().catch((e) => { process.stderr.write(String((e && e.stack) || e)); process.exit(1); });
`;

interface ChildResult {
  read: boolean;
  urls: string[];
  fetched: { status: number; same: boolean }[];
  widened: number;
  moved: number;
  tooLong: string | null;
  sasOnly: { type: string; message: string } | null;
  tokens: number;
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

let azurite: ChildProcess | undefined;
let result: ChildResult;

beforeAll(async () => {
  const storeJs = path.join(REPO, 'dist', 'storage', 'azure-store.js');
  if (!fs.existsSync(storeJs)) throw new Error('run `npm run build` first');
  const dir = tempDir('deltasql-azurite-oauth-');
  const [cert, key] = [path.join(dir, 'cert.pem'), path.join(dir, 'key.pem')];
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' }); // prettier-ignore
  const port = await freePort();
  azurite = spawn(
    path.join(REPO, 'node_modules', '.bin', 'azurite-blob'),
    ['--blobHost', '127.0.0.1', '--blobPort', String(port), '--inMemoryPersistence', '--oauth', 'basic',
     '--cert', cert, '--key', key, '--skipApiVersionCheck', '--silent'],
    { stdio: 'ignore' },
  ); // prettier-ignore
  // Up when the port accepts connections (Azurite takes a few seconds to start on a busy box).
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await new Promise<boolean>((r) => {
      const sock = net.connect(port, '127.0.0.1', () => r(true)).on('error', () => r(false));
      sock.unref();
      setTimeout(() => sock.destroy(), 1000).unref();
    });
    if (up) break;
    if (Date.now() > deadline || azurite.exitCode !== null) throw new Error('azurite (oauth) did not start');
    await sleep(200);
  }
  const args = { endpoint: `https://127.0.0.1:${port}/devstoreaccount1`, tenant: TENANT, oid: OID };
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ['-e', CHILD],
      {
        cwd: REPO,
        timeout: 60_000,
        env: { ...process.env, STORE_JS: storeJs, ARGS: JSON.stringify(args), NODE_EXTRA_CA_CERTS: cert },
      },
      (err, out, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(out)),
    ),
  );
  result = JSON.parse(stdout.trim().split('\n').pop() ?? '') as ChildResult;
});

afterAll(async () => {
  const child = azurite;
  if (child?.pid !== undefined && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
});

test('token credential only: bearer-token writes and reads, user-delegation URLs that Azurite honours', () => {
  expect(result.read).toBe(true);
  expect(result.fetched).toEqual([
    { status: 200, same: true },
    { status: 200, same: true },
  ]);
  // A user-delegation SAS names the delegating identity and the key it was signed with.
  const [a, b] = result.urls.map((u) => new URL(u).searchParams);
  expect([a.get('skoid'), a.get('sktid'), a.get('sks'), a.get('sp'), a.get('sr'), a.get('sv')]).toEqual([
    OID,
    TENANT,
    'b',
    'r',
    'b',
    '2025-07-05',
  ]);
  // One delegation key signed both URLs (same key start and expiry).
  expect([b.get('skt'), b.get('ske')]).toEqual([a.get('skt'), a.get('ske')]);
  expect(result.tokens).toBeGreaterThan(0);
});

test('Azurite refuses a tampered user-delegation SAS and one moved to another blob (403)', () => {
  expect([result.widened, result.moved]).toEqual([403, 403]);
});

test('a SAS-token store cannot sign (StorageError, token not repeated); over 7 days is InvalidArgument', () => {
  expect(result.sasOnly).toEqual({
    type: 'StorageError',
    message: expect.stringContaining('needs an account key or an Entra ID credential'),
  });
  expect(result.sasOnly?.message).not.toContain('not-a-real-signature');
  expect(result.tooLong).toBe('InvalidArgument');
});
