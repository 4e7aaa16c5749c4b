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
import { type Line, bufferLines, exactText, streamLines } from './line-reader';

const OPEN_BRACE = 123;
const CR = 13;

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
  return isBlankLine(l.text) ? null : textAction(l.text, l.no, seq, fail);
}

/** One non-blank line (`no`: its 1-based number) as an action. */
function textAction(
  text: string,
  no: number,
  seq: number,
  fail: (line: number, why: string) => Error,
): LogAction {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw fail(no, `invalid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  try {
    return toLogAction(obj, text, seq);
  } catch (e) {
    if (e instanceof ActionShapeError) throw fail(no, e.message);
    throw e;
  }
}

/**
 * Actions and byte-exact framing of an in-memory commit file; `file` is only used in error messages.
 * The common case (the bytes decode exactly) is one loop over the decoded text: each line's text is
 * a slice of it, and no per-line record is allocated, so what is left per action is JSON.parse and
 * the action itself.
 */
export function parseCommitFile(buf: Buffer, file: string): { actions: LogAction[]; raw: RawCommit } {
  const r = parseActions(buf, file, new FramingBuilder());
  return { actions: r.actions, raw: r.raw as RawCommit };
}

function parseActions(
  buf: Buffer,
  file: string,
  framing: FramingBuilder | null,
): { actions: LogAction[]; raw: RawCommit | null } {
  const out: LogAction[] = [];
  framing?.bytes(buf);
  const fail = (line: number, why: string): Error => corruptCommit(file, line, why);
  const text = exactText(buf);
  if (text === null) {
    for (const l of bufferLines(buf)) {
      const a = lineAction(l, out.length, fail);
      if (a) out.push(a);
      framing?.line(l, a !== null);
    }
  } else {
    for (let pos = 0, no = 1; ; no++) {
      const nl = text.indexOf('\n', pos);
      const end = nl < 0 ? text.length : nl;
      const cr = end > pos && text.charCodeAt(end - 1) === CR;
      const line = text.slice(pos, cr ? end - 1 : end);
      const isAction = !isBlankLine(line);
      if (isAction) out.push(textAction(line, no, out.length, fail));
      framing?.element(line, cr, isAction);
      if (nl < 0) break;
      pos = nl + 1;
    }
  }
  return { actions: out, raw: framing ? framing.finish(buf) : null };
}

/** The actions only (replay, sync): no framing, no sha256. */
export function parseCommit(buf: Buffer, file: string): LogAction[] {
  return parseActions(buf, file, null).actions;
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
