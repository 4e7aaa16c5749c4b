/**
 * Failure behaviour of the cloud stores, against the real emulators behind a real HTTP fault
 * proxy: throttling and 5xx answers are retried with bounded backoff (the proxy counts the tries),
 * a Retry-After on the answer sets the wait (capped at the policy's maxDelayMs),
 * a store that keeps failing gives up after the policy's attempts with a retryable StorageError,
 * and refused credentials (403, or a wrong Azure account key) are a non-retryable StorageError
 * with `permissionDenied: true` that names the object and never the secret.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ObjectMeta, ObjectStore } from '../../storage/object-store';
import type { RetryPolicy } from '../../storage/retry';
import { StorageError } from '../../storage/storage-error';
import { startFaultProxy, type FaultProxy } from './fault-proxy';
import { CLOUD_KINDS, createBucket, storeFor, unique, upstreamOf, type StoreKind } from './stores';

const POLICY: RetryPolicy = { attempts: 4, baseDelayMs: 20, maxDelayMs: 100 };
/** Tiny backoff, but room for a server's Retry-After up to 1.5 s. */
const PATIENT: RetryPolicy = { attempts: 3, baseDelayMs: 10, maxDelayMs: 1500 };

async function caught(p: Promise<unknown>): Promise<StorageError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StorageError) return e;
    throw e;
  }
  throw new Error('expected a StorageError');
}

async function listAll(it: AsyncIterable<ObjectMeta>): Promise<string[]> {
  const out: string[] = [];
  for await (const m of it) out.push(m.path);
  return out;
}

describe.each(CLOUD_KINDS)('%s store behind a fault proxy', (kind: StoreKind) => {
  const bucket = unique(`fault-${kind}`);
  let proxy: FaultProxy;
  let direct: ObjectStore;
  let viaProxy: ObjectStore;

  beforeAll(async () => {
    await createBucket(kind, bucket);
    proxy = await startFaultProxy(upstreamOf(kind));
    direct = storeFor(kind, bucket, 't');
    viaProxy = storeFor(kind, bucket, 't', { endpoint: proxy.url, retry: POLICY, pageSize: 2 });
    for (const k of ['k1', 'k2', 'k3', 'k4', 'k5']) await direct.put(k, `v-${k}`);
  });
  afterAll(() => proxy.close());
  beforeEach(() => proxy.reset());

  test('the proxy forwards untouched when no fault is planned', async () => {
    expect((await viaProxy.get('k1')).toString()).toBe('v-k1');
    expect(proxy.requests).toBe(1);
  });

  test('503 twice, then success: get, head and getRange retry', async () => {
    proxy.failNext(2, 503);
    expect((await viaProxy.get('k2')).toString()).toBe('v-k2');
    expect(proxy.requests).toBe(3);
    proxy.reset();
    proxy.failNext(1, 502);
    expect((await viaProxy.head('k2'))?.size).toBe(4);
    expect(proxy.requests).toBe(2);
    proxy.reset();
    proxy.failNext(1, 500);
    expect((await viaProxy.getRange?.('k2', 2, 4))?.toString()).toBe('k2');
    expect(proxy.requests).toBe(2);
  });

  test('429 three times, then success: putIfAbsent retries and creates once', async () => {
    proxy.failNext(3, 429);
    expect(await viaProxy.putIfAbsent('_delta_log/0.json', 'commit-0')).toBe(true);
    expect(proxy.requests).toBe(4);
    proxy.reset();
    expect(await viaProxy.putIfAbsent('_delta_log/0.json', 'other')).toBe(false);
    expect(proxy.requests).toBe(1);
    expect((await direct.get('_delta_log/0.json')).toString()).toBe('commit-0');
  });

  test('a failed page in the middle of a listing is retried, nothing lost or doubled', async () => {
    proxy.failNext(2, 503, 1);
    expect(await listAll(viaProxy.list('k'))).toEqual(['k1', 'k2', 'k3', 'k4', 'k5']);
    expect(proxy.requests).toBe(5); // 3 pages + 2 retries
    proxy.reset();
    proxy.failNext(1, 504, 1);
    expect(await listAll(viaProxy.list('k', { startAfter: 'k1' }))).toEqual(['k2', 'k3', 'k4', 'k5']);
  });

  test('Retry-After (429, 503) sets the wait, capped at the policy maxDelayMs', async () => {
    const store = storeFor(kind, bucket, 't', { endpoint: proxy.url, retry: PATIENT });
    const timed = async (op: () => Promise<unknown>): Promise<number> => {
      const t0 = Date.now();
      await op();
      return Date.now() - t0;
    };
    // Without the header the backoff is at most 10 ms; with it, the server's second.
    proxy.failNext(1, 429);
    expect(await timed(() => store.get('k1'))).toBeLessThan(500);
    proxy.reset();
    proxy.failNext(1, 429, 0, { 'Retry-After': '1' });
    const waited = await timed(() => store.get('k1'));
    expect([proxy.requests, waited]).toEqual([2, expect.any(Number)]);
    expect(waited).toBeGreaterThanOrEqual(990);
    expect(waited).toBeLessThan(PATIENT.maxDelayMs);
    // A minute asked for is the policy's 1.5 s; the retried write lands once.
    proxy.reset();
    proxy.failNext(1, 503, 0, { 'Retry-After': '60' });
    const capped = await timed(() => store.putIfAbsent('_delta_log/ra.json', 'after-wait'));
    expect(proxy.requests).toBe(2);
    expect(capped).toBeGreaterThanOrEqual(PATIENT.maxDelayMs - 10);
    expect(capped).toBeLessThan(PATIENT.maxDelayMs + 1500);
    expect((await direct.get('_delta_log/ra.json')).toString()).toBe('after-wait');
  });

  test('a store that keeps failing gives up after the policy attempts, quickly', async () => {
    proxy.failAll(503);
    const t0 = Date.now();
    const e = await caught(viaProxy.get('k3'));
    const elapsed = Date.now() - t0;
    expect(proxy.requests).toBe(POLICY.attempts);
    expect(elapsed).toBeLessThan(2000);
    expect([e.notFound, e.permissionDenied, e.retryable]).toEqual([false, false, true]);
    expect(e.message).toContain('503');
    expect(e.file).toContain('k3');
  });

  test('403: a typed permission error, not retried', async () => {
    proxy.failAll(403);
    for (const op of [viaProxy.get('k4'), viaProxy.put('k4', 'x'), viaProxy.putIfAbsent('new', 'x')]) {
      const e = await caught(op);
      expect([e.type, e.notFound, e.permissionDenied, e.retryable]).toEqual([
        'StorageError',
        false,
        true,
        false,
      ]);
    }
    expect(proxy.requests).toBe(3);
    proxy.reset();
    expect((await viaProxy.get('k4')).toString()).toBe('v-k4');
  });
});

