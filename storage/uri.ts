/**
 * Turn a table URI into an ObjectStore: plain paths and file:// go to local disk (file URIs are
 * percent-decoded), s3:// and s3a:// go to S3. Anything else is an InvalidUri error up front,
 * rather than a confusing "table not found" later.
 */
import { fileURLToPath } from 'node:url';
import { DeltaSqlError } from '../common/errors';
import { LocalStore } from './local-store';
import type { ObjectStore } from './object-store';
import { S3Store } from './s3-store';

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;
const S3_SCHEMES = new Set(['s3', 's3a']);
/** A drive letter like "C:" is a path, not a scheme. */
const WINDOWS_DRIVE = /^[a-zA-Z]:[\\/]/;

const invalid = (uri: string, why: string): DeltaSqlError =>
  new DeltaSqlError('InvalidUri', `invalid table URI "${uri}": ${why}`, { file: uri });

export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const m = /^s3a?:\/\/([^/]*)(\/.*)?$/.exec(uri);
  if (!m) throw invalid(uri, 'expected s3://bucket/path');
  const bucket = m[1];
  if (bucket === '') throw invalid(uri, 'empty bucket name');
  if (!/^[a-z0-9][a-z0-9.\-_]{1,254}$/.test(bucket)) throw invalid(uri, `bad bucket name "${bucket}"`);
  const prefix = (m[2] ?? '').replace(/^\/+/, '').replace(/\/+$/, '');
  return { bucket, prefix };
}

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
  if (S3_SCHEMES.has(scheme)) return new S3Store(parseS3Uri(uri));
  throw invalid(uri, `unsupported scheme "${scheme}:" (use a path, file:// or s3://)`);
}
