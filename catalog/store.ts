/**
 * The narrow interface every catalog engine implements. Only dialect differences live in the
 * engine files (sqlite-store.ts, postgres-store.ts); semantics are defined here.
 *
 * Atomicity: `writeVersions` makes each version visible only with all of its rows, and is
 * idempotent: re-writing an existing version with identical content is a no-op, with different
 * content it throws VersionConflict. Retries therefore never duplicate rows.
 */
import type { ActionCounts, Commit, LogAction } from '../delta/actions';
import type { RawCommit, StreamedRawCommit } from '../delta/commit-framing';
import type { StreamedCommit } from '../delta/commit-stream';
import type { SnapshotJson } from '../delta/snapshot-json';
import type { PathMismatches } from '../delta/path-mismatches';
import type { SqlDialect } from './sql';
import type { PreparedVersions } from './writer';
import type { TableModeState } from './commit/table-mode';

export type { PreparedVersions };

/** A checkpoint baseline: its version, timestamp, checkpoint file, and its commit file's bytes when that json exists. */
export interface BaselineInfo {
  version: number;
  timestamp: number;
  file: string;
  /** The commit file at the baseline version: whole, streamed (stored in parts), or none. */
  raw?: RawCommit | StreamedRawCommit | null;
}

export interface CatalogTable {
  tableId: string;
  name: string;
  location: string;
  /** Newest version fully written, or null when nothing is imported yet. */
  lastVersion: number | null;
  /** First version present; > 0 when imported checkpoint-first (earlier history absent). */
  firstVersion: number | null;
  /** Version of the checkpoint baseline, when there is one. */
  baselineVersion: number | null;
  lastCommitTimestamp: number | null;
  createdAt: number;
}

export interface WriteResult {
  versionsWritten: number;
  versionsSkipped: number;
  counts: ActionCounts;
  /** Removes that named their add in another URI spelling (import notes). */
  pathMismatches?: PathMismatches;
}

export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';

export interface ImportRun {
  runId: string;
  tableId: string;
  workflowId: string | null;
  temporalRunId: string | null;
  mode: string;
  status: RunStatus;
  startedAt: number;
  finishedAt: number | null;
  fromVersion: number | null;
  toVersion: number | null;
  versionsImported: number;
  counts: Partial<ActionCounts>;
  validation: string | null;
  error: string | null;
  /** The import's notes, one per line (migration 11); absent or null when there were none. */
  notes?: string | null;
}

export interface SnapshotQuery {
  version?: number;
  /** Milliseconds since the epoch: the newest version whose timestamp is <= this. */
  timestamp?: number;
  includeFiles: boolean;
}

/** Which version a file list is read at: `version`, else the newest at or before `timestamp`, else the latest. */
export interface FileListQuery {
  version?: number;
  /** Milliseconds since the epoch: the newest version whose timestamp is <= this. */
  timestamp?: number;
}

export interface CatalogStore {
  readonly dialect: SqlDialect;
  /** Apply pending migrations; safe to call on every start. */
  migrate(): Promise<void>;
  /** Find by table id or by name. */
  findTable(idOrName: string): Promise<CatalogTable | null>;
  listTables(): Promise<CatalogTable[]>;
  /** Create the table row if absent (by id or name); returns the row. */
  ensureTable(opts: { location: string; name?: string; tableId?: string }): Promise<CatalogTable>;
  /**
   * Turn commits into rows without touching the database, so the next batch can be prepared while
   * the previous one is written; pass the result to `writeVersions`. Pure and reusable on retry.
   */
  prepareVersions(tableId: string, commits: readonly Commit[]): PreparedVersions;
  /** Write whole commits (or prepared ones); each version atomic and idempotent (see file comment). */
  writeVersions(tableId: string, commits: readonly Commit[] | PreparedVersions): Promise<WriteResult>;
  /**
   * Write one version too large to hold in memory, streaming its actions in bounded chunks; as
   * atomic and idempotent as `writeVersions` (catalog/version-stream.ts).
   */
  writeVersionStream(tableId: string, commit: StreamedCommit): Promise<WriteResult>;
  /**
   * Store a checkpoint's state as the table's first version (checkpoint-first import). Streams the
   * actions; all-or-nothing. Records that versions before it are not present.
   */
  writeBaseline(
    tableId: string,
    baseline: BaselineInfo,
    actions: AsyncIterable<LogAction>,
  ): Promise<WriteResult>;
  snapshot(tableId: string, q: SnapshotQuery): Promise<SnapshotJson>;
  /**
   * The SQL equivalent of delta-rs `DeltaTable(path, version=v).files()`: the `path` of every add
   * valid at the version (as stored: relative to the table root, or an absolute URI), in snapshot
   * file order (path, then deletion-vector id). Same version resolution and errors as `snapshot`.
   */
  files(tableId: string, q: FileListQuery): Promise<string[]>;
  /**
   * Housekeeping after a bulk load, so reads are fast straight away instead of after autovacuum:
   * fresh planner statistics, and on PostgreSQL the visibility map that lets file lists run as
   * index-only scans. Safe to run at any time; never inside a write.
   */
  optimize(): Promise<void>;
  /** Raw JSON lines of one version in their original order (lossless rebuild). */
  commitLines(tableId: string, version: number): Promise<string[]>;
  /**
   * The exact bytes of the version's commit file (`N.json`), rebuilt from the action rows and the
   * stored framing and verified against its stored size and sha256 (CommitBytesMismatch when they
   * differ). Null when the catalog holds no commit for that version (e.g. a checkpoint baseline
   * whose json was absent).
   */
  commitBytes(tableId: string, version: number): Promise<Buffer | null>;
  /** Mode (mirror / sql-primary) and publishing state of a table by id or name (migration 7). */
  tableMode(idOrName: string): Promise<TableModeState>;
  dropTable(tableId: string): Promise<void>;
  startRun(run: Omit<ImportRun, 'finishedAt' | 'status'> & { status?: RunStatus }): Promise<void>;
  finishRun(runId: string, patch: Partial<ImportRun>): Promise<void>;
  listRuns(tableId: string, limit?: number): Promise<ImportRun[]>;
  close(): Promise<void>;
}
