/**
 * ObjectStore over S3 (and S3-compatible emulators). Endpoint comes from AWS_ENDPOINT_URL_S3 or
 * AWS_ENDPOINT_URL; a custom endpoint implies path-style addressing (what MinIO/moto expect), as
 * does AWS_S3_FORCE_PATH_STYLE=true. Credentials come from the SDK's default chain, so they never
 * pass through our code or our messages.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { pagedListing } from './listing';
import { type ObjectMeta, type ObjectStore, checkRange } from './object-store';
import { type CloudStoreOptions, type HttpFailure, withRetry } from './retry';
import { StorageError, isDeniedStatus } from './storage-error';

const DEFAULT_REGION = 'us-east-1';
const NOT_FOUND_NAMES = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket']);
const RANGE_NOT_SATISFIABLE = 416;
/** Part size of a streamed upload (S3's minimum is 5 MiB for every part but the last). */
const PART_BYTES = 8 * 1024 * 1024;

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

  /**
   * A multipart upload, completed with `If-None-Match: *` when `ifAbsent` (S3 checks the condition
   * at completion, so the object appears whole or not at all; moto honours it too). Any failure,
   * the body's own included, aborts the upload. Parts go up one at a time: memory is one part.
   */
  async putStream(
    rel: string,
    body: AsyncIterable<Uint8Array>,
    opts: { ifAbsent: boolean },
  ): Promise<boolean> {
    // Already there: skip uploading the whole body only to be refused at completion.
    if (opts.ifAbsent && (await this.head(rel)) !== null) return false;
    const Bucket = this.loc.bucket;
    const Key = this.key(rel);
    let uploadId: string | undefined;
    try {
      uploadId = (await this.send(() => this.client.send(new CreateMultipartUploadCommand({ Bucket, Key }))))
        .UploadId;
    } catch (e) {
      throw this.fail('put', rel, e);
    }
    if (uploadId === undefined) throw this.fail('put', rel, new Error('no UploadId'));
    const UploadId = uploadId;
    const parts: { ETag: string; PartNumber: number }[] = [];
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const upload = async (): Promise<void> => {
      const Body = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      const PartNumber = parts.length + 1;
      try {
        const out = await this.send(() =>
          this.client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body })),
        );
        parts.push({ ETag: out.ETag ?? '', PartNumber });
      } catch (e) {
        throw this.fail('put', rel, e);
      }
    };
    try {
      for await (const chunk of body) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= PART_BYTES) await upload();
      }
      if (pendingBytes > 0 || parts.length === 0) await upload();
      try {
        await this.send(() =>
          this.client.send(
            new CompleteMultipartUploadCommand({
              Bucket,
              Key,
              UploadId,
              MultipartUpload: { Parts: parts },
              ...(opts.ifAbsent ? { IfNoneMatch: '*' } : {}),
            }),
          ),
        );
      } catch (e) {
        const status = (e as AwsLikeError).$metadata?.httpStatusCode;
        if (opts.ifAbsent && (status === 412 || status === 409)) {
          await this.abortUpload(Bucket, Key, UploadId);
          return false;
        }
        throw this.fail('put', rel, e);
      }
      return true;
    } catch (e) {
      await this.abortUpload(Bucket, Key, UploadId);
      throw e;
    }
  }

  /** Best effort: an upload left behind is invisible (a lifecycle rule, AbortIncompleteMultipartUpload, reclaims it). */
  private async abortUpload(Bucket: string, Key: string, UploadId: string): Promise<void> {
    await this.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => undefined);
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
