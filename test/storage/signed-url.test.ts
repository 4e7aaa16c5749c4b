/**
 * `signedUrl` (the Delta Sharing capability) on each cloud store: a plain `fetch` of the URL, with
 * no credentials, returns the object's exact bytes. S3 signs SigV4 (moto), GCS a V4 URL with a
 * service-account key (fake-gcs-server serves it but does not check signatures or expiry, so the
 * test verifies the signature itself, per Google's V4 algorithm), Azure a read-only SAS with the
 * account key (Azurite checks it: a tampered or expired SAS is refused).
 */
import { GcsStore, gcsClient } from '../../storage/gcs-store';
import type { ObjectStore } from '../../storage/object-store';
import { GCS_ENDPOINT } from '../support/env';
import { createBucket, storeFor, testServiceAccount, unique, verifyGcsV4, type StoreKind } from './stores';

const BODY = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));
const KEYS = ['part-00000.parquet', 'p=a b/100%/é.parquet'];

const SIGNER = testServiceAccount();
const SERVICE_ACCOUNT = SIGNER.credentials;

function signingStore(kind: StoreKind, bucket: string): ObjectStore {
  if (kind !== 'gcs') return storeFor(kind, bucket, 'shared/t');
  return new GcsStore(
    { bucket, prefix: 'shared/t' },
    gcsClient({ endpoint: GCS_ENDPOINT, credentials: SERVICE_ACCOUNT }),
  );
}

async function fetchBytes(url: string): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(url);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

describe.each(['s3', 'gcs', 'azure'] as const)('%s signedUrl', (kind) => {
  const bucket = unique(`sign-${kind}`);
  let store: ObjectStore;
  beforeAll(async () => {
    await createBucket(kind, bucket);
    store = signingStore(kind, bucket);
    for (const k of KEYS) await store.put(k, BODY);
  });

  test.each(KEYS)('fetching the URL of %s returns its bytes', async (key) => {
    if (!store.signedUrl) throw new Error(`${kind} store cannot sign`);
    const url = await store.signedUrl(key, 300);
    expect(url).toMatch(/^https?:\/\//);
    const got = await fetchBytes(url);
    expect(got.status).toBe(200);
    expect(got.body.equals(BODY)).toBe(true);
  });
});

test('azure: a tampered or expired SAS is refused (403)', async () => {
  const bucket = unique('sign-az-bad');
  await createBucket('azure', bucket);
  const store = storeFor('azure', bucket, 't');
  await store.put('f', BODY);
  const sign = store.signedUrl?.bind(store);
  if (!sign) throw new Error('azure store cannot sign');
  const url = new URL(await sign('f', 300));
  url.searchParams.set('sp', 'rw'); // widen the permissions the signature covers
  expect((await fetchBytes(url.toString())).status).toBe(403);
  const shortLived = await sign('f', 2);
  expect((await fetchBytes(shortLived)).status).toBe(200);
  await new Promise((r) => setTimeout(r, 3100));
  expect((await fetchBytes(shortLived)).status).toBe(403);
});

test("gcs: the V4 URL verifies per Google's algorithm with the account's public key; a tampered one does not", async () => {
  const bucket = unique('sign-gcs-v4');
  await createBucket('gcs', bucket);
  const store = signingStore('gcs', bucket);
  const sign = store.signedUrl?.bind(store);
  if (!sign) throw new Error('gcs store cannot sign');
  const before = Date.now();
  for (const key of KEYS) {
    const url = await sign(key, 300);
    const q = new URL(url).searchParams;
    expect([key, verifyGcsV4(url, SIGNER.publicKey)]).toEqual([key, true]);
    expect([q.get('X-Goog-Algorithm'), q.get('X-Goog-Expires'), q.get('X-Goog-SignedHeaders')]).toEqual([
      'GOOG4-RSA-SHA256',
      '300',
      'host',
    ]);
    expect(q.get('X-Goog-Credential')).toMatch(
      /^deltasql-test@deltasql-emulator\.iam\.gserviceaccount\.com\/\d{8}\/auto\/storage\/goog4_request$/,
    );
    const signedAt = Date.parse(
      (q.get('X-Goog-Date') ?? '').replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'),
    );
    expect(Math.abs(signedAt - before)).toBeLessThan(60_000);
    // Another object, a longer life, another host: each breaks the signature.
    const other = new URL(url);
    other.pathname = other.pathname.replace(/[^/]+$/, 'other.parquet');
    const longer = new URL(url);
    longer.searchParams.set('X-Goog-Expires', '604800');
    const host = new URL(url);
    host.host = 'storage.googleapis.com';
    expect([other, longer, host].map((u) => verifyGcsV4(u.toString(), SIGNER.publicKey))).toEqual([
      false,
      false,
      false,
    ]);
  }
});
