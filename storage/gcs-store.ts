/**
 * ObjectStore over Google Cloud Storage (gs://bucket/prefix). Credentials are Application Default
 * Credentials, resolved by the client library, so they never pass through our code or messages.
 * STORAGE_EMULATOR_HOST (`host:port` or `http://host:port`, as the Go and Python clients take it)
 * points at an emulator such as fake-gcs-server; the emulator gets no credentials.
 */
import { type File, Storage, type StorageOptions } from '@google-cloud/storage';
import { pagedListing } from './listing';
import { type ObjectMeta, type ObjectStore, checkRange } from './object-store';
import { type CloudStoreOptions, type HttpFailure, withRetry } from './retry';
import { StorageError, displayPath, isDeniedStatus } from './storage-error';

const PAGE_SIZE = 1000;
const RANGE_NOT_SATISFIABLE = 416;

export interface GcsLocation {
  bucket: string;
  /** Object-name prefix of the table root, without leading or trailing slash ('' for the bucket root). */
  prefix: string;
}

/**
 * A client for real GCS (ADC) or, given an endpoint, an emulator. The library's own retry loop is
 * off: storage/retry.ts retries every store alike. `credentials` (a service-account key) is only
 * needed to sign URLs where ADC cannot sign (e.g. against an emulator).
 */
