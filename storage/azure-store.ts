/**
 * ObjectStore over Azure Blob Storage: az://container/prefix, abfs[s]://container@account.dfs.core.windows.net/prefix
 * and https://account.blob.core.windows.net/container/prefix (ADLS Gen2 paths are read through the
 * Blob endpoint of the same account). Credentials, first match wins: AZURE_STORAGE_CONNECTION_STRING,
 * account key (AZURE_STORAGE_ACCOUNT + AZURE_STORAGE_KEY), SAS (AZURE_STORAGE_SAS_TOKEN), then
 * @azure/identity's DefaultAzureCredential. None of them is ever put in a URI, a log or a message.
 * The last three reach `https://<account>.blob.core.windows.net`, or AZURE_STORAGE_ENDPOINT.
 * Signed URLs: a service SAS with the account key, a user-delegation SAS with an Entra ID token.
 */
import {
  AnonymousCredential,
  BlobSASPermissions,
  BlobServiceClient,
  type ContainerClient,
  type ContainerListBlobFlatSegmentResponse,
  RestError,
  type StoragePipelineOptions,
  StorageSharedKeyCredential,
  type UserDelegationKey,
} from '@azure/storage-blob';
import { DeltaSqlError } from '../common/errors';
import { pagedListing } from './listing';
import { type ObjectMeta, type ObjectStore, checkRange } from './object-store';
import { type CloudStoreOptions, type HttpFailure, withRetry } from './retry';
import { StorageError, displayPath, isDeniedStatus } from './storage-error';

const PAGE_SIZE = 5000;
/** User delegation keys: Azure allows at most 7 days; we ask for an hour unless a URL needs more. */
const MAX_DELEGATION_MS = 7 * 24 * 3600 * 1000;
const DELEGATION_MS = 3600 * 1000;
/**
 * The user-delegation SAS layout we sign. The SDK's default (2026-04-06) adds fields that Azurite
 * 3.35 does not know yet, so its signatures fail there; Azure accepts every earlier SAS version.
 */
const DELEGATION_SAS_VERSION = '2025-07-05';
/** Start keys a little in the past, so a clock behind the service's does not void them. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const RANGE_NOT_SATISFIABLE = 416;
/** @azure/identity's failures to get a token (DefaultAzureCredential found none, or Entra refused). */
const CREDENTIAL_ERRORS = new Set([
  'AggregateAuthenticationError',
  'AuthenticationError',
  'CredentialUnavailableError',
]);

export interface AzureLocation {
  /** Storage account named by the URI (abfss://, https://); undefined for az://, taken from the credentials. */
  account?: string;
  container: string;
  /** Blob-name prefix of the table root, without leading or trailing slash. */
  prefix: string;
  /** The URI as given (normalized), so listed children keep the caller's URL form. */
  root: string;
}

// storage/retry.ts retries every store alike; the SDK's own loop is off.
const PIPELINE: StoragePipelineOptions = { retryOptions: { maxTries: 1 } };

const noAccount = (root: string): DeltaSqlError =>
  new DeltaSqlError(
    'InvalidUri',
    `${root}: no Azure storage account: set AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT, ` +
      'or name it in the URI (abfss://container@account.dfs.core.windows.net/path)',
    { file: root },
  );

/**
 * The account's Blob service URL: AZURE_STORAGE_ENDPOINT when set (a sovereign cloud, a private
 * endpoint, an emulator such as Azurite: `http://127.0.0.1:10000/devstoreaccount1`), else the
 * public cloud's. It names a location only: one with a query (a SAS) or a user is refused.
 */
function blobEndpoint(account: string, endpoint: string | undefined): string {
  if (!endpoint) return `https://${account}.blob.core.windows.net`;
  const u = URL.canParse(endpoint) ? new URL(endpoint) : undefined;
  if (!u || !/^https?:$/.test(u.protocol) || u.search !== '' || u.username !== '' || u.password !== '') {
    throw new DeltaSqlError(
      'InvalidArgument',
      'AZURE_STORAGE_ENDPOINT must be an http(s) Blob service URL without a query or user ' +
        '(e.g. https://account.blob.core.chinacloudapi.cn)',
    );
  }
  return endpoint.replace(/\/+$/, '');
}

