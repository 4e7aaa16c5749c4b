/**
 * Query answers kept on disk, for as long as the disk budget allows, and re-signed when they are
 * sent. A committed version never changes, and a parquet-format answer's lines for a local table
 * differ from one response to the next only in one fixed-width run of bytes per line, the *slot*:
 * the expiry, its tag and the `expirationTimestamp` (sharing/signer.ts: the file tags depend on
 * the file only). So the bytes of a first answer are written down as they stream, with where each
 * line's slot is, and a later request for the same (table, version, hints, base URL, file-tag
 * key) is read back from the file with its own slot written over every line: no SQL, no hashing.
 *
 * Nothing is ever stale (a version not yet committed cannot be asked for), so there is no
 * invalidation; the directory is bounded by bytes, least recently used out. A file appears under
 * its name only once complete (written under a temporary name, then renamed), so a reader never
 * sees half an answer, and an answer that did not finish (a client that went away, a failing
 * page) leaves nothing. A file whose layout does not check out is ignored and removed.
 *
 * File layout: `DSA1`, u32 slot width, then chunks of [u32 bytes][u32 slots][u32 offset × slots]
 * [bytes], little-endian; offsets are relative to the chunk's bytes.
 *
 * Reading re-uses a few buffers when the caller says how many bytes it has not yet handed on (the
 * `backlog`): a 1M-file answer is ~670 MB, and a fresh buffer per chunk made the garbage collector
 * the largest cost of sending one (0.8 s of 1.6 s), as V8 collects when external memory grows.
 */
