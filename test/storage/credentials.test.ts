/**
 * Where the GCS and Azure stores take their credentials from, first match wins (README, Stores).
 * Azure: AZURE_STORAGE_CONNECTION_STRING, then the account key, then a SAS token, then
 * DefaultAzureCredential; the account comes from the URI (abfss://, https://) before
 * AZURE_STORAGE_ACCOUNT. The client each environment yields is inspected (credential kind and
 * endpoint), and the two emulator cases do real I/O: a connection string wins even with a wrong
 * account key in the environment, and STORAGE_EMULATOR_HOST works in both spellings.
 */
import { DefaultAzureCredential } from '@azure/identity';
import { AnonymousCredential, StorageSharedKeyCredential } from '@azure/storage-blob';
import { AzureStore, azureClientFromEnv, type AzureLocation } from '../../storage/azure-store';
import { GcsStore, gcsClient, gcsClientFromEnv } from '../../storage/gcs-store';
import { StorageError } from '../../storage/storage-error';
import { parseAzureUri } from '../../storage/uri';
import { AZURE_CONNECTION_STRING, GCS_ENDPOINT } from '../support/env';
import { createBucket, unique } from './stores';

const AZ: AzureLocation = parseAzureUri('az://lake/t');
const WRONG_KEY = Buffer.from('wrong-key-'.repeat(7)).toString('base64');
const SAS = 'sv=2025-07-05&ss=b&srt=co&sp=rl&se=2030-01-01T00:00:00Z&sig=c2lnbmF0dXJl';

