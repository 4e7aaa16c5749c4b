/**
 * ObjectStore over S3 (and S3-compatible emulators). Endpoint comes from AWS_ENDPOINT_URL_S3 or
 * AWS_ENDPOINT_URL; a custom endpoint implies path-style addressing (what MinIO/moto expect), as
 * does AWS_S3_FORCE_PATH_STYLE=true. Credentials come from the SDK's default chain, so they never
 * pass through our code or our messages.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { pagedListing } from './listing';
import { type ObjectMeta, type ObjectStore, checkRange } from './object-store';
import { type CloudStoreOptions, type HttpFailure, withRetry } from './retry';
import { StorageError, isDeniedStatus } from './storage-error';

const DEFAULT_REGION = 'us-east-1';
const NOT_FOUND_NAMES = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket']);
const RANGE_NOT_SATISFIABLE = 416;

/** The response body as a Buffer over the SDK's bytes (no second copy). */
async function bodyBuffer(
  body: { transformToByteArray(): Promise<Uint8Array> } | undefined,
): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const bytes = await body.transformToByteArray();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export interface S3Location {
  bucket: string;
  /** Key prefix of the table root, without leading or trailing slash ('' for the bucket root). */
  prefix: string;
}

/** Build a client from the environment (endpoint, path style, region); credentials via default chain. */
export function s3ClientFromEnv(env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  const forcePathStyle = env.AWS_S3_FORCE_PATH_STYLE === 'true' || endpoint !== undefined;
  return new S3Client({
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || DEFAULT_REGION,
    endpoint,
    forcePathStyle,
    // Emulators and older S3-compatible stores reject the newer default checksum headers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // storage/retry.ts retries every store alike; the SDK's own loop is off.
    maxAttempts: 1,
  });
}

interface AwsLikeError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

/** The SDK keeps the status in `$metadata` and the raw answer (lower-cased headers) in `$response`. */
function failureOf(e: unknown): HttpFailure {
  const err = (e ?? {}) as AwsLikeError;
  return { status: err.$metadata?.httpStatusCode, retryAfter: err.$response?.headers?.['retry-after'] };
}

export class S3Store implements ObjectStore {
  readonly root: string;
  private readonly base: string;

  constructor(
    private readonly loc: S3Location,
    private readonly client: S3Client = s3ClientFromEnv(),
    private readonly opts: CloudStoreOptions = {},
  ) {
    this.base = loc.prefix === '' ? '' : `${loc.prefix}/`;
    this.root = `s3://${loc.bucket}${loc.prefix === '' ? '' : `/${loc.prefix}`}`;
  }

  private key(rel: string): string {
    return this.base + rel;
  }

  private send<T>(op: () => Promise<T>): Promise<T> {
    return withRetry(op, failureOf, this.opts.retry);
  }

  private fail(op: string, rel: string, e: unknown): StorageError {
    const err = (e ?? {}) as AwsLikeError;
    const status = err.$metadata?.httpStatusCode;
    const name = err.name ?? 'Error';
    const file = `${this.root}/${rel}`;
    const notFound = NOT_FOUND_NAMES.has(name) || status === 404;
    // The SDK's messages never carry secrets; we still only surface name, status and the object.
    return new StorageError(`S3 ${op} failed for ${file}: ${name}${status ? ` (HTTP ${status})` : ''}`, {
      file,
      notFound,
      permissionDenied: isDeniedStatus(status),
      cause: e,
    });
  }

