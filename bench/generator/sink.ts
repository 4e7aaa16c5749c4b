/**
 * Where generated log files go: a local directory (the default; commit mtimes are set to the
 * commit timestamp so version timestamps are deterministic) or any ObjectStore (S3, where the
 * store decides mtimes). Parquet checkpoints are streamed to disk locally and buffered for a store.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { DeltaSqlError } from '../../common/errors';
import type { ObjectStore } from '../../storage/object-store';

export interface LogSink {
  /** Display form of the table root. */
  readonly root: string;
  /** Write a whole file at `rel` (relative to the table root) with modification time `mtimeMs`. */
  put(rel: string, body: string | Buffer, mtimeMs: number): Promise<void>;
  /** A stream for a large file; `finish()` after the stream ended returns the file size. */
  openStream(rel: string): Promise<{ stream: Writable; finish(mtimeMs: number): Promise<number> }>;
  /** Paths (relative to the root) of files under `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  get(rel: string): Promise<Buffer>;
  /** Remove every file under `prefix` (used by --force on the log directory only). */
  clear(prefix: string): Promise<void>;
}

export class LocalSink implements LogSink {
  readonly root: string;
  private readonly made = new Set<string>();
  constructor(root: string) {
    this.root = path.resolve(root);
  }

  private full(rel: string): string {
    const p = path.join(this.root, rel);
    const dir = path.dirname(p);
    if (!this.made.has(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      this.made.add(dir);
    }
    return p;
  }

  async put(rel: string, body: string | Buffer, mtimeMs: number): Promise<void> {
    const p = this.full(rel);
    try {
      fs.writeFileSync(p, body);
      const t = new Date(mtimeMs);
      fs.utimesSync(p, t, t);
    } catch (e) {
      throw new DeltaSqlError('StorageError', `cannot write ${p}: ${(e as Error).message}`, {
        file: p,
        cause: e,
      });
    }
  }

  async openStream(rel: string): Promise<{ stream: Writable; finish(mtimeMs: number): Promise<number> }> {
    const p = this.full(rel);
    const stream = fs.createWriteStream(p);
    return {
      stream,
      finish: async (mtimeMs) => {
        const t = new Date(mtimeMs);
        fs.utimesSync(p, t, t);
        return fs.statSync(p).size;
      },
    };
  }

  async list(prefix: string): Promise<string[]> {
    const dir = path.join(this.root, prefix);
    if (!fs.existsSync(dir)) return [];
    return fs
      .readdirSync(dir)
      .sort()
      .map((f) => path.posix.join(prefix, f));
  }

  async get(rel: string): Promise<Buffer> {
    const p = path.join(this.root, rel);
    try {
      return fs.readFileSync(p);
    } catch (e) {
      throw new DeltaSqlError('StorageError', `cannot read ${p}: ${(e as Error).message}`, {
        file: p,
        cause: e,
      });
    }
  }

  async clear(prefix: string): Promise<void> {
    fs.rmSync(path.join(this.root, prefix), { recursive: true, force: true });
    this.made.clear();
  }
}

export class StoreSink implements LogSink {
  constructor(private readonly store: ObjectStore) {}
  get root(): string {
    return this.store.root;
  }
  async put(rel: string, body: string | Buffer): Promise<void> {
    await this.store.put(rel, body);
  }
  async openStream(rel: string): Promise<{ stream: Writable; finish(): Promise<number> }> {
    const chunks: Buffer[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk);
        cb();
      },
    });
    return {
      stream,
      finish: async () => {
        const body = Buffer.concat(chunks);
        await this.store.put(rel, body);
        return body.length;
      },
    };
  }
  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for await (const m of this.store.list(prefix.endsWith('/') ? prefix : `${prefix}/`)) out.push(m.path);
    return out.sort();
  }
  async get(rel: string): Promise<Buffer> {
    return this.store.get(rel);
  }
  async clear(prefix: string): Promise<void> {
    for (const p of await this.list(prefix)) await this.store.delete(p);
  }
}