describe('azure credential order', () => {
  const all = {
    AZURE_STORAGE_CONNECTION_STRING: AZURE_CONNECTION_STRING,
    AZURE_STORAGE_ACCOUNT: 'envaccount',
    AZURE_STORAGE_KEY: WRONG_KEY,
    AZURE_STORAGE_SAS_TOKEN: SAS,
  };

  test('1. the connection string wins over key, SAS and identity', () => {
    const c = azureClientFromEnv(AZ, all);
    expect(c.credential).toBeInstanceOf(StorageSharedKeyCredential);
    expect([c.accountName, c.url]).toEqual(['devstoreaccount1', expect.stringContaining('127.0.0.1')]);
  });

  test('2. then the account key', () => {
    const { AZURE_STORAGE_CONNECTION_STRING: _, ...env } = all;
    const c = azureClientFromEnv(AZ, env);
    expect(c.credential).toBeInstanceOf(StorageSharedKeyCredential);
    expect(c.url).toBe('https://envaccount.blob.core.windows.net/');
  });

  test('3. then the SAS token (with or without its leading "?")', () => {
    for (const sas of [SAS, `?${SAS}`]) {
      const c = azureClientFromEnv(AZ, { AZURE_STORAGE_ACCOUNT: 'envaccount', AZURE_STORAGE_SAS_TOKEN: sas });
      expect(c.credential).toBeInstanceOf(AnonymousCredential);
      expect(c.url).toBe(`https://envaccount.blob.core.windows.net/?${SAS}`);
    }
  });

  test('4. then DefaultAzureCredential; the URI names the account before AZURE_STORAGE_ACCOUNT', () => {
    const c = azureClientFromEnv(AZ, { AZURE_STORAGE_ACCOUNT: 'envaccount' });
    expect(c.credential).toBeInstanceOf(DefaultAzureCredential);
    const abfss = parseAzureUri('abfss://lake@uriaccount.dfs.core.windows.net/t');
    expect(azureClientFromEnv(abfss, { AZURE_STORAGE_ACCOUNT: 'envaccount' }).url).toBe(
      'https://uriaccount.blob.core.windows.net/',
    );
  });

  test('no account anywhere is InvalidUri naming the variables', () => {
    expect(() => azureClientFromEnv(AZ, {})).toThrow(
      expect.objectContaining({
        type: 'InvalidUri',
        message: expect.stringContaining('AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT'),
      }),
    );
  });

  test('AZURE_STORAGE_ENDPOINT: key and SAS reach another Blob endpoint (Azurite, real I/O); a query in it is refused', async () => {
    const part = (k: string): string => new RegExp(`${k}=([^;]+)`).exec(AZURE_CONNECTION_STRING)?.[1] ?? '';
    const endpoint = part('BlobEndpoint');
    const container = unique('cred-az-ep');
    await createBucket('azure', container);
    const loc = parseAzureUri(`az://${container}/t`);
    const env = { AZURE_STORAGE_ACCOUNT: part('AccountName'), AZURE_STORAGE_ENDPOINT: `${endpoint}/` };
    const keyed = new AzureStore(
      loc,
      azureClientFromEnv(loc, { ...env, AZURE_STORAGE_KEY: part('AccountKey') }),
    );
    expect(keyed.root).toBe(`az://${container}/t`);
    await keyed.put('x', 'via AZURE_STORAGE_ENDPOINT');
    // A SAS minted by the keyed store reads through the same endpoint.
    const sas = new URL(await keyed.signedUrl('x', 60)).search;
    const viaSas = new AzureStore(loc, azureClientFromEnv(loc, { ...env, AZURE_STORAGE_SAS_TOKEN: sas }));
    expect((await viaSas.get('x')).toString()).toBe('via AZURE_STORAGE_ENDPOINT');
    const identity = azureClientFromEnv(loc, env);
    expect([identity.credential instanceof DefaultAzureCredential, identity.url]).toEqual([true, endpoint]);
    for (const bad of [`${endpoint}?sig=secret`, 'ftp://host/account', 'not a url'])
      expect(() => azureClientFromEnv(loc, { ...env, AZURE_STORAGE_ENDPOINT: bad })).toThrow(
        expect.objectContaining({ type: 'InvalidArgument', message: expect.not.stringContaining('secret') }),
      );
  });

  test('DefaultAzureCredential finding no credential: a StorageError that is "refused", not retried', async () => {
    const loc = parseAzureUri('az://lake/t');
    const env = {
      AZURE_STORAGE_ACCOUNT: 'devstoreaccount1',
      AZURE_STORAGE_ENDPOINT: 'https://127.0.0.1:9/a',
    };
    const store = new AzureStore(loc, azureClientFromEnv(loc, env));
    const e = await store.get('x').then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(StorageError);
    expect([(e as StorageError).permissionDenied, (e as StorageError).retryable]).toEqual([true, false]);
    expect((e as StorageError).message).toBe(
      'Azure get failed for az://lake/t/x: AggregateAuthenticationError ' +
        '(no usable credential: connection string, account key, SAS or DefaultAzureCredential)',
    );
  });

  test('Azurite: with a wrong account key in the environment, the connection string still works', async () => {
    const container = unique('cred-az');
    await createBucket('azure', container);
    const loc = parseAzureUri(`az://${container}/t`);
    const store = new AzureStore(loc, azureClientFromEnv(loc, all));
    await store.put('x', 'connection string');
    expect((await store.get('x')).toString()).toBe('connection string');
  });
});

test.each([
  ['http://host:port', GCS_ENDPOINT],
  ['host:port', GCS_ENDPOINT.replace(/^http:\/\//, '')],
])('fake-gcs-server: STORAGE_EMULATOR_HOST as %s', async (_form, host) => {
  const bucket = unique('cred-gcs');
  await createBucket('gcs', bucket);
  const storage = gcsClientFromEnv({ STORAGE_EMULATOR_HOST: host });
  expect(storage.baseUrl).toBe(`${GCS_ENDPOINT}/storage/v1`);
  const store = new GcsStore({ bucket, prefix: 't' }, storage);
  await store.put('x', host);
  expect((await store.get('x')).toString()).toBe(host);
});

test('GCS: GOOGLE_APPLICATION_CREDENTIALS naming no file is a StorageError that is "refused", not retried', async () => {
  const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
  process.env.GOOGLE_APPLICATION_CREDENTIALS = '/nonexistent/deltasql-key.json';
  try {
    const e = await new GcsStore({ bucket: 'b', prefix: 't' }, gcsClient({})).get('x').then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(StorageError);
    expect([(e as StorageError).permissionDenied, (e as StorageError).retryable]).toEqual([true, false]);
    expect((e as StorageError).message).toBe(
      'GCS get failed for gs://b/t/x: Error (no usable credentials: Application Default Credentials)',
    );
  } finally {
    if (saved === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    else process.env.GOOGLE_APPLICATION_CREDENTIALS = saved;
  }
});
