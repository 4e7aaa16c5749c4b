/**
 * ObjectStore over the local file system, for plain paths and decoded file:// URIs. Listing walks
 * the directory holding the prefix so results match S3's flat, lexicographic key listing.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { type ObjectMeta, type ObjectStore, checkRange } from './object-store';
import { StorageError, displayPath } from './storage-error';

const NOT_FOUND_CODES = new Set(['ENOENT', 'ENOTDIR']);
const STAT_CONCURRENCY = 64;
/** put-if-absent's temp files: `<name>.<pid>.<12 hex>.tmp`. */
const TEMP_FILE = /\.(\d+)\.[0-9a-f]{12}\.tmp$/;
/** Folders already swept of dead writers' temp files by this process. */
const swept = new Set<string>();

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * A writer killed between writing its temp file and removing it (SIGKILL, power loss) leaves the
 * temp behind. Readers ignore it, but it is litter: the first put-if-absent of a process into a
 * folder removes the temps of writers that are no longer running (local disk: same host).
 */
async function sweepDeadTemps(dir: string): Promise<void> {
  if (swept.has(dir)) return;
  swept.add(dir);
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const pid = TEMP_FILE.exec(name)?.[1];
    if (pid !== undefined && Number(pid) !== process.pid && !isAlive(Number(pid)))
      await fsp.rm(path.join(dir, name), { force: true }).catch(() => undefined);
  }
}

/** A failure of the body a caller streams into `putStream`, told apart from the disk's own. */
class BodyFailure {
  constructor(readonly cause: unknown) {}
}

export class LocalStore implements ObjectStore {
  readonly root: string;
  constructor(dir: string) {
    this.root = path.resolve(dir);
  }

  private abs(rel: string): string {
    return path.join(this.root, ...rel.split('/').filter((s) => s !== ''));
  }

  private fail(op: string, rel: string, e: unknown): StorageError {
    const code = (e as NodeJS.ErrnoException)?.code ?? '';
    const file = displayPath(this.root, rel);
    return new StorageError(`${op} failed for ${file}: ${code || String(e)}`, {
      file,
      notFound: NOT_FOUND_CODES.has(code),
      permissionDenied: code === 'EACCES' || code === 'EPERM',
      cause: e,
    });
  }

  async *list(prefix: string, opts: { startAfter?: string } = {}): AsyncIterable<ObjectMeta> {
    const slash = prefix.lastIndexOf('/');
    const dirRel = slash >= 0 ? prefix.slice(0, slash) : '';
    const wanted = (rel: string): boolean =>
      rel.startsWith(prefix) && (opts.startAfter === undefined || rel > opts.startAfter);
    // Skip whole folders that cannot hold a wanted path, so listing from a late version stays cheap.
    const mayHold = (dir: string): boolean => {
      const d = `${dir}/`;
      if (!d.startsWith(prefix) && !prefix.startsWith(d)) return false;
      const after = opts.startAfter;
      return after === undefined || after.startsWith(d) || d > after;
    };
    // Names first (readdir is cheap), then stat in sorted order a window at a time, so a caller
    // that stops early (DeltaTable.open looks for the first log file) pays for one window only.
    const names: string[] = [];
    await this.walk(dirRel, names, wanted, mayHold);
    names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (let i = 0; i < names.length; i += STAT_CONCURRENCY) {
      yield* await this.statAll(names.slice(i, i + STAT_CONCURRENCY));
    }
  }

  /** Collect the paths of files under dirRel that pass `wanted`. */
  private async walk(
    dirRel: string,
    out: string[],
    wanted: (rel: string) => boolean,
    mayHold: (dir: string) => boolean,
  ): Promise<void> {
    let entries;
    try {
      entries = await fsp.readdir(this.abs(dirRel), { withFileTypes: true });
    } catch (e) {
      if (NOT_FOUND_CODES.has((e as NodeJS.ErrnoException)?.code ?? '')) return;
      throw this.fail('list', dirRel, e);
    }
    for (const e of entries) {
      const rel = dirRel === '' ? e.name : `${dirRel}/${e.name}`;
      if (e.isDirectory()) {
        if (mayHold(rel)) await this.walk(rel, out, wanted, mayHold);
      } else if (e.isFile() && wanted(rel)) out.push(rel);
    }
  }

  /** Stat concurrently; a file removed since readdir (log cleanup racing the listing) is left out. */
  private async statAll(rels: string[]): Promise<ObjectMeta[]> {
    const stats = await Promise.all(
      rels.map((rel) =>
        fsp.stat(this.abs(rel)).catch((e: NodeJS.ErrnoException) => {
          if (NOT_FOUND_CODES.has(e?.code ?? '')) return null;
          throw this.fail('stat', rel, e);
        }),
      ),
    );
    const out: ObjectMeta[] = [];
    rels.forEach((rel, k) => {
      const st = stats[k];
      if (st) out.push({ path: rel, size: st.size, lastModified: Math.floor(st.mtimeMs) });
    });
    return out;
  }

