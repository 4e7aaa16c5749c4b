/** The S3 emulator (moto) for tests: env for the real SDK client, and uploading a table folder. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { ObjectStore } from '../../storage/object-store';
import { s3ClientFromEnv, S3Store } from '../../storage/s3-store';
import { S3_ENDPOINT } from './env';

export function useMotoEnv(): void {
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: S3_ENDPOINT,
  });
}

/** Relative paths of every file under dir/rel, '/'-separated. */
export function filesUnder(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...filesUnder(dir, r));
    else out.push(r);
  }
  return out;
}

export async function createBucket(bucket: string): Promise<void> {
  await s3ClientFromEnv().send(new CreateBucketCommand({ Bucket: bucket }));
}

/** Copy every file under `dir` (or under its `sub` folder) into `store`, at the same relative keys. */
export async function uploadDir(store: ObjectStore, dir: string, sub = ''): Promise<void> {
  for (const rel of filesUnder(dir, sub)) await store.put(rel, fs.readFileSync(path.join(dir, rel)));
}

/** Upload `dir` (only its _delta_log unless `all`) to s3://bucket/prefix. */
export async function uploadTable(
  dir: string,
  bucket: string,
  prefix: string,
  opts: { all?: boolean } = {},
): Promise<string> {
  await uploadDir(new S3Store({ bucket, prefix }, s3ClientFromEnv()), dir, opts.all ? '' : '_delta_log');
  return `s3://${bucket}/${prefix}`;
}
