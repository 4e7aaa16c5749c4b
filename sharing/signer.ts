/**
 * Expiring URLs for the data files a response names. A table on an object store (s3://, gs://,
 * az://) gets that store's own pre-signed GET URLs; a file named by an absolute URI is signed by
 * a store opened on its folder, whatever its scheme. A local table gets URLs of this server's own
 * file route carrying two HMAC-SHA256 tags (truncated to 128 bits, RFC 2104), one per fact:
 * - `fs`, the file tag, over (catalog table id, file reference): this server put this file of
 *   this table in a response. It does not depend on the expiry, so an answer's lines, tags
 *   included, can be kept and re-used (sharing/answer-store.ts);
 * - `X-Amz-Signature`, the expiry tag, over (catalog table id, expiry): the URL was issued by
 *   this server for this table and lives until `exp`; one per response, not one per file.
 * The file route serves a file only when both tags verify and `exp` has not passed, so a URL is
 * unforgeable and expiring, and changing its table, file, expiry or either tag gives 403. Tags
 * from two answers about the same table also verify together: that still names a file of the
 * table the server listed, until an expiry it issued, which the holder could have asked for.
 *
 * The expiry tag is named `X-Amz-Signature` on purpose: delta-kernel, which the Python
 * client uses for the delta response format, fetches a file over HTTP only when its URL carries a
 * signature parameter it recognises; any other URL it resolves as a path on the local disk.
 */
import { createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DeltaSqlError } from '../common/errors';
import type { ObjectStore } from '../storage/object-store';
import { openStore } from '../storage/uri';

export const SIG_PARAM = 'X-Amz-Signature';
export const EXP_PARAM = 'exp';
export const FILE_TAG_PARAM = 'fs';

/** Hex digits of a truncated tag (128 bits). */
const TAG_HEX = 32;

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
  private readonly fileMac: FastHmac;
  private readonly expiryMac: FastHmac;
  private readonly folders = new Map<string, ObjectStore>();
  /** Names the file-tag key without revealing it: answers kept on disk are only valid for it. */
  readonly fileKeyId: string;

  constructor(
    readonly ttlSeconds: number,
    secret?: Buffer,
  ) {
    const s = secret ?? randomBytes(32);
    const fileKey = FastHmac.deriveKey(s, 'deltasql sharing file tags');
    this.fileMac = new FastHmac(fileKey);
    this.expiryMac = new FastHmac(FastHmac.deriveKey(s, 'deltasql sharing url expiry'));
    this.fileKeyId = hash('sha256', fileKey, 'hex').slice(0, 16);
  }

  private fileTag(tableId: string, ref: string): string {
    return this.fileMac.digest(`${tableId}\n${ref}`).toString('hex', 0, TAG_HEX / 2);
  }

  private expiryTag(tableId: string, exp: number): string {
    return this.expiryMac.digest(`${tableId}\n${exp}`).toString('hex', 0, TAG_HEX / 2);
  }

  /** Reference string carried in a local file URL: a relative path, or an absolute path with '/'. */
  static refString(ref: FileRef): string {
    return ref.kind === 'relative' ? ref.path : ref.uri;
  }

  /**
   * Local file URLs of one table in two parts: `file(ref)`, everything up to and including `exp=`
   * (the path and the file tag: a function of the file only), and `expiry`, what follows it (the
   * expiry and its tag: the same for every file of a response). A URL below the base path is
   * `file(ref) + expiry`.
   */
  localUrlParts(tableId: string, exp: number): { file: (ref: FileRef) => string; expiry: string } {
    const head = `/files/${encodeURIComponent(tableId)}/`;
    const mid = `?${FILE_TAG_PARAM}=`;
    const tail = `&${EXP_PARAM}=`;
    const macHead = `${tableId}\n`;
    return {
      file: (ref) => {
        const r = UrlSigner.refString(ref);
        const tag = this.fileMac.digest(macHead + r).toString('hex', 0, TAG_HEX / 2);
        return head + encodeURIComponent(r) + mid + tag + tail;
      },
      expiry: `${exp}&${SIG_PARAM}=${this.expiryTag(tableId, exp)}`,
    };
  }

  /** Path and query (below the base path) of the local file route, for many files of one table. */
  localPaths(tableId: string, exp: number): (ref: FileRef) => string {
    const { file, expiry } = this.localUrlParts(tableId, exp);
    return (ref) => file(ref) + expiry;
  }

  /** 'ok', or why the signed local URL is refused (all answer 403). */
  verify(
    tableId: string,
    ref: string,
    q: { fileTag?: string; exp?: string; sig?: string },
    now = Date.now(),
  ): 'ok' | string {
    const isTag = (t: string | undefined): t is string =>
      t !== undefined && t.length === TAG_HEX && /^[0-9a-f]+$/.test(t);
    const { fileTag, exp, sig } = q;
    if (!exp || !/^\d{1,16}$/.test(exp) || !isTag(fileTag) || !isTag(sig)) return 'missing signature';
    // Both comparisons always run: which tag was wrong is not observable in the timing.
    const fileOk = timingSafeEqual(
      Buffer.from(this.fileTag(tableId, ref), 'hex'),
      Buffer.from(fileTag, 'hex'),
    );
    const expOk = timingSafeEqual(
      Buffer.from(this.expiryTag(tableId, Number(exp)), 'hex'),
      Buffer.from(sig, 'hex'),
    );
    if (!fileOk || !expOk) return 'bad signature';
    if (Number(exp) < now) return 'expired';
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