  async get(rel: string): Promise<Buffer> {
    try {
      return await fsp.readFile(this.abs(rel));
    } catch (e) {
      throw this.fail('read', rel, e);
    }
  }

  async getRange(rel: string, start: number, endExclusive: number): Promise<Buffer> {
    checkRange(rel, start, endExclusive);
    const len = endExclusive - start;
    if (len === 0) return Buffer.alloc(0);
    let fh;
    try {
      fh = await fsp.open(this.abs(rel), 'r');
      // Own ArrayBuffer (not the shared pool), so consumers can hand it on without copying.
      const buf = Buffer.allocUnsafeSlow(len);
      let got = 0;
      while (got < len) {
        const { bytesRead } = await fh.read(buf, got, len - got, start + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === len ? buf : buf.subarray(0, got);
    } catch (e) {
      throw this.fail('read', rel, e);
    } finally {
      await fh?.close();
    }
  }

  async head(rel: string): Promise<ObjectMeta | null> {
    try {
      const st = await fsp.stat(this.abs(rel));
      if (!st.isFile()) return null;
      return { path: rel, size: st.size, lastModified: Math.floor(st.mtimeMs) };
    } catch (e) {
      if (NOT_FOUND_CODES.has((e as NodeJS.ErrnoException)?.code ?? '')) return null;
      throw this.fail('stat', rel, e);
    }
  }

  async put(rel: string, body: Buffer | string): Promise<void> {
    try {
      await fsp.mkdir(path.dirname(this.abs(rel)), { recursive: true });
      await fsp.writeFile(this.abs(rel), body);
    } catch (e) {
      throw this.fail('write', rel, e);
    }
  }

  async setModified(rel: string, modifiedMs: number): Promise<void> {
    // Seconds as a double lose the last ns digits (123 ms can land as 122.9999 ms, read back as
    // 122): aim at the middle of the millisecond so every reader's truncation gives it back.
    const t = (modifiedMs + 0.5) / 1000;
    try {
      await fsp.utimes(this.abs(rel), t, t);
    } catch (e) {
      throw this.fail('utimes', rel, e);
    }
  }

  async putIfAbsent(rel: string, body: Buffer | string): Promise<boolean> {
    const target = this.abs(rel);
    // Write the whole body to a unique temp file first, then link() it into place: link fails with
    // EEXIST when the target exists, so readers never see a partial object and no writer wins twice.
    const tmp = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await fsp.mkdir(path.dirname(target), { recursive: true });
      await sweepDeadTemps(path.dirname(target));
      await fsp.writeFile(tmp, body, { flag: 'wx' });
      return await linkIfAbsent(tmp, target);
    } catch (e) {
      throw this.fail('write', rel, e);
    } finally {
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
    }
  }

  async putStream(
    rel: string,
    body: AsyncIterable<Uint8Array>,
    opts: { ifAbsent: boolean },
  ): Promise<boolean> {
    const target = this.abs(rel);
    const tmp = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    let fh;
    try {
      await fsp.mkdir(path.dirname(target), { recursive: true });
      // Already there: no need to write the whole body only to find out at link().
      if (opts.ifAbsent && (await this.head(rel)) !== null) return false;
      await sweepDeadTemps(path.dirname(target));
      fh = await fsp.open(tmp, 'wx');
      const it = body[Symbol.asyncIterator]();
      for (;;) {
        const next = await it.next().catch((e: unknown) => Promise.reject(new BodyFailure(e)));
        if (next.done) break;
        const chunk = next.value;
        for (let off = 0; off < chunk.length;) {
          off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
        }
      }
      await fh.close();
      fh = undefined;
      if (!opts.ifAbsent) {
        await fsp.rename(tmp, target);
        return true;
      }
      return await linkIfAbsent(tmp, target);
    } catch (e) {
      // The body's own failure (its size/sha256 check, a catalog read) passes through as it is.
      if (e instanceof BodyFailure) throw e.cause;
      if (e instanceof StorageError) throw e;
      throw this.fail('write', rel, e);
    } finally {
      await fh?.close().catch(() => undefined);
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
    }
  }

  async delete(rel: string): Promise<void> {
    try {
      await fsp.rm(this.abs(rel), { force: true });
    } catch (e) {
      throw this.fail('delete', rel, e);
    }
    // Object stores have no empty folders: prune the ones this delete emptied, up to the root.
    for (
      let dir = path.dirname(this.abs(rel));
      dir.startsWith(this.root + path.sep);
      dir = path.dirname(dir)
    ) {
      try {
        await fsp.rmdir(dir);
      } catch {
        break; // not empty (or already gone): stop
      }
    }
  }
}

/** Make the finished temp file `tmp` visible as `target` unless it exists (link fails with EEXIST). */
async function linkIfAbsent(tmp: string, target: string): Promise<boolean> {
  try {
    await fsp.link(tmp, target);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException)?.code === 'EEXIST') return false;
    throw e;
  }
}
