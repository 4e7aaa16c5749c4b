/**
 * The four ObjectStore implementations on their real backends, for the conformance suites: local
 * disk, S3 on moto, GCS on fake-gcs-server, Azure Blob on Azurite. Each test file gets fresh
 * buckets; `endpoint` routes a cloud store through another address (the fault proxy).
 */
import { type KeyObject, createHash, generateKeyPairSync, verify } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { BlobServiceClient } from '@azure/storage-blob';
import { AzureStore } from '../../storage/azure-store';
import { GcsStore, gcsClient } from '../../storage/gcs-store';
import { LocalStore } from '../../storage/local-store';
import type { ObjectStore } from '../../storage/object-store';
import type { CloudStoreOptions } from '../../storage/retry';
import { S3Store, s3ClientFromEnv } from '../../storage/s3-store';
import { AZURE_CONNECTION_STRING, GCS_ENDPOINT, S3_ENDPOINT } from '../support/env';

export type StoreKind = 'local' | 's3' | 'gcs' | 'azure';
export const CLOUD_KINDS: readonly StoreKind[] = ['s3', 'gcs', 'azure'];
export const ALL_KINDS: readonly StoreKind[] = ['local', ...CLOUD_KINDS];

const S3_ENV = {
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'us-east-1',
};

/** The emulator's own address, `http://host:port` (Azure: the account's blob endpoint). */
export function upstreamOf(kind: StoreKind): string {
  if (kind === 's3') return S3_ENDPOINT;
  if (kind === 'gcs') return GCS_ENDPOINT;
  if (kind === 'azure') return /BlobEndpoint=([^;]+)/.exec(AZURE_CONNECTION_STRING)?.[1] ?? '';
  throw new Error('local disk has no endpoint');
}

/** The Azurite connection string with another blob endpoint (same path) and optionally another key. */
export function azureConnectionString(opts: { endpoint?: string; key?: string } = {}): string {
  let cs = AZURE_CONNECTION_STRING;
  if (opts.endpoint) {
    const account = new URL(upstreamOf('azure')).pathname;
    cs = cs.replace(/BlobEndpoint=[^;]+/, `BlobEndpoint=${opts.endpoint}${account}`);
  }
  if (opts.key) cs = cs.replace(/AccountKey=[^;]+/, `AccountKey=${opts.key}`);
  return cs;
}

export const unique = (tag: string): string =>
  `dsql-${tag}-${process.pid}-${Date.now().toString(36)}`.toLowerCase().slice(0, 60);

/** Create the bucket (container, folder) `name` on the kind's backend. */
export async function createBucket(kind: StoreKind, name: string): Promise<void> {
  if (kind === 's3') {
    await s3ClientFromEnv({ ...S3_ENV, AWS_ENDPOINT_URL_S3: S3_ENDPOINT }).send(
      new CreateBucketCommand({ Bucket: name }),
    );
  } else if (kind === 'gcs') {
    await gcsClient({ endpoint: GCS_ENDPOINT }).createBucket(name);
  } else if (kind === 'azure') {
    await BlobServiceClient.fromConnectionString(AZURE_CONNECTION_STRING).getContainerClient(name).create();
  }
}

const localRoots = new Map<string, string>();

