/**
 * Decide where an import starts and what it loads first. Shared by the planImport activity and
 * by `deltasql import --dry-run`, so the preview and the real run cannot disagree.
 */
import { DeltaSqlError } from '../common/errors';
import type { CatalogTable } from '../catalog/store';
import { STREAM_COMMIT_BYTES, type DeltaTable } from '../delta/table';
import type { ImportMode } from '../workflows/types';

export interface StartPoint {
  startVersion: number;
  targetVersion: number;
  baselineVersion: number | null;
  resumedFrom: number | null;
  notes: string[];
}

export async function resolveTarget(table: DeltaTable, upToVersion: number | undefined): Promise<number> {
  const latest = await table.latestVersion();
  if (upToVersion === undefined) return latest;
  if (upToVersion > latest) {
    throw new DeltaSqlError(
      'VersionNotFound',
      `--up-to-version ${upToVersion} is beyond the latest version ${latest} of ${table.root}`,
      {
        file: `${table.root}/_delta_log`,
      },
    );
  }
  return upToVersion;
}

/**
 * Where to start: after the last imported version when the table exists (resume), else version 0
 * (full history, while the log still has it) or the newest checkpoint (checkpoint-only).
 */
export async function planStart(
  table: DeltaTable,
  existing: CatalogTable | null,
  mode: ImportMode,
  target: number,
): Promise<StartPoint> {
  if (existing && existing.lastVersion !== null) {
    const start = existing.lastVersion + 1;
    const notes = [`resuming after imported version ${existing.lastVersion}`];
    if (start <= target) await assertCommitPresent(table, start, existing.lastVersion);
    else
      notes.push(`catalog is already at version ${existing.lastVersion}; nothing to import up to ${target}`);
    return {
      startVersion: start,
      targetVersion: target,
      baselineVersion: null,
      resumedFrom: existing.lastVersion,
      notes,
    };
  }
  if (mode === 'checkpoint-only') {
    const newest = await table.newestCheckpoint(target);
    if (newest) {
      return {
        startVersion: newest.version,
        targetVersion: target,
        baselineVersion: newest.version,
        resumedFrom: null,
        notes: [
          `checkpoint-only: loading checkpoint ${newest.version}, then commits ${newest.version + 1}–${target}`,
        ],
      };
    }
    return {
      startVersion: 0,
      targetVersion: target,
      baselineVersion: null,
      resumedFrom: null,
      notes: ['no checkpoint at or below the target: replaying from version 0'],
    };
  }
  const oldest = await table.oldestReconstructableVersion();
  if (oldest === 0)
    return { startVersion: 0, targetVersion: target, baselineVersion: null, resumedFrom: null, notes: [] };
  if (oldest > target) {
    throw new DeltaSqlError(
      'VersionNotFound',
      `version ${target} can no longer be reconstructed: the oldest reconstructable version of ${table.root} is ${oldest}`,
      {
        file: `${table.root}/_delta_log`,
      },
    );
  }
  return {
    startVersion: oldest,
    targetVersion: target,
    baselineVersion: oldest,
    resumedFrom: null,
    notes: [
      `full-history: commits before ${oldest} were cleaned up from the log; starting from checkpoint ${oldest}`,
    ],
  };
}

/** Resuming needs the very next commit; if log cleanup removed it, say how to recover. */
async function assertCommitPresent(table: DeltaTable, version: number, lastImported: number): Promise<void> {
  try {
    // Present is enough: a commit too large to hold is not read (streamAbove).
    for await (const _ of table.commits(version, version, { streamAbove: STREAM_COMMIT_BYTES })) break;
  } catch (e) {
    if (e instanceof DeltaSqlError && ['LogGap', 'VersionNotFound', 'StorageError'].includes(e.type)) {
      if (e.type === 'StorageError' && !/not ?found|NoSuchKey|ENOENT/i.test(e.message)) throw e;
      const file = `${table.root}/_delta_log/${String(version).padStart(20, '0')}.json`;
      throw new DeltaSqlError(
        'LogTruncated',
        `${file} (the commit right after imported version ${lastImported}) is gone: log retention removed it. ` +
          `Recover by re-importing from a checkpoint: deltasql import <source> --catalog <url> --force --mode checkpoint-only`,
        { file, cause: e },
      );
    }
    throw e;
  }
}
