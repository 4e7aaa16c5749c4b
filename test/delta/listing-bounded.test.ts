/**
 * An import reads a long log range by range (importRange: `table.commits(from, to)` per range).
 * Each range must list only its own versions: start after `from` (S3 StartAfter) and stop at the
 * first file past `to`. Before, every range listed the whole rest of the log, which is quadratic
 * on S3 with 100k versions. Counted at the S3 API (moto): ListObjectsV2 requests and keys returned.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { DeltaTable } from '../../delta/table';
import { commitPath } from '../../delta/log-path';
import { S3Store, s3ClientFromEnv } from '../../storage/s3-store';
import { createBucket, useMotoEnv } from '../support/s3';

const VERSIONS = 200;
const RANGE = 20;
const PAGE = 10;
const bucket = `listing-bounded-${process.pid}-${Date.now()}`;

interface Counts {
  requests: number;
  keys: number;
}

/** An S3 client that counts list requests and the keys they return. */
function countingClient(counts: Counts): S3Client {
  const client = s3ClientFromEnv();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      if (context.commandName === 'ListObjectsV2Command') {
        counts.requests++;
        counts.keys += ((out.output as { Contents?: unknown[] }).Contents ?? []).length;
      }
      return out;
    },
    { step: 'initialize', name: 'countLists' },
  );
  return client;
}

beforeAll(async () => {
  useMotoEnv();
  await createBucket(bucket);
  const store = new S3Store({ bucket, prefix: 't' }, s3ClientFromEnv());
  const lines = (v: number): string =>
    (v === 0
      ? ([
          { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
          {
            metaData: {
              id: 'listing',
              format: { provider: 'parquet', options: {} },
              schemaString: '{"type":"struct","fields":[]}',
              partitionColumns: [],
              configuration: {},
            },
          },
        ] as object[])
      : []
    )
      .concat([
        {
          add: { path: `f${v}.parquet`, partitionValues: {}, size: v, modificationTime: v, dataChange: true },
        },
      ])
      .map((a) => JSON.stringify(a))
      .join('\n') + '\n';
  const versions = Array.from({ length: VERSIONS }, (_, v) => v);
  for (let i = 0; i < versions.length; i += 20) {
    await Promise.all(versions.slice(i, i + 20).map((v) => store.put(commitPath(v), lines(v))));
  }
});

test(`${VERSIONS / RANGE} ranges of ${RANGE} versions list each version about once`, async () => {
  const counts: Counts = { requests: 0, keys: 0 };
  const store = new S3Store({ bucket, prefix: 't' }, countingClient(counts), { pageSize: PAGE });
  const table = await DeltaTable.open(`s3://${bucket}/t`, { store });
  const opened = { ...counts };
  const seen: number[] = [];
  for (let from = 0; from < VERSIONS; from += RANGE) {
    for await (const c of table.commits(from, from + RANGE - 1)) seen.push(c.version);
  }
  expect(seen).toEqual(Array.from({ length: VERSIONS }, (_, v) => v));
  const ranges = VERSIONS / RANGE;
  const lists = counts.requests - opened.requests;
  const keys = counts.keys - opened.keys;
  console.log(`listing: ${ranges} ranges, ${lists} list requests, ${keys} keys (log of ${VERSIONS} commits)`);
  // Each range: its own keys plus at most one page past its end. The whole rest of the log per
  // range would be sum(200, 180, ..., 20) = 1,100 keys in 110 requests.
  expect(keys).toBeLessThanOrEqual(VERSIONS + ranges * PAGE);
  expect(lists).toBeLessThanOrEqual(ranges * (RANGE / PAGE + 1));
  // Opening the table reads one page only.
  expect(opened.requests).toBe(1);
});

test('a range whose end is missing still says so, and a gap is still found', async () => {
  const table = await DeltaTable.open(`s3://${bucket}/t`);
  const read = async (from: number, to: number): Promise<number[]> => {
    const out: number[] = [];
    for await (const c of table.commits(from, to)) out.push(c.version);
    return out;
  };
  await expect(read(190, VERSIONS + 5)).rejects.toMatchObject({ type: 'VersionNotFound' });
  await expect(read(VERSIONS - 1, VERSIONS - 1)).resolves.toEqual([VERSIONS - 1]);
  const store = new S3Store({ bucket, prefix: 't' }, s3ClientFromEnv());
  await store.delete(commitPath(105));
  await expect(read(100, 110)).rejects.toMatchObject({ type: 'LogGap' });
});
