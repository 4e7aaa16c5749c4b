/**
 * Turn a table URI into an ObjectStore, by one rule for every scheme: plain paths and file:// go to
 * local disk (file URIs are percent-decoded); s3:// and s3a:// to S3; gs:// to GCS; az://,
 * abfs[s]://container@account.dfs.core.windows.net and https://account.blob.core.windows.net to
 * Azure Blob. Anything else is an InvalidUri error up front, rather than a confusing "table not
 * found" later. A URI names a location only, never a credential.
 */
import { fileURLToPath } from 'node:url';
import { DeltaSqlError } from '../common/errors';
import type { AzureLocation } from './azure-store';
import { LocalStore } from './local-store';
import type { ObjectStore } from './object-store';

// Each cloud SDK takes about a second to load: a store's module is required only when a URI of
// its scheme is opened, so commands on local tables (and workers that never see gs://) skip it.
const s3 = (): typeof import('./s3-store') => require('./s3-store');
const gcs = (): typeof import('./gcs-store') => require('./gcs-store');
const azure = (): typeof import('./azure-store') => require('./azure-store');

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;
/** A drive letter like "C:" is a path, not a scheme. */
const WINDOWS_DRIVE = /^[a-zA-Z]:[\\/]/;
/** Bucket (container) names each service accepts. */
const S3_BUCKET = /^[a-z0-9][a-z0-9.\-_]{1,254}$/;
const GCS_BUCKET = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;
const AZURE_CONTAINER = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const AZURE_ACCOUNT = /^[a-z0-9]{3,24}$/;
const AZURE_HOST = /^([a-z0-9]+)\.(?:blob|dfs)\.core\.windows\.net$/;

/** A refused URI may hold a SAS query or a password: neither is repeated in the message. */
const redact = (uri: string): string =>
  uri.replace(/\?.*$/s, '?…').replace(/^([^:/]*:\/\/[^/@:]*):[^/@]*@/, '$1:…@');

const invalid = (uri: string, why: string): DeltaSqlError => {
  const shown = redact(uri);
  return new DeltaSqlError('InvalidUri', `invalid table URI "${shown}": ${why}`, { file: shown });
};

const trimSlashes = (p: string | undefined): string => (p ?? '').replace(/^\/+/, '').replace(/\/+$/, '');

/** scheme://bucket/prefix, the bucket checked against the service's naming rule. */
function parseBucketUri(uri: string, form: string, rule: RegExp): { bucket: string; prefix: string } {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/]*)(\/.*)?$/.exec(uri);
  if (!m) throw invalid(uri, `expected ${form}`);
  const bucket = m[1];
  if (bucket === '') throw invalid(uri, 'empty bucket name');
  if (!rule.test(bucket)) throw invalid(uri, `bad bucket name "${bucket}"`);
  return { bucket, prefix: trimSlashes(m[2]) };
}

export const parseS3Uri = (uri: string): { bucket: string; prefix: string } =>
  parseBucketUri(uri, 's3://bucket/path', S3_BUCKET);

export const parseGcsUri = (uri: string): { bucket: string; prefix: string } =>
  parseBucketUri(uri, 'gs://bucket/path', GCS_BUCKET);

/** az://container/path, abfs[s]://container@account.dfs.core.windows.net/path, https://account.blob.core.windows.net/container/path. */
export function parseAzureUri(uri: string): AzureLocation {
  const root = uri.replace(/\/+$/, '');
  const scheme = SCHEME.exec(uri)?.[1]?.toLowerCase();
  let account: string | undefined;
  let container: string;
  let prefix: string;
  if (scheme === 'az') {
    ({ bucket: container, prefix } = parseBucketUri(uri, 'az://container/path', AZURE_CONTAINER));
  } else if (scheme === 'https') {
    // A SAS in the query or a user in the authority would put a secret in the URI: refused.
    let url: URL;
    try {
      url = new URL(uri);
      if (url.username !== '' || url.password !== '' || url.search !== '') throw new Error();
    } catch {
      throw invalid(uri, 'expected https://<account>.blob.core.windows.net/container/path (no query)');
    }
    account = AZURE_HOST.exec(url.hostname)?.[1];
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      throw invalid(uri, 'bad percent-encoding');
    }
    const [first, ...rest] = trimSlashes(path).split('/');
    [container, prefix] = [first ?? '', rest.join('/')];
  } else {
    const m = /^abfss?:\/\/([^@/]*)@([^/]*)(\/.*)?$/i.exec(uri);
    if (!m) throw invalid(uri, 'expected abfss://container@<account>.dfs.core.windows.net/path');
    account = AZURE_HOST.exec(m[2].toLowerCase())?.[1];
    [container, prefix] = [m[1], trimSlashes(m[3])];
  }
  if (scheme !== 'az' && account === undefined) {
    throw invalid(uri, 'expected an <account>.blob.core.windows.net or <account>.dfs.core.windows.net host');
  }
  if (account !== undefined && !AZURE_ACCOUNT.test(account))
    throw invalid(uri, `bad account name "${account}"`);
  if (!AZURE_CONTAINER.test(container)) throw invalid(uri, `bad container name "${container}"`);
  return { account, container, prefix, root };
}

/**
 * Refuse a URI that carries a secret (a password in the authority, or a query such as a SAS
 * token) before it can reach a workflow input or a log. Callers that pass a location on to a
 * workflow call this first; credentials belong in the environment of the worker.
 */
export function refuseSecretInUri(uri: string): void {
  if (
    /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/@:]*:[^/@]*@/.test(uri) ||
    (/^https:/i.test(uri) && uri.includes('?'))
  ) {
    throw invalid(
      uri,
      'a table URI carries no credentials: set them in the environment (see README, Stores)',
    );
  }
}

const OPENERS: Record<string, (uri: string) => ObjectStore> = {
  s3: (u) => new (s3().S3Store)(parseS3Uri(u)),
  s3a: (u) => new (s3().S3Store)(parseS3Uri(u)),
  gs: (u) => new (gcs().GcsStore)(parseGcsUri(u)),
  az: (u) => new (azure().AzureStore)(parseAzureUri(u)),
  abfs: (u) => new (azure().AzureStore)(parseAzureUri(u)),
  abfss: (u) => new (azure().AzureStore)(parseAzureUri(u)),
  https: (u) => new (azure().AzureStore)(parseAzureUri(u)),
};

export function openStore(uri: string): ObjectStore {
  if (typeof uri !== 'string' || uri.trim() === '') throw invalid(String(uri), 'empty URI');
  const scheme = SCHEME.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined || WINDOWS_DRIVE.test(uri)) return new LocalStore(uri);
  if (scheme === 'file') {
    let p: string;
    try {
      p = fileURLToPath(uri);
    } catch (e) {
      throw invalid(uri, e instanceof Error ? e.message : String(e));
    }
    return new LocalStore(p);
  }
  const open = Object.hasOwn(OPENERS, scheme) ? OPENERS[scheme] : undefined;
  if (open === undefined) {
    throw invalid(
      uri,
      `unsupported scheme "${scheme}:" (use a path, file://, s3://, gs://, az:// or abfss://)`,
    );
  }
  return open(uri);
}
