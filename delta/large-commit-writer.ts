/**
 * Writing a commit file too large to hold as one string or buffer (a >512 MiB CONVERT TO DELTA
 * commit, issue 14): the bytes come as a stream of chunks (rebuilt from the catalog's lines and
 * framing, catalog/raw-commits.ts), are hashed as they pass, and the file only becomes visible
 * when the whole body is in and its size and sha256 equal the catalog's record. The write keeps
 * log-writer.ts's rules: put-if-absent, the same bytes already there is 'identical', other bytes
 * a VersionConflict unless `overwrite`, and nothing half-written on any failure.
 *
 * Stores with `putStream` (local disk: temp file + link; S3: multipart upload completed with
 * `If-None-Match: *`) write it in bounded memory. Stores without one (GCS, Azure today) cannot do
 * a conditional streamed put here; the safe choice is the same conditional `putIfAbsent` with the
 * verified body gathered in one Buffer (memory of the file's size, never a string).
 */
import { createHash } from 'node:crypto';
import { DeltaSqlError } from '../common/errors';
import type { ObjectStore } from '../storage/object-store';
import { displayPath, isNotFound } from '../storage/storage-error';
import { commitPath } from './log-path';
import { stampCommit, versionConflict, type CommitWriteOptions, type WriteOutcome } from './log-writer';

/** A commit's bytes as a stream, with the size and sha256 they must have. */
export interface StreamedCommitBody {
  size: number;
  sha256: string;
  /** A fresh stream of the bytes each call (a retry or overwrite reads them again). */
  chunks(): AsyncIterable<Buffer>;
}

/** Bytes read per request when hashing an existing file. */
const COMPARE_BYTES = 8 * 1024 * 1024;

/** The body, checked on the way: more bytes than recorded fail at once, a wrong sha256 at the end. */
async function* verified(body: StreamedCommitBody, file: string, beat: () => void): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of body.chunks()) {
    size += chunk.length;
    if (size > body.size) throw mismatch(file, body, `more than ${body.size} bytes`);
    hash.update(chunk);
    beat();
    yield chunk;
  }
  const sha = hash.digest('hex');
  if (size !== body.size || sha !== body.sha256) {
    throw mismatch(file, body, `${size} bytes with sha256 ${sha.slice(0, 12)}`);
  }
}

function mismatch(file: string, body: StreamedCommitBody, got: string): DeltaSqlError {
  return new DeltaSqlError(
    'CommitBytesMismatch',
    `the commit ${file} rebuilt from the catalog is ${got}, but was stored as ${body.size} bytes with sha256 ${body.sha256.slice(0, 12)}; nothing was written`,
    { file },
  );
}

async function gather(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts);
}

/** Write the verified body; with `ifAbsent`, false when an object is already there. */
async function put(
  store: ObjectStore,
  rel: string,
  body: AsyncIterable<Buffer>,
  ifAbsent: boolean,
): Promise<boolean> {
  if (store.putStream) return store.putStream(rel, body, { ifAbsent });
  const whole = await gather(body);
  if (ifAbsent) return store.putIfAbsent(rel, whole);
  await store.put(rel, whole);
  return true;
}

/** Whether the object at `rel` has this size and sha256 (null: it is gone), read in bounded ranges. */
async function sameBytes(store: ObjectStore, rel: string, body: StreamedCommitBody): Promise<boolean | null> {
  const meta = await store.head(rel);
  if (meta === null) return null;
  if (meta.size !== body.size) return false;
  const hash = createHash('sha256');
  try {
    if (!store.getRange) hash.update(await store.get(rel));
    else {
      for (let off = 0; off < meta.size; off += COMPARE_BYTES) {
        hash.update(await store.getRange(rel, off, Math.min(meta.size, off + COMPARE_BYTES)));
      }
    }
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
  return hash.digest('hex') === body.sha256;
}

/**
 * Write commit `version` from a stream (see the file comment). `beat` is called per chunk, so a
 * long write can heartbeat. Outcomes as `writeCommit`: created, identical, overwritten, or a
 * VersionConflict naming the file.
 */
export async function writeCommitStream(
  store: ObjectStore,
  version: number,
  body: StreamedCommitBody,
  opts: CommitWriteOptions = {},
  beat: () => void = () => undefined,
): Promise<WriteOutcome> {
  const rel = commitPath(version);
  const file = displayPath(store.root, rel);
  let outcome: WriteOutcome | null = null;
  for (let attempt = 0; attempt < 3 && outcome === null; attempt++) {
    if (await put(store, rel, verified(body, file, beat), true)) outcome = 'created';
    else {
      const same = await sameBytes(store, rel, body);
      if (same === null) continue; // deleted between the create and the read: create again
      if (same) outcome = 'identical';
      else if (!opts.overwrite) throw versionConflict(store, version);
      else {
        await put(store, rel, verified(body, file, beat), false);
        outcome = 'overwritten';
      }
    }
  }
  if (outcome === null) throw new DeltaSqlError('StorageError', `${file} keeps appearing and vanishing`);
  await stampCommit(store, version, outcome, opts);
  return outcome;
}
