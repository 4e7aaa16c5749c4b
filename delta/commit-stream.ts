/**
 * A commit too large to hold in memory (CONVERT TO DELTA, a first CTAS or a full-table MERGE over
 * 1M+ files writes commits of gigabytes; V8 cannot even hold one over 512 MiB as a string). Its
 * actions are read once, in order, from ranged reads, so memory is one chunk plus one line; what
 * only the whole file can tell (its timestamp: the ICT settings may be in any line; its size,
 * sha256 and framing) is known once the actions are exhausted, through `finish()`. The catalog
 * writes such a version in bounded chunks inside one transaction (catalog/version-stream.ts).
 */
import { DeltaSqlError } from '../common/errors';
import { streamCommit } from './commit-reader';
import type { RawCommit } from './commit-framing';
import type { Commit, LogAction, MetadataAction } from './actions';
import { checkReaderProtocol } from './table-features';
import { type IctConfig, commitTimestamp, ictConfig } from './timestamps';

export interface StreamedCommit {
  readonly kind: 'streamed';
  version: number;
  /** Path of the commit file relative to the table root, for error messages. */
  file: string;
  /** The table root as its store names it (see Commit.root). */
  root: string;
  /** The commit file's size in bytes. */
  size: number;
  /** The actions, in file order. Iterate once, to the end, before `finish()`. */
  actions: AsyncIterable<LogAction>;
  /** The version's timestamp and the file's RawCommit; throws when `actions` was not read to the end. */
  finish(): { timestamp: number; raw: RawCommit };
  /** The metaData the commit ends with, if it has one (the ICT settings in force after it). */
  metadata(): MetadataAction | null;
}

export const isStreamed = (c: Commit | StreamedCommit): c is StreamedCommit => 'kind' in c;

/**
 * Wrap a commit file's byte chunks. `ict` is the setting in force before this version (null when
 * unknown, as in `commits()`); `mtime` the file's modification time; `displayFile` names the file
 * in errors.
 */
export function streamedCommit(opts: {
  version: number;
  file: string;
  displayFile: string;
  root: string;
  size: number;
  mtime: number;
  ict: IctConfig | null;
  chunks: () => AsyncIterable<Buffer>;
}): StreamedCommit {
  let raw: RawCommit | null | undefined;
  let metadata: MetadataAction | null = null;
  let firstInfo: LogAction | null = null;
  let read = false;
  async function* actions(): AsyncGenerator<LogAction> {
    if (read) throw new Error(`the actions of ${opts.displayFile} were already read`);
    read = true;
    for await (const a of streamCommit(opts.chunks(), opts.displayFile, (r) => (raw = r))) {
      if (a.type === 'protocol') checkReaderProtocol(a.body, opts.displayFile);
      else if (a.type === 'metaData') metadata = a.body;
      else if (a.type === 'commitInfo' && firstInfo === null) firstInfo = a;
      yield a;
    }
    if (raw === null) {
      // Only an in-memory file can fall back to storing its bytes whole (commit-framing.ts `b`).
      throw new DeltaSqlError(
        'CorruptCommit',
        `corrupt commit ${opts.displayFile}: not valid UTF-8 (a commit this large is streamed and must be UTF-8 JSON)`,
        { file: opts.displayFile },
      );
    }
  }
  return {
    kind: 'streamed',
    version: opts.version,
    file: opts.file,
    root: opts.root,
    size: opts.size,
    actions: { [Symbol.asyncIterator]: actions },
    finish() {
      if (raw === undefined || raw === null) {
        throw new Error(`finish() before the actions of ${opts.displayFile} were read to the end`);
      }
      const ict = metadata ? ictConfig(metadata) : opts.ict;
      const info = firstInfo ? [firstInfo] : [];
      return { timestamp: commitTimestamp(opts.version, info, opts.mtime, ict), raw };
    },
    metadata: () => metadata,
  };
}