test('azure: a wrong account key is a permission error that does not leak the key', async () => {
  const bucket = unique('fault-azkey');
  await createBucket('azure', bucket);
  await storeFor('azure', bucket, 't').put('x', 'y');
  const wrongKey = Buffer.from('not-the-key-'.repeat(6)).toString('base64');
  const store = storeFor('azure', bucket, 't', { azureKey: wrongKey, retry: POLICY });
  for (const op of [store.get('x'), store.put('x', 'z'), store.putIfAbsent('n', 'z')]) {
    const e = await caught(op);
    expect([e.notFound, e.permissionDenied, e.retryable]).toEqual([false, true, false]);
    expect(e.message).not.toContain(wrongKey);
    expect(e.message).toMatch(/Azure \w+ failed for az:\/\/.*: \w+ \(HTTP 403\)/);
  }
});

/**
 * Local disk: a folder the process may not enter. Root may enter any folder, so as root the
 * store runs in a child as `nobody` (the compiled dist/storage: `npm run build` first).
 */
test('local: a folder it may not read or write is a typed permission error, not retried', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-denied-'));
  fs.mkdirSync(path.join(dir, 't'));
  fs.writeFileSync(path.join(dir, 't', 'x'), 'secret bytes');
  fs.chmodSync(path.join(dir, 't'), 0o000);
  const child = `
const { LocalStore } = require(process.env.STORE_JS);
const s = new LocalStore(process.env.DIR);
const ops = { get: () => s.get('x'), head: () => s.head('x'), put: () => s.put('y', 'b'),
  putIfAbsent: () => s.putIfAbsent('z', 'b'), list: async () => { for await (const _ of s.list('')); } };
(async () => {
  const out = {};
  for (const [op, f] of Object.entries(ops))
    out[op] = await f().then(() => null, (e) => [e.type, e.permissionDenied, e.retryable, e.notFound]);
  process.stdout.write(JSON.stringify(out));
})();`;
  try {
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const out = execFileSync(process.execPath, ['-e', child], {
      ...asNobody,
      cwd: os.tmpdir(),
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        STORE_JS: path.resolve(__dirname, '../../dist/storage/local-store.js'),
        DIR: path.join(dir, 't'),
      },
    });
    const denied = ['StorageError', true, false, false];
    expect(JSON.parse(out)).toEqual({
      get: denied,
      head: denied,
      put: denied,
      putIfAbsent: denied,
      list: denied,
    });
  } finally {
    fs.chmodSync(path.join(dir, 't'), 0o755);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
