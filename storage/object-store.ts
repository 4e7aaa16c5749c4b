/**
 * The narrow storage surface the Delta reader needs. Paths are relative to the table root and use
 * '/' separators; listing is lexicographic, which for zero-padded log names is version order.
 * Implementations: local disk (plain paths, file://), S3 (s3://, custom endpoint, path style), GCS
 * (gs://) and Azure Blob (az://, abfss://, https://<account>.blob.core.windows.net); storage/uri.ts
 * picks one by scheme. Failures are StorageError (`notFound`, `permissionDenied`); the cloud
 * stores retry throttling and 5xx answers per storage/retry.ts before they give up.
 */
export interface ObjectMeta {
  /** Relative to the store root, e.g. "_delta_log/00000000000000000003.json". */
  path: string;
  size: number;
  /** Milliseconds since the epoch. */
  lastModified: number;
}

export interface ObjectStore {
  /** Display form of the root (URI without credentials), used in messages. */
  readonly root: string;
  /** Objects whose path starts with `prefix`, sorted by path; only those > startAfter when given. */
  list(prefix: string, opts?: { startAfter?: string }): AsyncIterable<ObjectMeta>;
  /** Whole object. Throws StorageError; a missing object throws with `notFound: true`. */
  get(path: string): Promise<Buffer>;
  /**
   * Bytes [start, endExclusive) of an object; fewer only when the object ends first. Optional:
   * readers of large files (parquet checkpoints) use it to stay within bounded memory and fall
   * back to `get` without it. Throws like `get` (`notFound: true` when missing).
   */
  getRange?(path: string, start: number, endExclusive: number): Promise<Buffer>;
  /** Metadata, or null when the object does not exist. */
  head(path: string): Promise<ObjectMeta | null>;
  put(path: string, body: Buffer | string): Promise<void>;
  /**
   * Create the object only if no object exists at `path` (the Delta commit primitive: a version
   * file is written exactly once). Returns true when this call created it, false when an object
   * was already there (nothing is written; the caller compares bytes). Never a partial object:
   * local disk writes a temp file and link()s it, S3 sends `If-None-Match: *`.
   */
  putIfAbsent(path: string, body: Buffer | string): Promise<boolean>;
  /**
   * Write an object from a stream of chunks too large to hold (a huge commit file), visible only
   * once the whole body is in and the iterable ended without throwing: a throw (the caller's
   * size/sha256 check, a failed read) aborts and leaves nothing. With `ifAbsent` it is
   * put-if-absent (false, nothing written, when an object exists), else it replaces the object.
   * Optional: local disk (temp file, then link/rename) and S3 (multipart upload, completed with
   * `If-None-Match: *`); without it, callers hold the body in memory for `putIfAbsent`.
   */
  putStream?(path: string, body: AsyncIterable<Uint8Array>, opts: { ifAbsent: boolean }): Promise<boolean>;
  /** Remove the object; removing an absent object is not an error. */
  delete(path: string): Promise<void>;
  /**
   * Set the object's modification time (ms since the epoch). Optional: only local disk can
   * (utimes). S3, GCS and Azure stamp Last-Modified themselves at write time and offer no call to
   * change it. The log writer uses it to give exported commits their source's timestamps, which
   * Delta readers take as commit times when in-commit timestamps are off.
   */
  setModified?(path: string, modifiedMs: number): Promise<void>;
  /**
   * An expiring URL that lets anyone holding it GET the object (Delta Sharing hands these out).
   * Optional: local disk has none. S3 signs SigV4 with the default chain, GCS a V4 URL (needs a
   * service-account key or IAM signBlob), Azure a read-only SAS (a service SAS with the account
   * key, or a user-delegation SAS with an Entra ID token credential).
   */
  signedUrl?(path: string, expiresInSeconds: number): Promise<string>;
}

/** Reject nonsensical byte ranges before any I/O (a programming error, not a storage failure). */
export function checkRange(rel: string, start: number, endExclusive: number): void {
  if (
    !Number.isSafeInteger(start) ||
    !Number.isSafeInteger(endExclusive) ||
    start < 0 ||
    endExclusive < start
  ) {
    throw new RangeError(`invalid byte range [${start}, ${endExclusive}) for ${rel}`);
  }
}
