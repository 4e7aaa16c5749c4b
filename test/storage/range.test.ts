/**
 * Ranged reads (ObjectStore.getRange) on local disk and S3 (moto): exact bytes, clamping at the
 * end of the object, not-found errors; and a multi-row-group checkpoint read from S3 through the
 * ranged path gives the same actions as the whole-file reader.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LogAction } from '../../delta/actions';
import { readCheckpoint } from '../../delta/checkpoint-reader';
import { isNotFound } from '../../storage/storage-error';
import { LocalStore } from '../../storage/local-store';
import type { ObjectStore } from '../../storage/object-store';
import { S3Store, s3ClientFromEnv } from '../../storage/s3-store';
import { wholeFileActions, writeCheckpoint } from '../delta/checkpoint-files';
import { createBucket, uploadTable, useMotoEnv } from '../support/s3';

useMotoEnv();

const bucket = `deltasql-range-${process.pid}-${Date.now()}`;
const BODY = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
let dir: string;
let cp: Awaited<ReturnType<typeof writeCheckpoint>>;
let stores: [string, ObjectStore][];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-range-'));
  cp = await writeCheckpoint(dir, { adds: 1500, removes: 100, rowGroupSize: 400, pageSize: 50 });
  fs.writeFileSync(path.join(dir, 'blob.bin'), BODY);
  await createBucket(bucket);
  await uploadTable(dir, bucket, 'tbl', { all: true });
  stores = [
    ['local', new LocalStore(dir)],
    ['s3', new S3Store({ bucket, prefix: 'tbl' }, s3ClientFromEnv())],
  ];
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test.each(['local', 's3'])('%s getRange: exact bytes, clamped at the end, typed not-found', async (name) => {
  const store = stores.find(([n]) => n === name)![1];
  expect(store.getRange).toBeDefined();
  const get = store.getRange!.bind(store);
  expect(await get('blob.bin', 10, 20)).toEqual(BODY.subarray(10, 20));
  expect(await get('blob.bin', 0, 1000)).toEqual(BODY);
  expect(await get('blob.bin', 990, 1500)).toEqual(BODY.subarray(990));
  expect((await get('blob.bin', 1000, 1010)).length).toBe(0);
  expect((await get('blob.bin', 5, 5)).length).toBe(0);
  await expect(get('blob.bin', 20, 10)).rejects.toThrow(RangeError);
  let err: unknown;
  try {
    await get('nope.bin', 0, 10);
  } catch (e) {
    err = e;
  }
  expect(isNotFound(err)).toBe(true);
  expect(String((err as Error).message)).toContain('nope.bin');
});

test.each(['local', 's3'])(
  '%s: multi-row-group checkpoint via getRange equals the whole-file actions',
  async (name) => {
    const store = stores.find(([n]) => n === name)![1];
    const expected = await wholeFileActions(cp.file);
    expect(expected.length).toBe(1604);
    let ranged = 0;
    const counting: ObjectStore = Object.assign(Object.create(store) as ObjectStore, {
      getRange: (p: string, a: number, b: number) => {
        ranged++;
        return store.getRange!(p, a, b);
      },
      get: () => Promise.reject(new Error('whole-object get must not be used for parquet')),
    });
    const got: LogAction[] = [];
    for await (const a of readCheckpoint(counting, cp.ref)) got.push(a);
    expect(got).toEqual(expected);
    expect(ranged).toBeGreaterThan(10);
  },
);
