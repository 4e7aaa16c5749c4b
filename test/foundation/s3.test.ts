/**
 * Put and get on the S3 emulator (moto) with the real AWS SDK, and proof that the SDK itself
 * honours AWS_ENDPOINT_URL_S3 (the name docker-compose.yml gives the worker).
 */
import { randomUUID } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { S3_ENDPOINT } from '../support/env';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

test('put, list, get and delete an object on the S3 emulator', async () => {
  const s3 = new S3Client({ endpoint: S3_ENDPOINT, forcePathStyle: true, region: 'us-east-1', credentials });
  const bucket = `foundation-${randomUUID()}`;
  const key = 'tables/t1/_delta_log/00000000000000000000.json';
  const body =
    '{"commitInfo":{"operation":"WRITE"}}\n{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}\n';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'tables/t1/_delta_log/' }));
  expect(listed.Contents?.map((o) => [o.Key, o.Size])).toEqual([[key, Buffer.byteLength(body)]]);
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  expect(await got.Body?.transformToString()).toBe(body);

  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).rejects.toMatchObject({
    name: 'NotFound',
  });
});

test('the SDK reads AWS_ENDPOINT_URL_S3 and the AWS_* credentials from the environment', async () => {
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_S3: S3_ENDPOINT,
    AWS_ACCESS_KEY_ID: 'env-key',
    AWS_SECRET_ACCESS_KEY: 'env-secret',
    AWS_REGION: 'us-east-1',
  });
  try {
    const s3 = new S3Client({ forcePathStyle: true });
    expect(await s3.config.region()).toBe('us-east-1');
    expect(await s3.config.credentials()).toMatchObject({
      accessKeyId: 'env-key',
      secretAccessKey: 'env-secret',
    });
    const bucket = `foundation-env-${randomUUID()}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'v' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }));
    expect(await got.Body?.transformToString()).toBe('v');
  } finally {
    process.env = saved;
  }
});