/** The service client for `loc`, from the first credential source the environment offers. */
export function azureClientFromEnv(
  loc: AzureLocation,
  env: NodeJS.ProcessEnv = process.env,
): BlobServiceClient {
  const cs = env.AZURE_STORAGE_CONNECTION_STRING;
  if (cs) {
    const client = BlobServiceClient.fromConnectionString(cs, PIPELINE);
    if (loc.account !== undefined && client.accountName !== loc.account) {
      throw new DeltaSqlError(
        'InvalidUri',
        `${loc.root} names account "${loc.account}", but AZURE_STORAGE_CONNECTION_STRING is for "${client.accountName}"`,
        { file: loc.root },
      );
    }
    return client;
  }
  const account = loc.account ?? env.AZURE_STORAGE_ACCOUNT;
  if (!account) throw noAccount(loc.root);
  const url = blobEndpoint(account, env.AZURE_STORAGE_ENDPOINT);
  if (env.AZURE_STORAGE_KEY) {
    return new BlobServiceClient(
      url,
      new StorageSharedKeyCredential(account, env.AZURE_STORAGE_KEY),
      PIPELINE,
    );
  }
  const sas = env.AZURE_STORAGE_SAS_TOKEN?.replace(/^\?/, '');
  if (sas) return new BlobServiceClient(`${url}?${sas}`, new AnonymousCredential(), PIPELINE);
  // @azure/identity is large and only this last resort needs it: load it on demand.
  const { DefaultAzureCredential } = require('@azure/identity') as typeof import('@azure/identity');
  return new BlobServiceClient(url, new DefaultAzureCredential(), PIPELINE);
}

