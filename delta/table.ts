/**
 * Entry point of the Delta core: open a table by URI and ask for snapshots, commits, checkpoints.
 * STUB — being implemented; signatures are the contract other layers code against.
 */
import type { ObjectMeta, ObjectStore } from '../storage/object-store';
import type { Commit, LogAction } from './actions';
import type { SnapshotJson } from './snapshot-json';

export interface CheckpointRef {
  version: number;
  kind: 'v2' | 'multi-part' | 'classic';
  /** Top-level checkpoint files (parts, or the single V2/classic file), relative to the table root. */
  files: ObjectMeta[];
}

/** Which files make up version N: newest complete checkpoint <= N plus the contiguous commits after it. */
export interface LogSegment {
  version: number;
  checkpoint: CheckpointRef | null;
  /** Commit files checkpoint+1..version (or 0..version), in order. */
  commits: { version: number; meta: ObjectMeta }[];
}

export interface Crc {
  version: number;
  numFiles: number;
  tableSizeBytes: number;
  raw: Record<string, unknown>;
}

export interface HistoryEntry {
  version: number;
  timestamp: number;
  operation: string | null;
  counts: Record<string, number>;
}

export interface SnapshotRequest {
  version?: number;
  timestamp?: number;
}

export interface DeltaTableOptions {
  store?: ObjectStore;
  /** Bounded parallelism for commit fetches (default 16). */
  concurrency?: number;
  /** Receives warnings such as a stale or dangling _last_checkpoint. */
  onWarning?: (message: string) => void;
}

export declare class DeltaTable {
  readonly root: string;
  readonly store: ObjectStore;
  static open(uri: string, opts?: DeltaTableOptions): Promise<DeltaTable>;
  /** Newest version in the log (listing; _last_checkpoint only as a hint). */
  latestVersion(): Promise<number>;
  /** Oldest version that can be reconstructed (0, or the oldest complete checkpoint when commits were cleaned up). */
  oldestReconstructableVersion(): Promise<number>;
  /** Complete checkpoints at or below `upTo`, oldest first. */
  checkpoints(upTo?: number): Promise<CheckpointRef[]>;
  segment(version?: number): Promise<LogSegment>;
  /** Commits from..to inclusive, in order, fetched in parallel with bounded concurrency. LogGap on a hole. */
  commits(from: number, to: number): AsyncIterable<Commit>;
  /** All actions of a checkpoint (parts and sidecars expanded), streamed row group by row group. */
  checkpointActions(checkpoint: CheckpointRef): AsyncIterable<LogAction>;
  snapshot(req?: SnapshotRequest, opts?: { includeFiles?: boolean }): Promise<SnapshotJson>;
  crc(version: number): Promise<Crc | null>;
  history(limit?: number): Promise<HistoryEntry[]>;
}
