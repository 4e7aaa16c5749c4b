/**
 * Rebuilds the generator state from an existing log so that more commits can be appended to it.
 * It replays every JSON commit from version 0 through the same `TableState.apply` the generator
 * uses, line by line, so the rebuilt state (file order included) equals the one the original
 * run had, and appended versions are byte-identical to a single longer run.
 */
import { DeltaSqlError } from '../../common/errors';
import { LOG_DIR, commitFile } from './checkpoint-writer';
import type { LogSink } from './sink';
import { type GenAction, TableState } from './state';

const COMMIT_RE = /^_delta_log\/(\d{20})\.json$/;

/** Newest commit version in the log, or -1 when there is none. */
export async function latestCommitVersion(sink: LogSink): Promise<number> {
  let latest = -1;
  for (const p of await sink.list(LOG_DIR)) {
    const m = COMMIT_RE.exec(p);
    if (m) latest = Math.max(latest, Number(m[1]));
  }
  return latest;
}

export async function replayLog(sink: LogSink, upTo: number): Promise<TableState> {
  const state = new TableState();
  for (let v = 0; v <= upTo; v++) {
    const file = commitFile(v);
    let text: string;
    try {
      text = (await sink.get(file)).toString('utf8');
    } catch (e) {
      throw new DeltaSqlError('LogGap', `cannot append: commit ${v} is missing (${sink.root}/${file})`, {
        file,
        cause: e,
      });
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let action: GenAction;
      try {
        action = JSON.parse(line) as GenAction;
      } catch (e) {
        throw new DeltaSqlError('CorruptCommit', `unparsable line in ${sink.root}/${file}`, {
          file,
          cause: e,
        });
      }
      state.apply(action);
    }
    state.version = v;
  }
  if (!state.protocol || !state.metadata) {
    throw new DeltaSqlError('MissingMetadata', `the log at ${sink.root} has no protocol/metaData`, {
      file: LOG_DIR,
    });
  }
  return state;
}