/** RestError carries the HTTP status as `statusCode`. */
function statusOf(e: unknown): number | undefined {
  const s = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** RestError keeps the answer as `response`, with its headers. */
const failureOf = (e: unknown): HttpFailure => ({
  status: statusOf(e),
  retryAfter: e instanceof RestError ? e.response?.headers.get('retry-after') : undefined,
});

/** The whole body of a download response. */
async function drain(body: NodeJS.ReadableStream | undefined): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

export class AzureStore implements ObjectStore {
  readonly root: string;
  private readonly base: string;
  private readonly container: ContainerClient;

  private delegation?: { expiresOn: number; key: Promise<UserDelegationKey> };

  constructor(
    loc: AzureLocation,
    private readonly service: BlobServiceClient = azureClientFromEnv(loc),
    private readonly opts: CloudStoreOptions = {},
  ) {
    this.base = loc.prefix === '' ? '' : `${loc.prefix}/`;
    this.root = loc.root;
    this.container = service.getContainerClient(loc.container);
  }

  private call<T>(op: () => Promise<T>): Promise<T> {
    return withRetry(op, failureOf, this.opts.retry);
  }

  private fail(op: string, rel: string, e: unknown): StorageError {
    const status = statusOf(e);
    const code = (e as { code?: unknown } | null)?.code;
    const file = displayPath(this.root, rel);
    // The error code (BlobNotFound, AuthorizationFailure, …) and status only: never the request.
    const what = typeof code === 'string' ? code : e instanceof Error ? e.name : 'Error';
    // No token at all is "credentials refused" too: no retry finds one.
    const noToken = e instanceof Error && CREDENTIAL_ERRORS.has(e.name);
    const hint = noToken
      ? ' (no usable credential: connection string, account key, SAS or DefaultAzureCredential)'
      : '';
    return new StorageError(
      `Azure ${op} failed for ${file}: ${what}${status ? ` (HTTP ${status})` : ''}${hint}`,
      {
        file,
        notFound: status === 404,
        permissionDenied: isDeniedStatus(status) || noToken,
        cause: e,
      },
    );
  }

  list(prefix: string, opts: { startAfter?: string } = {}): AsyncIterable<ObjectMeta> {
    // startFrom (inclusive) lets the service skip ahead; emulators ignore it and list from the
    // prefix: pagedListing's start-after comparison holds the contract either way.
    const startFrom = opts.startAfter === undefined ? undefined : this.base + opts.startAfter;
    return pagedListing(this.base, opts.startAfter, async (token) => {
      // A fresh page iterator per attempt: a retry must not resume a failed one.
      const pages = () =>
        this.container
          .listBlobsFlat({
            prefix: this.base + prefix,
            startFrom: token === undefined ? startFrom : undefined,
          })
          .byPage({ continuationToken: token, maxPageSize: this.opts.pageSize ?? PAGE_SIZE });
      let page: ContainerListBlobFlatSegmentResponse | undefined;
      try {
        page = (await this.call(() => pages().next())).value as
          ContainerListBlobFlatSegmentResponse | undefined;
      } catch (e) {
        throw this.fail('list', prefix, e);
      }
      if (!page) return { objects: [] };
      return {
        objects: page.segment.blobItems.map((b) => ({
          key: b.name,
          size: Number(b.properties.contentLength ?? 0),
          lastModified: b.properties.lastModified.getTime(),
        })),
        next: page.continuationToken,
      };
    });
  }

  async get(rel: string): Promise<Buffer> {
    try {
      return await this.call(async () => drain((await this.blob(rel).download()).readableStreamBody));
    } catch (e) {
      throw this.fail('get', rel, e);
    }
  }

  async getRange(rel: string, start: number, endExclusive: number): Promise<Buffer> {
    checkRange(rel, start, endExclusive);
    if (endExclusive === start) return Buffer.alloc(0);
    try {
      return await this.call(async () =>
        drain((await this.blob(rel).download(start, endExclusive - start)).readableStreamBody),
      );
    } catch (e) {
      // A range starting at or past the end is "unsatisfiable": that is an empty read, as on disk.
      if (statusOf(e) === RANGE_NOT_SATISFIABLE) return Buffer.alloc(0);
      throw this.fail('get', rel, e);
    }
  }

  async head(rel: string): Promise<ObjectMeta | null> {
    try {
      const p = await this.call(() => this.blob(rel).getProperties());
      return { path: rel, size: Number(p.contentLength ?? 0), lastModified: p.lastModified?.getTime() ?? 0 };
    } catch (e) {
      if (statusOf(e) === 404 && (e as { code?: unknown }).code !== 'ContainerNotFound') return null;
      throw this.fail('head', rel, e);
    }
  }

  async put(rel: string, body: Buffer | string): Promise<void> {
    try {
      await this.call(() => this.blob(rel).upload(body, Buffer.byteLength(body)));
    } catch (e) {
      throw this.fail('put', rel, e);
    }
  }

  async putIfAbsent(rel: string, body: Buffer | string): Promise<boolean> {
    try {
      await this.call(() =>
        this.blob(rel).upload(body, Buffer.byteLength(body), { conditions: { ifNoneMatch: '*' } }),
      );
      return true;
    } catch (e) {
      // 409 BlobAlreadyExists (the usual answer to If-None-Match: *), or 412 ConditionNotMet.
      const status = statusOf(e);
      if (status === 409 || status === 412) return false;
      throw this.fail('put', rel, e);
    }
  }

  async delete(rel: string): Promise<void> {
    try {
      await this.call(() => this.blob(rel).deleteIfExists());
    } catch (e) {
      throw this.fail('delete', rel, e);
    }
  }

  /**
   * A read-only SAS URL for one blob. With the account key (connection string or
   * AZURE_STORAGE_KEY) a service SAS; with an Entra ID token credential (DefaultAzureCredential)
   * a user-delegation SAS, signed with a user delegation key the service hands out (the identity
   * needs `Microsoft.Storage/.../generateUserDelegationKey`, e.g. Storage Blob Delegator). A SAS
   * token cannot sign further SAS URLs: that is a StorageError, and the token is never passed on.
   */
  async signedUrl(rel: string, expiresInSeconds: number): Promise<string> {
    const blob = this.blob(rel);
    const file = displayPath(this.root, rel);
    const expiresOn = new Date(Date.now() + expiresInSeconds * 1000);
    const options = { permissions: BlobSASPermissions.parse('r'), expiresOn };
    if (blob.credential instanceof StorageSharedKeyCredential) return blob.generateSasUrl(options);
    if (blob.credential instanceof AnonymousCredential) {
      throw new StorageError(
        `cannot sign a URL for ${file}: SAS signing needs an account key or an Entra ID credential, not a SAS token`,
        { file },
      );
    }
    if (expiresInSeconds * 1000 > MAX_DELEGATION_MS) {
      throw new DeltaSqlError(
        'InvalidArgument',
        `a user-delegation SAS lasts at most 7 days (asked: ${expiresInSeconds} s)`,
      );
    }
    try {
      const key = await this.delegationKey(expiresOn);
      return await blob.generateUserDelegationSasUrl({ ...options, version: DELEGATION_SAS_VERSION }, key);
    } catch (e) {
      throw this.fail('sign', rel, e);
    }
  }

  /**
   * A user delegation key valid until at least `until`: one request per store, reused for every
   * URL it covers (a Sharing query signs one URL per file), renewed when a URL would outlive it.
   */
  private delegationKey(until: Date): Promise<UserDelegationKey> {
    const held = this.delegation;
    if (held && held.expiresOn >= until.getTime()) return held.key;
    const now = Date.now();
    const expiresOn = Math.min(now + MAX_DELEGATION_MS, Math.max(until.getTime(), now + DELEGATION_MS));
    const key = this.call(() =>
      this.service.getUserDelegationKey(new Date(now - CLOCK_SKEW_MS), new Date(expiresOn)),
    );
    this.delegation = { expiresOn, key };
    key.catch(() => {
      if (this.delegation?.key === key) this.delegation = undefined;
    });
    return key;
  }

  private blob(rel: string) {
    return this.container.getBlockBlobClient(this.base + rel);
  }
}
