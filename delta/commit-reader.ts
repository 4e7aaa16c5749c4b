/**
 * Parse one commit file (newline-delimited JSON, one action per line; blank lines ignored). Each
 * line keeps its exact text as `raw` so the catalog can rebuild the file losslessly. Any bad line
 * is a CorruptCommit naming the file and the 1-based line number: a half-read commit is never
 * replayed.
 */
import { DeltaSqlError } from '../common/errors';
import type { LogAction } from './actions';
import { ActionShapeError, toLogAction } from './action-parse';

const OPEN_BRACE = 123;

export function corruptCommit(file: string, line: number, why: string): DeltaSqlError {
  return new DeltaSqlError('CorruptCommit', `corrupt commit ${file} at line ${line}: ${why}`, { file });
}

/** Parse NDJSON text; `file` is only used in error messages. */
export function parseCommitText(text: string, file: string): LogAction[] {
  const out: LogAction[] = [];
  let lineNo = 0;
  let pos = 0;
  const len = text.length;
  while (pos <= len) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = len;
    lineNo++;
    let line = text.slice(pos, nl);
    pos = nl + 1;
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    // Cheap blank-line test: real action lines start with '{', so trim() only runs on odd lines.
    if (line.charCodeAt(0) !== OPEN_BRACE && line.trim() === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw corruptCommit(file, lineNo, `invalid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    try {
      out.push(toLogAction(obj, line, out.length));
    } catch (e) {
      if (e instanceof ActionShapeError) throw corruptCommit(file, lineNo, e.message);
      throw e;
    }
  }
  return out;
}

export function parseCommit(buf: Buffer, file: string): LogAction[] {
  return parseCommitText(buf.toString('utf8'), file);
}