/** A store over bucket `name` (the local kind: a temp folder per name), rooted at `prefix`. */
export function storeFor(
  kind: StoreKind,
  name: string,
  prefix: string,
  opts: CloudStoreOptions & { endpoint?: string; azureKey?: string } = {},
): ObjectStore {
  const { endpoint, azureKey, ...tuning } = opts;
  switch (kind) {
    case 'local': {
      let dir = localRoots.get(name);
      if (!dir) localRoots.set(name, (dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`))));
      return new LocalStore(path.join(dir, prefix));
    }
    case 's3':
      return new S3Store(
        { bucket: name, prefix },
        s3ClientFromEnv({ ...S3_ENV, AWS_ENDPOINT_URL_S3: endpoint ?? S3_ENDPOINT }),
        tuning,
      );
    case 'gcs':
      return new GcsStore(
        { bucket: name, prefix },
        gcsClient({ endpoint: endpoint ?? GCS_ENDPOINT }),
        tuning,
      );
    case 'azure':
      return new AzureStore(
        { container: name, prefix, root: `az://${name}/${prefix}` },
        BlobServiceClient.fromConnectionString(azureConnectionString({ endpoint, key: azureKey }), {
          retryOptions: { maxTries: 1 },
        }),
        tuning,
      );
  }
}

export function removeLocalRoots(): void {
  for (const dir of localRoots.values()) fs.rmSync(dir, { recursive: true, force: true });
  localRoots.clear();
}

/**
 * delta-rs `storage_options` that point it at the kind's emulator. GCS: object_store reads a
 * service-account file whose `gcs_base_url` names fake-gcs-server and `disable_oauth` skips
 * tokens (written under `dir`). Azure: the Azurite account, key and blob endpoint.
 */
export function deltaRsOptions(kind: 'gcs' | 'azure', dir: string): Record<string, string> {
  if (kind === 'gcs') {
    const file = path.join(dir, 'fake-gcs-service-account.json');
    const account = {
      gcs_base_url: GCS_ENDPOINT,
      disable_oauth: true,
      client_email: '',
      private_key: '',
      private_key_id: '',
    };
    fs.writeFileSync(file, JSON.stringify(account));
    return { google_service_account: file };
  }
  const part = (k: string): string => new RegExp(`${k}=([^;]+)`).exec(AZURE_CONNECTION_STRING)?.[1] ?? '';
  return {
    azure_storage_account_name: part('AccountName'),
    azure_storage_account_key: part('AccountKey'),
    azure_storage_endpoint: part('BlobEndpoint'),
    azure_allow_http: 'true',
  };
}

/** RFC 3986 percent-encoding, as GCS canonicalizes query names and values. */
const rfc3986 = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * A throwaway service-account identity with a fresh RSA key: enough for the GCS client to sign V4
 * URLs locally (never sent anywhere), and the public key that `verifyGcsV4` checks them with.
 * `keyFile(dir)` writes it as a key file, for processes that read GOOGLE_APPLICATION_CREDENTIALS.
 */
export function testServiceAccount(): {
  credentials: { type: 'service_account'; client_email: string; private_key: string };
  publicKey: KeyObject;
  keyFile(dir: string): string;
} {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const credentials = {
    type: 'service_account' as const,
    client_email: 'deltasql-test@deltasql-emulator.iam.gserviceaccount.com',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  return {
    credentials,
    publicKey,
    keyFile: (dir) => {
      const file = path.join(dir, 'signing-service-account.json');
      fs.writeFileSync(file, JSON.stringify(credentials));
      return file;
    },
  };
}

/**
 * Verify a V4 signed URL the way GCS does (cloud.google.com/storage/docs/authentication/signatures):
 * rebuild the canonical request (verb, path, sorted query without the signature, the host header,
 * UNSIGNED-PAYLOAD) and the string to sign, and check the RSA-SHA256 signature with the
 * service account's public key. fake-gcs-server does not check signatures, so this is the check.
 * The host is the URL's host name without its port: @google-cloud/storage 7 signs `host` as the
 * endpoint's hostname (signer.js), which is the whole Host header on real GCS (port 443), but not
 * on an emulator's port, where a verifying server would see `127.0.0.1:4443`.
 */
export function verifyGcsV4(url: string, publicKey: KeyObject): boolean {
  const u = new URL(url);
  const q = u.searchParams;
  const query = [...q.entries()]
    .filter(([k]) => k !== 'X-Goog-Signature')
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
    .sort()
    .join('&');
  const canonical = [
    'GET',
    u.pathname,
    query,
    `host:${u.hostname}\n`,
    q.get('X-Goog-SignedHeaders'),
    'UNSIGNED-PAYLOAD',
  ];
  const scope = (q.get('X-Goog-Credential') ?? '').split('/').slice(1).join('/');
  const toSign = [
    q.get('X-Goog-Algorithm'),
    q.get('X-Goog-Date'),
    scope,
    createHash('sha256').update(canonical.join('\n')).digest('hex'),
  ].join('\n');
  return verify(
    'sha256',
    Buffer.from(toSign),
    publicKey,
    Buffer.from(q.get('X-Goog-Signature') ?? '', 'hex'),
  );
}
