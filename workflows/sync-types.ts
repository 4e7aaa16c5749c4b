/**
 * Payloads of the incremental-sync workflows (schedules and follow mode). Like the import's
 * types they stay small: URIs, ids, version numbers, timestamps and a bounded sample window.
 */
import type { ImportMode } from './types';

export interface SyncInput {
  source: string;
  catalog: string;
  /** Catalog table name. */
  name: string;
  /**
   * The fixed import workflow id of (catalog, name), computed by the client (workflow code cannot
   * hash): every round runs its import as a child with this id, so there is only ever one writer.
   */
  importWorkflowId: string;
  mode: ImportMode;
  skipValidation: boolean;
  batchSize: number;
  actionsPerActivity: number;
  /** syncOnce: how long to wait for an import that is already running before skipping the round. */
  attachWaitMs?: number;
  /** How long an unreachable catalog is waited for by a poll or an import (default 2 minutes). */
  catalogTimeoutMs?: number;
}

export interface FollowInput extends SyncInput {
  /** Pause between looks at the log inside one long poll. */
  pollIntervalMs: number;
  /** Length of one long poll (default DEFAULT_LONG_POLL_MS in workflows/sync.ts). */
  longPollMs?: number;
  /** Continue-as-new after this many polls in one run (tests; production uses the server's suggestion). */
  continueAsNewAfterPolls?: number;
}

/** What one cheap look at the log (and the catalog row) found. */
export interface PollResult {
  /** Newest version in the log, or null when the log is empty. */
  sourceVersion: number | null;
  /** Timestamp (ms) of the newest source commit. */
  sourceTimestamp: number | null;
  /** Newest version in the catalog, or null when nothing is imported yet. */
  importedVersion: number | null;
  importedTimestamp: number | null;
  /** Seconds between the newest source commit and the newest imported one; 0 when caught up, null when nothing is imported yet. */
  lagSeconds: number | null;
  /** lastModified (ms) of the first not-yet-imported commit file, when there is one. */
  firstNewModified: number | null;
  /** Wall clock (ms) at which the listing was taken. */
  listedAt: number;
  /** The listing before that one inside the same long poll (nothing new then), if any. */
  priorListedAt: number | null;
}

/** True when the log holds versions the catalog does not. Pure: shared by workflow and activity code. */
export function hasNewVersions(p: PollResult): boolean {
  return p.sourceVersion !== null && (p.importedVersion === null || p.sourceVersion > p.importedVersion);
}

/**
 * Wall-clock lag from a commit appearing in the log to the catalog holding it, per round, for the
 * round's first new commit. "Appearing" is the commit file's mtime when it lies between the two
 * listings that bracket it, else the earlier listing: an upper bound when mtimes are not wall
 * time (e.g. generated tables). bench/sync-lag.ts measures the true value from the writer's side.
 */
export interface WallLag {
  lastSeconds: number | null;
  p50Seconds: number | null;
  p95Seconds: number | null;
  maxSeconds: number | null;
  /** Most recent samples (seconds), bounded by WALL_LAG_WINDOW. */
  samples: number[];
}

export interface FollowStatus {
  name: string;
  source: string;
  importWorkflowId: string;
  /** Rounds that imported something. */
  rounds: number;
  polls: number;
  /** Rounds skipped because another import (e.g. a manual one) held the table's import id. */
  busyRounds: number;
  importedVersion: number | null;
  sourceVersion: number | null;
  lagSeconds: number | null;
  lastPollAt: number | null;
  lastImportAt: number | null;
  wallLag: WallLag;
  continuedAsNew: number;
  stopping: boolean;
}

export type SyncOnceStatus = 'up-to-date' | 'imported' | 'skipped-busy';

export interface SyncOnceResult {
  status: SyncOnceStatus;
  name: string;
  fromVersion: number | null;
  toVersion: number | null;
  versionsImported: number;
  lagSeconds: number | null;
  /** True when the round first waited for another import of the same table to finish. */
  waitedForRunningImport: boolean;
}