export function gcsClient(
  opts: { endpoint?: string; credentials?: StorageOptions['credentials'] } = {},
): Storage {
  const endpoint = opts.endpoint
    ? (/^https?:\/\//.test(opts.endpoint) ? opts.endpoint : `http://${opts.endpoint}`).replace(/\/+$/, '')
    : undefined;
  const storage = new Storage({
    retryOptions: { autoRetry: false },
    ...(endpoint ? { apiEndpoint: endpoint, projectId: 'deltasql-emulator' } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  });
  // The Node client takes STORAGE_EMULATOR_HOST verbatim as its JSON API base URL (unlike the Go and
  // Python clients): pin the base to the endpoint we resolved, whatever the variable holds.
  if (endpoint) storage.baseUrl = `${endpoint}/storage/v1`;
  return storage;
}

export const gcsClientFromEnv = (env: NodeJS.ProcessEnv = process.env): Storage =>
  gcsClient({ endpoint: env.STORAGE_EMULATOR_HOST || undefined });

/** GCS errors carry the HTTP status as a numeric `code` (ApiError) or a Gaxios `response.status`. */
function statusOf(e: unknown): number | undefined {
  const err = (e ?? {}) as { code?: unknown; status?: unknown; response?: { status?: unknown } };
  for (const s of [err.code, err.status, err.response?.status]) if (typeof s === 'number') return s;
  return undefined;
}

/** ApiError keeps the answer as `response`, with Node's lower-cased header record. */
function failureOf(e: unknown): HttpFailure {
  const h = (e as { response?: { headers?: Record<string, unknown> } } | null)?.response?.headers;
  const retryAfter = h?.['retry-after'];
  return { status: statusOf(e), retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined };
}

export class GcsStore implements ObjectStore {
  readonly root: string;
  private readonly base: string;

  constructor(
    private readonly loc: GcsLocation,
    private readonly storage: Storage = gcsClientFromEnv(),
    private readonly opts: CloudStoreOptions = {},
  ) {
    this.base = loc.prefix === '' ? '' : `${loc.prefix}/`;
    this.root = `gs://${loc.bucket}${loc.prefix === '' ? '' : `/${loc.prefix}`}`;
  }

  private file(rel: string): File {
    return this.storage.bucket(this.loc.bucket).file(this.base + rel);
  }

  private call<T>(op: () => Promise<T>): Promise<T> {
    return withRetry(op, failureOf, this.opts.retry);
  }

  private fail(op: string, rel: string, e: unknown): StorageError {
    const status = statusOf(e);
    const file = displayPath(this.root, rel);
    const name = e instanceof Error ? e.name : 'Error';
    // No credentials at all (ADC found none, or GOOGLE_APPLICATION_CREDENTIALS names no file) is
    // "credentials refused" too: no retry finds them.
    const noCredential =
      (e as { code?: unknown } | null)?.code === 'ENOENT' ||
      (e instanceof Error && /Could not load the default credentials/.test(e.message));
    const hint = noCredential ? ' (no usable credentials: Application Default Credentials)' : '';
    // Only the status and the object: the library's messages can echo request details.
    return new StorageError(
      `GCS ${op} failed for ${file}: ${name}${status ? ` (HTTP ${status})` : ''}${hint}`,
      {
        file,
        notFound: status === 404,
        permissionDenied: isDeniedStatus(status) || noCredential,
        cause: e,
      },
    );
  }

  list(prefix: string, opts: { startAfter?: string } = {}): AsyncIterable<ObjectMeta> {
    return pagedListing(this.base, opts.startAfter, async (pageToken) => {
      const query = {
        prefix: this.base + prefix,
        // startOffset is inclusive: pagedListing drops the object equal to startAfter.
        startOffset:
          pageToken === undefined && opts.startAfter !== undefined ? this.base + opts.startAfter : undefined,
        pageToken,
        maxResults: this.opts.pageSize ?? PAGE_SIZE,
        autoPaginate: false,
      };
      let files: File[];
      let next: { pageToken?: string } | null | undefined;
      try {
        [files, next] = await this.call(() => this.storage.bucket(this.loc.bucket).getFiles(query));
      } catch (e) {
        throw this.fail('list', prefix, e);
      }
      return {
        objects: files.map((f) => ({
          key: f.name,
          size: Number(f.metadata.size ?? 0),
          lastModified: f.metadata.updated ? Date.parse(f.metadata.updated) : 0,
        })),
        next: next?.pageToken,
      };
    });
  }

  async get(rel: string): Promise<Buffer> {
    try {
      const [buf] = await this.call(() => this.file(rel).download());
      return buf;
    } catch (e) {
      throw this.fail('get', rel, e);
    }
  }

  async getRange(rel: string, start: number, endExclusive: number): Promise<Buffer> {
    checkRange(rel, start, endExclusive);
    if (endExclusive === start) return Buffer.alloc(0);
    try {
      const [buf] = await this.call(() => this.file(rel).download({ start, end: endExclusive - 1 }));
      return buf;
    } catch (e) {
      // A range starting at or past the end is "unsatisfiable": that is an empty read, as on disk.
      if (statusOf(e) === RANGE_NOT_SATISFIABLE) return Buffer.alloc(0);
      throw this.fail('get', rel, e);
    }
  }

  async head(rel: string): Promise<ObjectMeta | null> {
    try {
      const [md] = await this.call(() => this.file(rel).getMetadata());
      return {
        path: rel,
        size: Number(md.size ?? 0),
        lastModified: md.updated ? Date.parse(md.updated) : 0,
      };
    } catch (e) {
      if (statusOf(e) === 404) return null;
      throw this.fail('head', rel, e);
    }
  }

  async put(rel: string, body: Buffer | string): Promise<void> {
    try {
      await this.call(() => this.file(rel).save(body, { resumable: false }));
    } catch (e) {
      throw this.fail('put', rel, e);
    }
  }

  async putIfAbsent(rel: string, body: Buffer | string): Promise<boolean> {
    try {
      // Generation 0 matches only "no live object": GCS creates the object atomically or answers 412.
      await this.call(() =>
        this.file(rel).save(body, { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }),
      );
      return true;
    } catch (e) {
      if (statusOf(e) === 412) return false;
      throw this.fail('put', rel, e);
    }
  }

  async delete(rel: string): Promise<void> {
    try {
      await this.call(() => this.file(rel).delete({ ignoreNotFound: true }));
    } catch (e) {
      throw this.fail('delete', rel, e);
    }
  }

  /** A V4 signed GET URL (needs credentials that can sign: a service-account key, or IAM signBlob). */
  async signedUrl(rel: string, expiresInSeconds: number): Promise<string> {
    try {
      const [url] = await this.file(rel).getSignedUrl({
        version: 'v4',
        action: 'read',
        expires: Date.now() + expiresInSeconds * 1000,
      });
      return url;
    } catch (e) {
      throw this.fail('sign', rel, e);
    }
  }
}
