/**
 * Parse one commit file (newline-delimited JSON, one action per line; blank lines ignored). Each
 * line keeps its exact text as `raw`, and the file's framing (line endings, blank lines, final
 * newline, size, sha256: commit-framing.ts) is recorded alongside, so the catalog can rebuild the
 * file byte for byte. Any bad line is a CorruptCommit naming the file and the 1-based line number:
 * a half-read commit is never replayed. Files are split by the shared line reader, from memory or
 * from a stream of chunks (commits over V8's 512 MiB string limit).
 */
import { DeltaSqlError } from '../common/errors';
import type { LogAction } from './actions';
import { ActionShapeError, toLogAction } from './action-parse';
import { FramingBuilder, type RawCommit } from './commit-framing';
import { type Line, bufferLines, streamLines } from './line-reader';

const OPEN_BRACE = 123;

export function corruptCommit(file: string, line: number, why: string): DeltaSqlError {
  return new DeltaSqlError('CorruptCommit', `corrupt commit ${file} at line ${line}: ${why}`, { file });
}

/** Blank (whitespace-only) lines carry no action. Real action lines start with '{', so trim() rarely runs. */
export const isBlankLine = (text: string): boolean => text.charCodeAt(0) !== OPEN_BRACE && text.trim() === '';

/**
 * One line as an action, or null when blank. `fail` turns a reason into the caller's typed error
 * (CorruptCommit for commits, CorruptCheckpoint for JSON checkpoints).
 */
export function lineAction(
  l: Line,
  seq: number,
  fail: (line: number, why: string) => Error,
): LogAction | null {
  if (isBlankLine(l.text)) return null;
  let obj: unknown;
  try {
    obj = JSON.parse(l.text);
  } catch (e) {
    throw fail(l.no, `invalid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  try {
    return toLogAction(obj, l.text, seq);
  } catch (e) {
    if (e instanceof ActionShapeError) throw fail(l.no, e.message);
    throw e;
  }
}

/** Actions and byte-exact framing of an in-memory commit file; `file` is only used in error messages. */
export function parseCommitFile(buf: Buffer, file: string): { actions: LogAction[]; raw: RawCommit } {
  const out: LogAction[] = [];
  const framing = new FramingBuilder();
  framing.bytes(buf);
  const fail = (line: number, why: string): Error => corruptCommit(file, line, why);
  for (const l of bufferLines(buf)) {
    const a = lineAction(l, out.length, fail);
    if (a) out.push(a);
    framing.line(l, a !== null);
  }
  return { actions: out, raw: framing.finish(buf) as RawCommit };
}

export function parseCommit(buf: Buffer, file: string): LogAction[] {
  return parseCommitFile(buf, file).actions;
}

/** Parse NDJSON text (benchmarks, tests). */
export function parseCommitText(text: string, file: string): LogAction[] {
  return parseCommit(Buffer.from(text, 'utf8'), file);
}

/**
 * Stream a commit's actions from its bytes in chunks: memory is one chunk plus one line whatever
 * the file's size. `onRaw` receives the file's RawCommit once the last line is read (null when the
 * lines cannot rebuild the bytes, i.e. invalid UTF-8, which a streamed file cannot fall back on).
 */
export async function* streamCommit(
  chunks: AsyncIterable<Buffer>,
  file: string,
  onRaw?: (raw: RawCommit | null) => void,
): AsyncGenerator<LogAction> {
  const framing = new FramingBuilder();
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const c of chunks) {
      framing.bytes(c);
      yield c;
    }
  }
  const fail = (line: number, why: string): Error => corruptCommit(file, line, why);
  let seq = 0;
  for await (const l of streamLines(counted())) {
    const a = lineAction(l, seq, fail);
    framing.line(l, a !== null);
    if (a) {
      seq++;
      yield a;
    }
  }
  onRaw?.(framing.finish(null));
}
