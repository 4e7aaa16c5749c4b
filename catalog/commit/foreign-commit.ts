/**
 * Foreign commits on an sql-primary table: a `_delta_log/<v>.json` that our publisher did not
 * write. Every version up to the recorded published version was put there (or found there) with
 * exactly the catalog's bytes, so only the versions after it can be foreign: a file at such a
 * version whose bytes differ from the catalog's commit, or a file beyond the catalog's latest
 * version, means a file-based writer is still committing to the log. `deltasql diff` reports it as
 * drift (exit 2); the publisher stops at it with `ForeignCommit` (publish.ts).
 */
import { commitPath } from '../../delta/log-path';
import type { ObjectStore } from '../../storage/object-store';
import { displayPath } from '../../storage/storage-error';
import type { CatalogStore } from '../store';
import type { TableModeState } from './table-mode';

export interface ForeignCommit {
  version: number;
  /** The file, as a display path (no credentials). */
  file: string;
  /** 'other-bytes': the catalog committed other bytes at that version; 'beyond-catalog': it has none. */
  reason: 'other-bytes' | 'beyond-catalog';
}

/**
 * The first foreign commit in `_delta_log` after the published version, or null. Reads the log
 * files from the published version up to `logLatest` (the unpublished tail: usually a few).
 */
export async function findForeignCommit(
  store: CatalogStore,
  log: ObjectStore,
  mode: TableModeState,
  logLatest: number,
): Promise<ForeignCommit | null> {
  if (mode.mode !== 'sql-primary') return null;
  for (let v = (mode.publishedVersion ?? -1) + 1; v <= logLatest; v++) {
    const path = commitPath(v);
    if ((await log.head(path)) === null) continue;
    const file = displayPath(log.root, path);
    if (mode.lastVersion === null || v > mode.lastVersion)
      return { version: v, file, reason: 'beyond-catalog' };
    const ours = await store.commitBytes(mode.tableId, v);
    if (ours !== null && !ours.equals(await log.get(path)))
      return { version: v, file, reason: 'other-bytes' };
  }
  return null;
}
