/**
 * `signedUrl` (the Delta Sharing capability) on each cloud store: a plain `fetch` of the URL, with
 * no credentials, returns the object's exact bytes. S3 signs SigV4 (moto), GCS a V4 URL with a
 * service-account key (fake-gcs-server serves it but does not check signatures), Azure a read-only
 * SAS with the account key (Azurite checks it: a tampered or expired SAS is refused).
 */
import { generateKeyPairSync } from 'node:crypto';
import { GcsStore, gcsClient } from '../../storage/gcs-store';
import type { ObjectStore } from '../../storage/object-store';
import { GCS_ENDPOINT } from '../support/env';
import { createBucket, storeFor, unique, type StoreKind } from './stores';

const BODY = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));
const KEYS = ['part-00000.parquet', 'p=a b/100%/é.parquet'];

/** A throwaway service-account identity: enough for the client to sign V4 URLs locally. */
function fakeServiceAccount(): { client_email: string; private_key: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    client_email: 'deltasql-test@deltasql-emulator.iam.gserviceaccount.com',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

function signingStore(kind: StoreKind, bucket: string): ObjectStore {
  if (kind !== 'gcs') return storeFor(kind, bucket, 'shared/t');
  return new GcsStore(
    { bucket, prefix: 'shared/t' },
    gcsClient({ endpoint: GCS_ENDPOINT, credentials: fakeServiceAccount() }),
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
