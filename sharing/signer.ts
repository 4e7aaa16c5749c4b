/**
 * Expiring URLs for the data files a response names. A table on S3 gets S3 pre-signed GetObject
 * URLs (the store's own `signedUrl` when it has one, else @aws-sdk/s3-request-presigner with the
 * same client settings as the S3 store). A local table gets URLs of this server's own file route,
 * signed with HMAC-SHA256 over (catalog table id, file reference, expiry): the server only ever
 * signs files it put in a response, so a valid signature is the proof that the file may be read.
 *
 * The signature parameter is named `X-Amz-Signature` on purpose: delta-kernel, which the Python
 * client uses for the delta response format, fetches a file over HTTP only when its URL carries a
 * signature parameter it recognises; any other URL it resolves as a path on the local disk.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ObjectStore } from '../storage/object-store';
import { s3ClientFromEnv } from '../storage/s3-store';
import { parseS3Uri } from '../storage/uri';

export const SIG_PARAM = 'X-Amz-Signature';
export const EXP_PARAM = 'exp';

/** Where one data or deletion-vector file lives, relative to its table or absolute. */
export type FileRef = { kind: 'relative'; path: string } | { kind: 'absolute'; uri: string };

/** Optional ObjectStore capability (storage contract, issue 20): a pre-signed GET URL. */
type SigningStore = ObjectStore & { signedUrl?: (path: string, expiresInSeconds: number) => Promise<string> };

export class UrlSigner {
  private readonly secret: Buffer;
  private s3: S3Client | undefined;

  constructor(
    readonly ttlSeconds: number,
    secret?: Buffer,
  ) {
    this.secret = secret ?? randomBytes(32);
  }

  private mac(tableId: string, ref: string, exp: number): Buffer {
    return createHmac('sha256', this.secret).update(`${tableId}\n${ref}\n${exp}`).digest();
  }

  /** Reference string carried in a local file URL: a relative path, or an absolute path with '/'. */
  static refString(ref: FileRef): string {
    return ref.kind === 'relative' ? ref.path : ref.uri;
  }

  /** Path and query (below the base path) of the local file route for one file. */
  localPath(tableId: string, ref: FileRef, now = Date.now()): { path: string; expiresAt: number } {
    const exp = now + this.ttlSeconds * 1000;
    const r = UrlSigner.refString(ref);
    const sig = this.mac(tableId, r, exp).toString('hex');
    return {
      path: `/files/${encodeURIComponent(tableId)}/${encodeURIComponent(r)}?${EXP_PARAM}=${exp}&${SIG_PARAM}=${sig}`,
      expiresAt: exp,
    };
  }

  /** 'ok', or why the signed local URL is refused (both answer 403). */
  verify(tableId: string, ref: string, exp: string | undefined, sig: string | undefined): 'ok' | string {
    if (!exp || !/^\d{1,16}$/.test(exp) || !sig || !/^[0-9a-f]{64}$/.test(sig)) return 'missing signature';
    const expected = this.mac(tableId, ref, Number(exp));
    if (!timingSafeEqual(expected, Buffer.from(sig, 'hex'))) return 'bad signature';
    if (Number(exp) < Date.now()) return 'expired';
    return 'ok';
  }

  /** Pre-signed URL of an object in an S3 table (`location` is the table's s3:// root). */
  async s3Url(store: ObjectStore, location: string, ref: FileRef): Promise<string> {
    const s = store as SigningStore;
    if (ref.kind === 'relative' && typeof s.signedUrl === 'function')
      return s.signedUrl(ref.path, this.ttlSeconds);
    const { bucket, prefix } =
      ref.kind === 'absolute'
        ? parseS3Uri(ref.uri)
        : ((l) => ({ bucket: l.bucket, prefix: l.prefix }))(parseS3Uri(location));
    const key = ref.kind === 'absolute' ? prefix : prefix === '' ? ref.path : `${prefix}/${ref.path}`;
    this.s3 ??= s3ClientFromEnv();
    return getSignedUrl(this.s3, new GetObjectCommand({ Bucket: bucket, Key: key }), {
      expiresIn: this.ttlSeconds,
    });
  }

  close(): void {
    this.s3?.destroy();
  }
}
