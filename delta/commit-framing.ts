/**
 * Byte-exact commit files without storing them twice. The catalog already keeps every action
 * line's text (`raw`), in order; what it lacks is how those lines were framed: '\r\n' endings,
 * blank lines, whether the file ends with a newline, and bytes that are not valid UTF-8. A
 * commit's `RawCommit` is its size, its sha256 and `framing`: null for the plain form
 * (`raws.join('\n') + '\n'`, or '' for no actions), else a compact JSON of the deviations only:
 *
 *   g: [[element, text], ...]  elements that are not actions (blank / whitespace lines), by index
 *   c: [element, ...] | 1       action elements that ended in '\r' (1: all of them)
 *   t: 0                        no empty element after the last '\n' (the file does not end in '\n',
 *                               or ends in whitespace that `g` lists)
 *   b: base64                   the whole file, when the lines cannot rebuild it (invalid UTF-8)
 *   x: text                     the whole file as text: a commit whose actions are not stored as
 *                               rows (the commit at a checkpoint baseline version)
 *   p: parts                    such a file too large for one string (>64 MiB): its bytes are in
 *                               that many dl_commit_parts rows (catalog/commit-parts.ts)
 *
 * Elements are the file split on '\n' (see line-reader.ts). Lines that are not valid UTF-8 (the
 * only ones whose text does not re-encode to their bytes) switch to the whole-file form.
 */
import { createHash, type Hash } from 'node:crypto';
import { z } from 'zod';
import { DeltaSqlError } from '../common/errors';
import type { Line } from './line-reader';

export interface RawCommit {
  size: number;
  sha256: string;
  framing: string | null;
}

export const FramingSchema = z.object({
  g: z.array(z.tuple([z.number().int().nonnegative(), z.string()])).optional(),
  c: z.union([z.array(z.number().int().nonnegative()), z.literal(1)]).optional(),
  t: z.literal(0).optional(),
  b: z.string().optional(),
  x: z.string().optional(),
  p: z.number().int().nonnegative().optional(),
});
export type Framing = z.infer<typeof FramingSchema>;

/** Fed every element of a commit file in order (`line`) and its bytes (`bytes`), in any interleaving. */
export class FramingBuilder {
  private readonly fileHash: Hash = createHash('sha256');
  private exact = true;
  private size = 0;
  private elements = 0;
  private actions = 0;
  private readonly gaps: [number, string][] = [];
  private readonly cr: number[] = [];
  private lastWasAction = false;
  private lastText = '';

  bytes(chunk: Buffer): void {
    this.fileHash.update(chunk);
    this.size += chunk.length;
  }

  /** One element; `isAction` when it became an action row (its `text` is the row's raw). */
  line(l: Line, isAction: boolean): void {
    if (!l.exact) this.exact = false;
    this.element(l.text, l.cr, isAction);
  }

  /** One element whose text re-encodes to its bytes (the in-memory reader's loop, no Line object). */
  element(text: string, cr: boolean, isAction: boolean): void {
    const i = this.elements++;
    this.lastWasAction = isAction;
    if (isAction) {
      this.actions++;
      if (cr) this.cr.push(i);
      return;
    }
    // A skipped element keeps its '\r' in its text.
    const whole = cr ? `${text}\r` : text;
    this.gaps.push([i, whole]);
    this.lastText = whole;
  }

  /**
   * The RawCommit. `whole` is the file when it is in memory: used as the fallback when the lines
   * do not rebuild it; null when streamed (then a non-rebuildable file returns null).
   */
  finish(whole: Buffer | null): RawCommit | null {
    const sha256 = this.fileHash.digest('hex');
    if (!this.exact) {
      if (!whole) return null;
      return { size: this.size, sha256, framing: JSON.stringify({ b: whole.toString('base64') }) };
    }
    const f: Framing = {};
    const implicitEnd = !this.lastWasAction && this.lastText === '';
    const gaps = implicitEnd ? this.gaps.slice(0, -1) : this.gaps;
    if (gaps.length > 0) f.g = gaps;
    if (this.cr.length > 0) f.c = this.cr.length === this.actions ? 1 : this.cr;
    if (!implicitEnd) f.t = 0;
    const plain = f.g === undefined && f.c === undefined && f.t === undefined;
    return { size: this.size, sha256, framing: plain ? null : JSON.stringify(f) };
  }
}

