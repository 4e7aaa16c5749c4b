/**
 * The one URI rule: which store each scheme opens, how bucket/container/account/prefix are read
 * from each URL form, and that malformed URIs, or URIs that would carry a secret, are refused with
 * InvalidUri before any I/O.
 */
import { DeltaSqlError } from '../../common/errors';
import { AzureStore } from '../../storage/azure-store';
import { GcsStore } from '../../storage/gcs-store';
import { LocalStore } from '../../storage/local-store';
import { S3Store } from '../../storage/s3-store';
import { absoluteSource } from '../../client/import-client';
import { openStore, parseAzureUri, parseGcsUri, parseS3Uri } from '../../storage/uri';
import { AZURE_CONNECTION_STRING } from '../support/env';

const saved = { ...process.env };
beforeAll(() => {
  process.env.AZURE_STORAGE_CONNECTION_STRING = AZURE_CONNECTION_STRING;
});
afterAll(() => {
  process.env = saved;
});

test('each scheme opens its store, and the root keeps the URL form given', () => {
  const cases: [string, unknown, string][] = [
    ['/tmp/t', LocalStore, '/tmp/t'],
    ['file:///tmp/a%20b', LocalStore, '/tmp/a b'],
    ['s3://bucket/t/', S3Store, 's3://bucket/t'],
    ['s3a://bucket/t', S3Store, 's3://bucket/t'],
    ['gs://my-bucket/lake/t/', GcsStore, 'gs://my-bucket/lake/t'],
    ['az://container/lake/t', AzureStore, 'az://container/lake/t'],
    [
      'abfss://container@devstoreaccount1.dfs.core.windows.net/lake/t',
      AzureStore,
      'abfss://container@devstoreaccount1.dfs.core.windows.net/lake/t',
    ],
    [
      'https://devstoreaccount1.blob.core.windows.net/container/lake/t/',
      AzureStore,
      'https://devstoreaccount1.blob.core.windows.net/container/lake/t',
    ],
  ];
  for (const [uri, cls, root] of cases) {
    const s = openStore(uri);
    expect([uri, s instanceof (cls as new (...a: never[]) => object), s.root]).toEqual([uri, true, root]);
  }
});

test('bucket, container, account and prefix of every form', () => {
  expect(parseS3Uri('s3://b1/x/y/')).toEqual({ bucket: 'b1', prefix: 'x/y' });
  expect(parseGcsUri('gs://bkt')).toEqual({ bucket: 'bkt', prefix: '' });
  expect(parseGcsUri('gs://bkt.with.dots/a b/%')).toEqual({ bucket: 'bkt.with.dots', prefix: 'a b/%' });
  expect(parseAzureUri('az://cont/p/q')).toMatchObject({
    account: undefined,
    container: 'cont',
    prefix: 'p/q',
  });
  expect(parseAzureUri('abfss://cont@acct1.dfs.core.windows.net/p')).toMatchObject({
    account: 'acct1',
    container: 'cont',
    prefix: 'p',
  });
  expect(parseAzureUri('abfs://cont@ACCT1.blob.core.windows.net')).toMatchObject({
    account: 'acct1',
    prefix: '',
  });
  expect(parseAzureUri('https://acct1.blob.core.windows.net/cont/a%20b/c')).toMatchObject({
    account: 'acct1',
    container: 'cont',
    prefix: 'a b/c',
  });
});

test('malformed URIs and URIs carrying secrets are InvalidUri', () => {
  const bad = [
    'gs://',
    'gs://b', // GCS bucket names have 3+ characters
    'gs://UPPER/x',
    'az://',
    'az://a--b/x',
    'az://Container/x',
    'abfss://cont@example.com/x',
    'abfss://nocontainer.dfs.core.windows.net/x',
    'https://example.com/cont/x',
    'https://acct1.blob.core.windows.net/cont/x?sv=2024&sig=secret',
    'https://user:secret@acct1.blob.core.windows.net/cont/x',
    'https://acct1.blob.core.windows.net/',
    'http://acct1.blob.core.windows.net/cont/x',
    'ftp://host/x',
  ];
  for (const uri of bad) {
    let err: unknown;
    try {
      openStore(uri);
    } catch (e) {
      err = e;
    }
    expect([uri, err instanceof DeltaSqlError && err.type]).toEqual([uri, 'InvalidUri']);
    expect(String((err as Error).message)).not.toContain('secret');
  }
});

test('an abfss:// account that differs from the connection string is refused, naming both', () => {
  expect(() => openStore('abfss://cont@otheracct.dfs.core.windows.net/x')).toThrow(
    /names account "otheracct", but AZURE_STORAGE_CONNECTION_STRING is for "devstoreaccount1"/,
  );
});

test('az:// without any account source is InvalidUri naming the variables', () => {
  const env = { ...process.env };
  delete process.env.AZURE_STORAGE_CONNECTION_STRING;
  delete process.env.AZURE_STORAGE_ACCOUNT;
  try {
    expect(() => openStore('az://cont/x')).toThrow(
      /AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT/,
    );
  } finally {
    process.env = env;
  }
});

test('a source URI with a SAS or a password never reaches a workflow input', () => {
  for (const uri of [
    'https://acct1.blob.core.windows.net/cont/t?sv=2024-01-01&sig=secret',
    's3://user:secret@bucket/t',
    'gs://user:secret@bucket/t',
  ]) {
    expect(() => absoluteSource(uri)).toThrow(expect.objectContaining({ type: 'InvalidUri' }));
    expect(() => absoluteSource(uri)).not.toThrow(/secret/);
  }
  expect(absoluteSource('abfss://cont@acct1.dfs.core.windows.net/t')).toBe(
    'abfss://cont@acct1.dfs.core.windows.net/t',
  );
  expect(absoluteSource('gs://bucket/t')).toBe('gs://bucket/t');
});