import { hash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const MAGIC = 'DSA1';
const SUFFIX = '.answer';
/** Buffers a reader re-uses: one being filled, the rest in flight to the client. */
const POOL_BUFFERS = 4;
/** A pool buffer's least size, so that chunks of somewhat different sizes fit the same one. */
const POOL_BUFFER_MIN = 1 << 20;
/** Buffers a store keeps between answers (an answer of 4 chunks would otherwise allocate all 4). */
const SPARE_BUFFERS = 8;

/**
 * Bytes yielded so far that the consumer has not yet handed to the kernel (its own buffers plus
 * the socket's); anything larger than the truth is safe, it only costs fresh buffers.
 */
export type Backlog = () => number;

/**
 * Buffers handed out in order and re-used once the consumer is past them: a buffer whose bytes
 * ended at offset `end` of everything yielded is free when `yielded - backlog() >= end`. Buffers
 * come from, and go back to, the store's `spare` ones, so that small answers allocate none either.
 */
class BufferRing {
  private readonly slots: { buf: Buffer; end: number }[] = [];
  private next = 0;
  private yielded = 0;

  constructor(
    private readonly backlog: Backlog,
    private readonly spare: Buffer[],
  ) {}

  /** A buffer of `size` bytes, which the caller fills and yields before asking again. */
  take(size: number): Buffer {
    const roomy = (): Buffer => {
      const i = this.spare.findIndex((b) => b.length >= size);
      if (i >= 0) return this.spare.splice(i, 1)[0];
      return Buffer.allocUnsafeSlow(Math.max(size + (size >> 2), POOL_BUFFER_MIN));
    };
    if (this.slots.length < POOL_BUFFERS) {
      this.next = this.slots.push({ buf: roomy(), end: Infinity }) - 1;
      return this.slots[this.next].buf;
    }
    const s = this.slots[this.next];
    if (this.yielded - this.backlog() < s.end) return Buffer.allocUnsafeSlow(size); // in flight
    if (s.buf.length < size) s.buf = roomy();
    return s.buf;
  }

  /** `bytes` of the buffer last taken are being yielded. */
  yieldedFrom(buf: Buffer, bytes: number): void {
    this.yielded += bytes;
    const s = this.slots[this.next];
    if (s !== undefined && s.buf === buf) s.end = this.yielded;
    this.next = (this.next + 1) % POOL_BUFFERS;
  }

  /** The answer ended: buffers the consumer is past go back to the spare ones, the rest to GC. */
  release(): void {
    const done = this.yielded - this.backlog();
    for (const s of this.slots)
      if (s.end <= done && this.spare.length < SPARE_BUFFERS) this.spare.push(s.buf);
    this.slots.length = 0;
  }
}

export class AnswerStore {
  private bytesKnown: number | null = null;
  /** Read buffers no answer is using (sharing/answer-store.ts BufferRing). */
  private readonly spare: Buffer[] = [];

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {
    fs.mkdirSync(dir, { recursive: true });
  }

  private fileOf(key: string): string {
    return path.join(this.dir, hash('sha256', key, 'hex').slice(0, 40) + SUFFIX);
  }

  /**
   * The kept answer for `key` with `slot` written into every line, chunk by chunk; null when
   * there is none (or it was written for another slot width). With `backlog`, a chunk's buffer is
   * re-used once the consumer is past it, so a chunk must be handed on, not kept.
   */
  async open(key: string, slot: string, backlog?: Backlog): Promise<AsyncGenerator<Buffer> | null> {
    const file = this.fileOf(key);
    let fh: fs.promises.FileHandle;
    try {
      fh = await fs.promises.open(file, 'r');
    } catch {
      return null;
    }
    const slotBuf = Buffer.from(slot);
    const head = Buffer.alloc(8);
    const { bytesRead } = await fh.read(head, 0, 8, 0);
    if (
      bytesRead !== 8 ||
      head.toString('latin1', 0, 4) !== MAGIC ||
      head.readUInt32LE(4) !== slotBuf.length
    ) {
      await fh.close();
      return null;
    }
    const now = new Date();
    fs.promises.utimes(file, now, now).catch(() => undefined); // recently used
    const ring = backlog ? new BufferRing(backlog, this.spare) : null;
    return (async function* () {
      try {
        let pos = 8;
        const sizes = Buffer.alloc(8);
        for (;;) {
          const r = await fh.read(sizes, 0, 8, pos);
          if (r.bytesRead === 0) return;
          if (r.bytesRead !== 8) throw new Error(`kept answer ${file} is truncated`);
          const n = sizes.readUInt32LE(0);
          const slots = sizes.readUInt32LE(4);
          const buf = ring ? ring.take(slots * 4 + n) : Buffer.allocUnsafe(slots * 4 + n);
          const want = slots * 4 + n;
          const got = await fh.read(buf, 0, want, pos + 8);
          if (got.bytesRead !== want) throw new Error(`kept answer ${file} is truncated`);
          pos += 8 + want;
          const body = buf.subarray(slots * 4, slots * 4 + n);
          for (let i = 0; i < slots; i++) {
            const off = buf.readUInt32LE(i * 4);
            if (off + slotBuf.length > n) throw new Error(`kept answer ${file} has a slot out of range`);
            body.set(slotBuf, off); // TypedArray set: half the cost of Buffer.copy for ~100 bytes
          }
          ring?.yieldedFrom(buf, n);
          yield body;
        }
      } finally {
        ring?.release();
        await fh.close();
      }
    })();
  }

  /** Whether an answer for `key` is kept (for this slot width). */
  async has(key: string, slot: string): Promise<boolean> {
    const fh = await fs.promises.open(this.fileOf(key), 'r').catch(() => null);
    if (fh === null) return false;
    try {
      const head = Buffer.alloc(8);
      const { bytesRead } = await fh.read(head, 0, 8, 0);
      return (
        bytesRead === 8 &&
        head.toString('latin1', 0, 4) === MAGIC &&
        head.readUInt32LE(4) === Buffer.byteLength(slot)
      );
    } finally {
      await fh.close();
    }
  }

  /** Removes a kept answer that could not be read back (it is built afresh next time). */
  async discard(key: string): Promise<void> {
    await fs.promises.rm(this.fileOf(key), { force: true });
    this.bytesKnown = null;
  }

  /**
   * Keeps an answer while it streams. `add` takes each chunk of whole lines as sent, every line
   * holding `slot` exactly once; a chunk that does not (a line without it) gives the answer up.
   * `finish` makes it visible; `abort` (also safe after finish) removes what was written.
   */
  writer(key: string, slot: string): AnswerWriter {
    return new AnswerWriter(this, this.fileOf(key), Buffer.from(slot));
  }

  /** After a new file: remove the least recently used ones until the budget holds. */
  async enforceBudget(keep: string, added: number): Promise<void> {
    if (this.bytesKnown !== null && this.bytesKnown + added <= this.maxBytes) {
      this.bytesKnown += added;
      return;
    }
    const files: { file: string; size: number; at: number }[] = [];
    for (const name of await fs.promises.readdir(this.dir)) {
      if (!name.endsWith(SUFFIX)) continue;
      const file = path.join(this.dir, name);
      const st = await fs.promises.stat(file).catch(() => null);
      if (st) files.push({ file, size: st.size, at: st.mtimeMs });
    }
    let total = files.reduce((a, f) => a + f.size, 0);
    files.sort((a, b) => a.at - b.at);
    for (const f of files) {
      if (total <= this.maxBytes) break;
      if (f.file === keep) continue;
      await fs.promises.rm(f.file, { force: true });
      total -= f.size;
    }
    this.bytesKnown = total;
  }
}

export class AnswerWriter {
  private readonly tmp: string;
  private fh: Promise<fs.promises.FileHandle> | null;
  private bytes = 8;
  private failed = false;
  private done = false;

  constructor(
    private readonly store: AnswerStore,
    private readonly file: string,
    private readonly slot: Buffer,
  ) {
    this.tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    this.fh = fs.promises.open(this.tmp, 'wx').then(async (fh) => {
      const head = Buffer.alloc(8);
      head.write(MAGIC, 0, 'latin1');
      head.writeUInt32LE(slot.length, 4);
      await fh.write(head, 0, 8, 0);
      return fh;
    });
    this.fh.catch(() => (this.failed = true));
  }

  /** Index a chunk of whole lines and append it; false when the answer cannot be kept. */
  async add(chunk: string | Buffer): Promise<boolean> {
    if (this.failed || this.fh === null) return false;
    const body = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const offsets: number[] = [];
    for (let start = 0; start < body.length;) {
      const end = body.indexOf(10, start);
      const at = body.indexOf(this.slot, start);
      if (end < 0 || at < 0 || at + this.slot.length > end) {
        await this.abort();
        return false;
      }
      offsets.push(at);
      start = end + 1;
    }
    const head = Buffer.allocUnsafe(8 + offsets.length * 4);
    head.writeUInt32LE(body.length, 0);
    head.writeUInt32LE(offsets.length, 4);
    for (let i = 0; i < offsets.length; i++) head.writeUInt32LE(offsets[i], 8 + i * 4);
    try {
      const fh = await this.fh;
      await fh.writev([head, body], this.bytes);
      this.bytes += head.length + body.length;
      return true;
    } catch {
      await this.abort();
      return false;
    }
  }

  async finish(): Promise<void> {
    if (this.failed || this.fh === null) return;
    const fh = await this.fh;
    this.fh = null;
    try {
      await fh.close();
      await fs.promises.rename(this.tmp, this.file);
      this.done = true;
    } catch {
      await fs.promises.rm(this.tmp, { force: true });
      return;
    }
    await this.store.enforceBudget(this.file, this.bytes).catch(() => undefined);
  }

  async abort(): Promise<void> {
    this.failed = true;
    if (this.done) return;
    const fh = this.fh;
    this.fh = null;
    if (fh) await (await fh.catch(() => null))?.close().catch(() => undefined);
    await fs.promises.rm(this.tmp, { force: true });
  }
}