/**
 * A commit file whose lines are not stored as rows and that is too large to keep as one framing
 * value (above 64 MiB; V8 strings stop at 512 MiB): its size and a fresh stream of its bytes.
 * The catalog stores it in parts and records the RawCommit it computes while storing them.
 */
export interface StreamedRawCommit {
  size: number;
  chunks(): AsyncIterable<Buffer>;
}

export const isStreamedRaw = (r: RawCommit | StreamedRawCommit): r is StreamedRawCommit => 'chunks' in r;

/** The RawCommit of a commit whose lines are not stored as rows: the framing holds the whole file. */
export function wholeFileRaw(buf: Buffer): RawCommit {
  const sha256 = createHash('sha256').update(buf).digest('hex');
  const text = buf.toString('utf8');
  const exact = Buffer.byteLength(text) === buf.length && Buffer.from(text, 'utf8').equals(buf);
  const framing = exact ? { x: text } : { b: buf.toString('base64') };
  return { size: buf.length, sha256, framing: JSON.stringify(framing) };
}

/** Rebuild a commit file from its action lines (in order) and its framing. */
export function rebuildCommit(raws: readonly string[], framing: Framing | null): Buffer {
  if (framing?.p !== undefined) {
    throw new DeltaSqlError('CatalogError', 'a commit kept in parts is read from dl_commit_parts');
  }
  if (framing?.b !== undefined) return Buffer.from(framing.b, 'base64');
  if (framing?.x !== undefined) return Buffer.from(framing.x, 'utf8');
  if (!framing) return Buffer.from(raws.length === 0 ? '' : `${raws.join('\n')}\n`, 'utf8');
  const gaps = new Map(framing.g ?? []);
  const cr = framing.c === 1 ? null : new Set(framing.c ?? []);
  const allCr = framing.c === 1;
  const total = raws.length + gaps.size + (framing.t === 0 ? 0 : 1);
  const parts: string[] = [];
  let next = 0;
  for (let i = 0; i < total; i++) {
    const gap = gaps.get(i);
    if (gap !== undefined) parts.push(gap);
    else if (framing.t !== 0 && i === total - 1) parts.push('');
    else {
      const raw = raws[next++] ?? '';
      parts.push(allCr || cr?.has(i) ? `${raw}\r` : raw);
    }
  }
  return Buffer.from(parts.join('\n'), 'utf8');
}

/**
 * `rebuildCommit` as a stream, for a commit too large for one string (V8 stops at 512 MiB): the
 * same bytes, in chunks of about `chunkChars` characters, pulling the action lines as it goes, so
 * memory is bounded by a chunk and whatever the line source holds.
 */
export async function* frameCommit(
  raws: AsyncIterable<string>,
  framing: Framing | null,
  chunkChars = 1 << 20,
): AsyncGenerator<Buffer> {
  if (framing?.b !== undefined || framing?.x !== undefined) {
    yield rebuildCommit([], framing);
    return;
  }
  const gaps = new Map(framing?.g ?? []);
  const allCr = framing?.c === 1;
  const cr = new Set(framing?.c === 1 ? [] : (framing?.c ?? []));
  // The plain form ends with '\n' after the last line unless there are none (an empty file).
  const trailing = framing ? framing.t !== 0 : true;
  let parts: string[] = [];
  let chars = 0;
  const push = (s: string): Buffer | null => {
    parts.push(s);
    chars += s.length;
    if (chars < chunkChars) return null;
    const out = Buffer.from(parts.join(''), 'utf8');
    parts = [];
    chars = 0;
    return out;
  };
  const it = raws[Symbol.asyncIterator]();
  let lines = 0;
  for (let i = 0; ; i++) {
    let element: string;
    const gap = gaps.get(i);
    if (gap !== undefined) {
      element = gap;
      gaps.delete(i);
    } else {
      const next = await it.next();
      if (next.done) {
        // Past the last line: the empty element after a final '\n', unless the file has none
        // (or, plain form, no lines at all).
        if (gaps.size > 0) {
          throw new DeltaSqlError(
            'CatalogError',
            `commit framing lists elements ${[...gaps.keys()].join(', ')} past its lines`,
          );
        }
        if (trailing && (framing !== null || lines > 0)) {
          const out = push(i > 0 ? '\n' : '');
          if (out) yield out;
        }
        break;
      }
      lines++;
      element = allCr || cr.has(i) ? `${next.value}\r` : next.value;
    }
    const out = push(i > 0 ? `\n${element}` : element);
    if (out) yield out;
  }
  if (parts.length > 0) yield Buffer.from(parts.join(''), 'utf8');
}
