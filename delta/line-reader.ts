/**
 * The one line splitter of the project: NDJSON commits and JSON checkpoints are split here, from a
 * whole Buffer or from a stream of chunks, so a 600 MB commit never becomes one JS string (V8 caps
 * strings at 512 MiB: ERR_STRING_TOO_LONG). Lines are split on byte 0x0A; the text excludes the
 * '\n' and one '\r' before it (`cr` says whether there was one), so the caller sees exactly the
 * file's elements: a file is `elements.join('\n')`, each element `text + (cr ? '\r' : '')`. The
 * last element is the text after the last '\n' (empty when the file ends with a newline).
 */
import { isUtf8 } from 'node:buffer';

export interface Line {
  /** 1-based line number. */
  no: number;
  text: string;
  cr: boolean;
  /** True for the element after the last '\n'. */
  last: boolean;
  /** False when the bytes were not valid UTF-8, so `text` does not re-encode to them. */
  exact: boolean;
}

/**
 * Whether `text` re-encodes to `buf[start, end)`. One UTF-16 unit per byte without U+FFFD means
 * pure ASCII (valid multi-byte characters take fewer units than bytes), the common case; other
 * lines are re-encoded and compared.
 */
function decodedExactly(text: string, buf: Buffer, start: number, end: number): boolean {
  if (text.length === end - start && !text.includes('\uFFFD')) return true;
  return Buffer.from(text, 'utf8').equals(buf.subarray(start, end));
}

const NL = 10;
const CR = 13;

/** Splits bytes fed in chunks into lines; only an unfinished line is kept between chunks. */
export class LineSplitter {
  private rest: Buffer[] = [];
  private restLen = 0;
  private no = 0;

  private line(buf: Buffer, start: number, end: number, last: boolean): Line {
    const cr = end > start && buf[end - 1] === CR;
    const stop = cr ? end - 1 : end;
    const text = buf.toString('utf8', start, stop);
    return { no: ++this.no, text, cr, last, exact: decodedExactly(text, buf, start, stop) };
  }

  /** Complete lines of `chunk` (plus the carried-over start of the first one). */
  *push(chunk: Buffer): Generator<Line> {
    let pos = 0;
    let nl = chunk.indexOf(NL, pos);
    if (nl >= 0 && this.restLen > 0) {
      const joined = Buffer.concat([...this.rest, chunk.subarray(0, nl + 1)]);
      this.rest = [];
      this.restLen = 0;
      yield this.line(joined, 0, joined.length - 1, false);
      pos = nl + 1;
      nl = chunk.indexOf(NL, pos);
    }
    while (nl >= 0) {
      yield this.line(chunk, pos, nl, false);
      pos = nl + 1;
      nl = chunk.indexOf(NL, pos);
    }
    if (pos < chunk.length) {
      this.rest.push(chunk.subarray(pos));
      this.restLen += chunk.length - pos;
    }
  }

  /** The element after the last '\n' (always present, possibly empty). */
  end(): Line {
    const buf = Buffer.concat(this.rest);
    this.rest = [];
    this.restLen = 0;
    return this.line(buf, 0, buf.length, true);
  }
}

/** In-memory files up to this size are decoded once and split as a string (faster than per line). */
const WHOLE_DECODE_MAX = 256 * 1024 * 1024;

/**
 * The whole file as one string when that is how it is split (small enough, and the text
 * re-encodes to the bytes, so every line is exact); null otherwise (split by LineSplitter).
 * Valid UTF-8 is exactly what decodes and re-encodes to the same bytes (anything else decodes
 * to U+FFFD somewhere), so one validity scan of the bytes, without a string, decides it.
 */
export function exactText(buf: Buffer): string | null {
  if (buf.length > WHOLE_DECODE_MAX || !isUtf8(buf)) return null;
  return buf.toString('utf8');
}

/** Every line of an in-memory file. */
export function* bufferLines(buf: Buffer): Generator<Line> {
  const text = exactText(buf);
  if (text === null) {
    const s = new LineSplitter();
    yield* s.push(buf);
    yield s.end();
    return;
  }
  let no = 0;
  for (let pos = 0; ;) {
    const nl = text.indexOf('\n', pos);
    const end = nl < 0 ? text.length : nl;
    const cr = end > pos && text.charCodeAt(end - 1) === CR;
    yield { no: ++no, text: text.slice(pos, cr ? end - 1 : end), cr, last: nl < 0, exact: true };
    if (nl < 0) return;
    pos = nl + 1;
  }
}

/** Every line of a file read as a stream of chunks; memory is one chunk plus one line. */
export async function* streamLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<Line> {
  const s = new LineSplitter();
  for await (const c of chunks) yield* s.push(c);
  yield s.end();
}

/** Bytes read per ranged request when a file is streamed. */
export const STREAM_CHUNK_BYTES = 8 * 1024 * 1024;

/** A file of `size` bytes as chunks read through `read(start, endExclusive)`, in order. */
export async function* byteChunks(
  read: (start: number, endExclusive: number) => Promise<Uint8Array>,
  size: number,
  chunkBytes = STREAM_CHUNK_BYTES,
): AsyncGenerator<Buffer> {
  for (let pos = 0; pos < size;) {
    const bytes = await read(pos, Math.min(size, pos + chunkBytes));
    const chunk = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (chunk.length === 0) return;
    pos += chunk.length;
    yield chunk;
  }
}
