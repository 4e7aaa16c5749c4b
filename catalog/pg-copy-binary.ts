/**
 * PostgreSQL `COPY ... FROM STDIN (FORMAT binary)` encoding. The text format makes Node scan and
 * escape every value (each `raw` line is full of JSON backslashes) and PostgreSQL unescape and
 * parse it again; the binary format is a length prefix plus the UTF-8 bytes written straight into
 * a Buffer. On the 10k-version benchmark the text encoder was the hottest Node code of an import.
 *
 * Catalog columns are TEXT, BIGINT or BOOLEAN only, so a value's JS type names its wire type:
 * string -> text, number -> int8 (must be a safe integer), boolean -> bool.
 * Format: https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4
 */
import { DeltaSqlError } from '../common/errors';
import type { SqlValue } from './sql';

/** `PGCOPY\n\377\r\n\0`, then 32-bit flags and header-extension length (both 0). */
const HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
/** A tuple count of -1 ends the data. */
const TRAILER = Buffer.from([0xff, 0xff]);
/** Bytes per chunk handed to the COPY stream: big enough to amortise writes, small enough to stay flat. */
const CHUNK_BYTES = 1 << 20;
/** UTF-8 needs at most 3 bytes per UTF-16 code unit. */
const MAX_UTF8_PER_UNIT = 3;
const TWO_32 = 4294967296;
const NULL_LENGTH = -1;

/** Appends tuples into fixed-size Buffers; full chunks are collected by `take()`. */
class ChunkWriter {
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private off = 0;
  private full: Buffer[] = [];

  private ensure(n: number): void {
    if (this.off + n <= this.buf.length) return;
    if (this.off > 0) this.full.push(this.buf.subarray(0, this.off));
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, n));
    this.off = 0;
  }

  bytes(b: Buffer): void {
    this.ensure(b.length);
    this.off += b.copy(this.buf, this.off);
  }

  tuple(values: readonly SqlValue[], table: string, columns: readonly string[]): void {
    this.ensure(2);
    this.off = this.buf.writeInt16BE(values.length, this.off);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null) {
        this.ensure(4);
        this.off = this.buf.writeInt32BE(NULL_LENGTH, this.off);
      } else if (typeof v === 'string') {
        this.ensure(4 + v.length * MAX_UTF8_PER_UNIT);
        const n = this.buf.write(v, this.off + 4, 'utf8');
        this.buf.writeInt32BE(n, this.off);
        this.off += 4 + n;
      } else if (typeof v === 'number') {
        if (!Number.isSafeInteger(v)) {
          throw new DeltaSqlError('CatalogError', `${table}.${columns[i]}: ${v} is not an integer`);
        }
        this.ensure(12);
        const hi = Math.floor(v / TWO_32);
        this.off = this.buf.writeInt32BE(8, this.off);
        this.off = this.buf.writeInt32BE(hi, this.off);
        this.off = this.buf.writeUInt32BE(v - hi * TWO_32, this.off);
      } else {
        this.ensure(5);
        this.off = this.buf.writeInt32BE(1, this.off);
        this.off = this.buf.writeUInt8(v ? 1 : 0, this.off);
      }
    }
  }

  /** Completed chunks so far; with `all`, the partial one too. */
  take(all: boolean): Buffer[] {
    if (all && this.off > 0) {
      this.full.push(this.buf.subarray(0, this.off));
      this.buf = Buffer.allocUnsafe(CHUNK_BYTES);
      this.off = 0;
    }
    const out = this.full;
    this.full = [];
    return out;
  }
}

/** The COPY statement's options clause for this encoding. */
export const BINARY_COPY_OPTIONS = '(FORMAT binary)';

/**
 * The whole COPY payload for `batches` of rows, as ~1 MB Buffers produced lazily, so a stream
 * pulls (and PostgreSQL ingests) one chunk while the next is encoded. An error thrown by
 * `batches` propagates unchanged.
 */
export async function* binaryCopyChunks(
  batches: Iterable<readonly (readonly SqlValue[])[]> | AsyncIterable<readonly (readonly SqlValue[])[]>,
  table: string,
  columns: readonly string[],
): AsyncGenerator<Buffer> {
  const w = new ChunkWriter();
  w.bytes(HEADER);
  for await (const rows of batches) {
    for (const r of rows) {
      w.tuple(r, table, columns);
      yield* w.take(false);
    }
  }
  w.bytes(TRAILER);
  yield* w.take(true);
}
