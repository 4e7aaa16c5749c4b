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
 * The product's own chain runs too: with only AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_ENDPOINT set
 * (no connection string, key or SAS), `openStore('az://…')` falls through to @azure/identity's
 * DefaultAzureCredential, which finds a managed identity (App Service's IDENTITY_ENDPOINT and
 * IDENTITY_HEADER) and fetches its token over MSAL's real HTTP protocol; the store writes a fixture
 * table with it and signs user-delegation URLs, and the CLI (`deltasql validate`) reads the table
 * in its own process through the same chain.
 *
 * What is not real here: the token. Azurite's basic OAuth checks a token's issuer, audience and
 * lifetime but not its signature, so the custom credential, and the managed-identity endpoint this
 * file runs in place of Azure's, hand out an unsigned JWT with Entra ID's claims. A token signed
 * by Entra ID itself (a tenant, a service principal or a real managed identity) needs a network
 * and a tenant, and is not exercised.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../catalog/helpers';
import { fixture } from '../support/env';
import { filesUnder } from '../support/s3';

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

/**
 * The second child: nothing but the environment. openStore → AzureStore → DefaultAzureCredential
 * (managed identity). It uploads the fixture table, signs a URL for its first data file with a
 * user delegation key, and fetches it (and a tampered copy).
 */
const DAC_CHILD = `
const fs = require('node:fs');
const path = require('node:path');
const { openStore } = require(process.env.URI_JS);
const { dir, files, table } = JSON.parse(process.env.ARGS);
(async () => {
  const store = openStore(table);
  for (const f of files) await store.put(f, fs.readFileSync(path.join(dir, f)));
  const data = files.find((f) => f.endsWith('.parquet'));
  const url = await store.signedUrl(data, 600);
  const res = await fetch(url);
  const same = Buffer.from(await res.arrayBuffer()).equals(fs.readFileSync(path.join(dir, data)));
  const widened = new URL(url);
  widened.searchParams.set('sp', 'rw');
  const out = { credential: store.service.credential.constructor.name, url, status: res.status, same,
    widened: (await fetch(widened)).status };
  process.stdout.write(JSON.stringify(out) + '\\n');
})().catch((e) => { process.stderr.write(String((e && e.stack) || e)); process.exit(1); });
`;

interface DacResult {
  credential: string;
  url: string;
  status: number;
  same: boolean;
  widened: number;
}

/** An unsigned JWT with the claims Azurite's basic OAuth checks (issuer, audience, lifetime). */
function entraShapedToken(): { token: string; expiresOn: number } {
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    aud: 'https://storage.azure.com',
    iss: `https://sts.windows.net/${TENANT}/`,
    iat: now - 60,
    nbf: now - 60,
    exp: now + 3600,
    oid: OID,
    tid: TENANT,
  };
  return { token: `${part({ typ: 'JWT', alg: 'none' })}.${part(claims)}.`, expiresOn: now + 3600 };
}

/**
 * Stands in for App Service's managed-identity endpoint (the protocol MSAL speaks: GET with
 * api-version and resource, the secret in X-IDENTITY-HEADER). Records what it was asked.
 */
async function startIdentityEndpoint(
  secret: string,
): Promise<{ url: string; asked: { resource: string | null; secretOk: boolean }[]; close(): void }> {
  const asked: { resource: string | null; secretOk: boolean }[] = [];
  const server = http.createServer((req, res) => {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const secretOk = req.headers['x-identity-header'] === secret;
    asked.push({ resource: q.get('resource'), secretOk });
    if (!secretOk) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
      return;
    }
    const { token, expiresOn } = entraShapedToken();
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        access_token: token,
        expires_on: String(expiresOn),
        resource: q.get('resource'),
        token_type: 'Bearer',
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}/msi/token`, asked, close: () => server.close() };
}

/** Run node with `args` in the DefaultAzureCredential environment; resolves stdout (or rejects). */
function runNode(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, args, { cwd: REPO, timeout: 60_000, env }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
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
let dacEnv: NodeJS.ProcessEnv;
let identity: Awaited<ReturnType<typeof startIdentityEndpoint>> | undefined;

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

  const secret = randomBytes(16).toString('hex');
  identity = await startIdentityEndpoint(secret);
  // Only what a deployment on a managed identity has: the account, its endpoint, the identity.
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(AZURE_|MSI_|IDENTITY_|IMDS_)/.test(k)),
  );
  dacEnv = {
    ...base,
    AZURE_STORAGE_ACCOUNT: 'devstoreaccount1',
    AZURE_STORAGE_ENDPOINT: args.endpoint,
    IDENTITY_ENDPOINT: identity.url,
    IDENTITY_HEADER: secret,
    NODE_EXTRA_CA_CERTS: cert,
  };
});

afterAll(async () => {
  identity?.close();
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

describe("DefaultAzureCredential (managed identity), the store's last resort, end to end", () => {
  const src = fixture('delta-rs/simple_table_with_checkpoint');
  const table = 'az://shared/lake/dac';

  test('openStore writes the table with its token and signs a user-delegation URL Azurite honours', async () => {
    const r = await runNode(['-e', DAC_CHILD], {
      ...dacEnv,
      URI_JS: path.join(REPO, 'dist', 'storage', 'uri.js'),
      ARGS: JSON.stringify({ dir: src, files: filesUnder(src), table }),
    });
    expect([r.code, r.stderr]).toEqual([0, '']);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as DacResult;
    expect(out.credential).toBe('DefaultAzureCredential');
    expect([out.status, out.same, out.widened]).toEqual([200, true, 403]);
    const q = new URL(out.url).searchParams;
    expect([q.get('skoid'), q.get('sktid'), q.get('sp')]).toEqual([OID, TENANT, 'r']);
    // MSAL asked the identity endpoint for Azure Storage, with the secret header.
    expect(identity?.asked.length).toBeGreaterThan(0);
    expect(new Set(identity?.asked.map((a) => JSON.stringify(a)))).toEqual(
      new Set([JSON.stringify({ resource: 'https://storage.azure.com', secretOk: true })]),
    );
  });

  test('the CLI in its own process reads the table through the same chain; with no identity, a typed error', async () => {
    const cli = path.join(REPO, 'bin', 'deltasql.js');
    const before = identity?.asked.length ?? 0;
    const v = await runNode([cli, 'validate', table, '--format', 'json'], dacEnv);
    expect([v.code, v.stderr]).toEqual([0, '']);
    expect(JSON.parse(v.stdout)).toMatchObject({ healthy: true });
    expect((identity?.asked.length ?? 0) - before).toBeGreaterThan(0); // its own token
    // Without the identity the chain has nothing left: a typed error, exit 1, no secret repeated.
    const { IDENTITY_ENDPOINT: _e, IDENTITY_HEADER: secret, ...none } = dacEnv;
    const n = await runNode([cli, 'validate', table, '--format', 'json'], none);
    expect(n.code).toBe(1);
    expect(`${n.stdout}${n.stderr}`).not.toContain(secret ?? '');
    // Nothing left in the chain is "credentials refused": no retry, a hint, no secret repeated.
    expect(JSON.parse(n.stdout).error).toEqual({
      type: 'StorageError',
      message: expect.stringContaining('AggregateAuthenticationError (no usable credential'),
    });
  });
});