  list(prefix: string, opts: { startAfter?: string } = {}): AsyncIterable<ObjectMeta> {
    return pagedListing(this.base, opts.startAfter, async (token) => {
      let out;
      try {
        out = await this.send(() =>
          this.client.send(
            new ListObjectsV2Command({
              Bucket: this.loc.bucket,
              Prefix: this.key(prefix),
              StartAfter:
                token === undefined && opts.startAfter !== undefined ? this.key(opts.startAfter) : undefined,
              ContinuationToken: token,
              MaxKeys: this.opts.pageSize,
            }),
          ),
        );
      } catch (e) {
        throw this.fail('list', prefix, e);
      }
      return {
        objects: (out.Contents ?? []).flatMap((o) =>
          o.Key === undefined
            ? []
            : [{ key: o.Key, size: Number(o.Size ?? 0), lastModified: o.LastModified?.getTime() ?? 0 }],
        ),
        next: out.IsTruncated ? out.NextContinuationToken : undefined,
      };
    });
  }

  async get(rel: string): Promise<Buffer> {
    try {
      const out = await this.send(() =>
        this.client.send(new GetObjectCommand({ Bucket: this.loc.bucket, Key: this.key(rel) })),
      );
      return await bodyBuffer(out.Body);
    } catch (e) {
      throw this.fail('get', rel, e);
    }
  }

  async getRange(rel: string, start: number, endExclusive: number): Promise<Buffer> {
    checkRange(rel, start, endExclusive);
    if (endExclusive === start) return Buffer.alloc(0);
    try {
      const out = await this.send(() =>
        this.client.send(
          new GetObjectCommand({
            Bucket: this.loc.bucket,
            Key: this.key(rel),
            Range: `bytes=${start}-${endExclusive - 1}`,
          }),
        ),
      );
      return await bodyBuffer(out.Body);
    } catch (e) {
      // A range starting at or past the end is "unsatisfiable": that is an empty read, as on disk.
      if ((e as AwsLikeError).$metadata?.httpStatusCode === RANGE_NOT_SATISFIABLE) return Buffer.alloc(0);
      throw this.fail('get', rel, e);
    }
  }

  async head(rel: string): Promise<ObjectMeta | null> {
    try {
      const out = await this.send(() =>
        this.client.send(new HeadObjectCommand({ Bucket: this.loc.bucket, Key: this.key(rel) })),
      );
      return {
        path: rel,
        size: Number(out.ContentLength ?? 0),
        lastModified: out.LastModified ? out.LastModified.getTime() : 0,
      };
    } catch (e) {
      const f = this.fail('head', rel, e);
      if (f.notFound && (e as AwsLikeError).name !== 'NoSuchBucket') return null;
      throw f;
    }
  }

  async put(rel: string, body: Buffer | string): Promise<void> {
    try {
      await this.send(() =>
        this.client.send(new PutObjectCommand({ Bucket: this.loc.bucket, Key: this.key(rel), Body: body })),
      );
    } catch (e) {
      throw this.fail('put', rel, e);
    }
  }

  async putIfAbsent(rel: string, body: Buffer | string): Promise<boolean> {
    try {
      await this.send(() =>
        this.client.send(
          new PutObjectCommand({ Bucket: this.loc.bucket, Key: this.key(rel), Body: body, IfNoneMatch: '*' }),
        ),
      );
      return true;
    } catch (e) {
      // 412: the object exists. 409 ConditionalRequestConflict: a concurrent conditional write won.
      const status = (e as AwsLikeError).$metadata?.httpStatusCode;
      if (status === 412 || status === 409) return false;
      throw this.fail('put', rel, e);
    }
  }

  /** A pre-signed GetObject URL (SigV4, signed locally with the default-chain credentials). */
  async signedUrl(rel: string, expiresInSeconds: number): Promise<string> {
    try {
      return await getSignedUrl(
        this.client,
        new GetObjectCommand({ Bucket: this.loc.bucket, Key: this.key(rel) }),
        {
          expiresIn: expiresInSeconds,
        },
      );
    } catch (e) {
      throw this.fail('sign', rel, e);
    }
  }

  async delete(rel: string): Promise<void> {
    try {
      await this.send(() =>
        this.client.send(new DeleteObjectCommand({ Bucket: this.loc.bucket, Key: this.key(rel) })),
      );
    } catch (e) {
      throw this.fail('delete', rel, e);
    }
  }
}
