/**
 * Expiring URLs for the data files a response names. A table on an object store (s3://, gs://,
 * az://) gets that store's own pre-signed GET URLs; a file named by an absolute URI is signed by
 * a store opened on its folder, whatever its scheme. A local table gets URLs of this server's own file route,
 * signed with HMAC-SHA256 over (catalog table id, file reference, expiry): the server only ever
 * signs files it put in a response, so a valid signature is the proof that the file may be read.
 *
 * The signature parameter is named `X-Amz-Signature` on purpose: delta-kernel, which the Python
 * client uses for the delta response format, fetches a file over HTTP only when its URL carries a
 * signature parameter it recognises; any other URL it resolves as a path on the local disk.
 */
import { createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DeltaSqlError } from '../common/errors';
import type { ObjectStore } from '../storage/object-store';
import { openStore } from '../storage/uri';

export const SIG_PARAM = 'X-Amz-Signature';
export const EXP_PARAM = 'exp';

/** Where one data or deletion-vector file lives, relative to its table or absolute. */
export type FileRef = { kind: 'relative'; path: string } | { kind: 'absolute'; uri: string };

/** Stores opened for absolute file URIs, one per folder; a table's files live in a few folders. */
const MAX_FOLDER_STORES = 256;

/**
 * HMAC-SHA256 (RFC 2104) built from two one-shot `crypto.hash` calls, which cost a fraction of a
 * `createHmac` object per file (a query answer signs every file it names). The 64-byte key has
 * every byte below 0x80, so the inner pad is an ASCII string that prefixes the message without a
 * Buffer copy; the result equals `createHmac('sha256', key).update(msg)` (test/sharing/signer).
 */
export class FastHmac {
  private readonly innerPad: string;
  private readonly outer = Buffer.alloc(96);

  constructor(key: Buffer) {
    if (key.length !== 64 || key.some((b) => b >= 0x80))
      throw new Error('FastHmac needs 64 bytes below 0x80');
    this.innerPad = String.fromCharCode(...key.map((b) => b ^ 0x36));
    for (let i = 0; i < 64; i++) this.outer[i] = key[i] ^ 0x5c;
  }

  /** A key for FastHmac derived from any secret (448 bits: 7 of every 8). */
  static deriveKey(secret: Buffer, purpose: string): Buffer {
    return Buffer.from(
      createHmac('sha512', secret)
        .update(purpose)
        .digest()
        .map((b) => b & 0x7f),
    );
  }

  digest(msg: string): Buffer {
    hash('sha256', this.innerPad + msg, 'buffer').copy(this.outer, 64);
    return hash('sha256', this.outer, 'buffer');
  }
}

export class UrlSigner {
  private readonly hmac: FastHmac;
  private readonly folders = new Map<string, ObjectStore>();

  constructor(
    readonly ttlSeconds: number,
    secret?: Buffer,
  ) {
    this.hmac = new FastHmac(FastHmac.deriveKey(secret ?? randomBytes(32), 'deltasql sharing file urls'));
  }

  private mac(tableId: string, ref: string, exp: number): Buffer {
    return this.hmac.digest(`${tableId}\n${ref}\n${exp}`);
  }

  /** Reference string carried in a local file URL: a relative path, or an absolute path with '/'. */
  static refString(ref: FileRef): string {
    return ref.kind === 'relative' ? ref.path : ref.uri;
  }

  /** Path and query (below the base path) of the local file route for one file. */
  localPath(tableId: string, ref: FileRef, now = Date.now()): { path: string; expiresAt: number } {
    const exp = now + this.ttlSeconds * 1000;
    return { path: this.localPaths(tableId, exp)(ref), expiresAt: exp };
  }

  /** `localPath` for many files of one table with one expiry: the constant parts built once. */
  localPaths(tableId: string, exp: number): (ref: FileRef) => string {
    const head = `/files/${encodeURIComponent(tableId)}/`;
    const tail = `?${EXP_PARAM}=${exp}&${SIG_PARAM}=`;
    const macHead = `${tableId}\n`;
    const macTail = `\n${exp}`;
    return (ref) => {
      const r = UrlSigner.refString(ref);
      return head + encodeURIComponent(r) + tail + this.hmac.digest(macHead + r + macTail).toString('hex');
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

  /** Pre-signed URL of a data file of a table on an object store (`store` is the table's root). */
  async remoteUrl(store: ObjectStore, ref: FileRef): Promise<string> {
    if (ref.kind === 'relative') return this.presign(store, ref.path);
    const slash = ref.uri.lastIndexOf('/');
    const folder = ref.uri.slice(0, slash);
    let s = this.folders.get(folder);
    if (s === undefined) {
      if (this.folders.size >= MAX_FOLDER_STORES) this.folders.clear();
      this.folders.set(folder, (s = openStore(folder)));
    }
    return this.presign(s, ref.uri.slice(slash + 1));
  }

  private presign(store: ObjectStore, rel: string): Promise<string> {
    if (store.signedUrl === undefined) {
      throw new DeltaSqlError('UnsupportedFeature', `${store.root} cannot sign URLs for ${rel}`);
    }
    return store.signedUrl(rel, this.ttlSeconds);
  }

  close(): void {
    this.folders.clear();
  }
}
