/**
 * The two benchmark sizes. Full is what issue 10 asks for (10k versions / 1M actions, a 1M-file
 * checkpoint, 100k versions); quick is a smoke-sized run of the same scenarios that fits in a
 * few minutes. Table shapes are chosen so the generated logs stay realistic (partitioned, stats,
 * removes) while the checkpoints stay bounded: removes nearly balance adds.
 */
import { DEFAULT_ACTIONS_PER_ACTIVITY, DEFAULT_BATCH_SIZE } from '../common/config';

export interface TableShape {
  versions: number;
  addsPerVersion: number;
  removesPerVersion: number;
  /** Write a checkpoint (with delta-rs) every K versions and at the latest; 0 = only none. */
  checkpointEvery: number;
  /** Also checkpoint the latest version (the checkpoint-only scenario needs it). */
  checkpointLatest: boolean;
  /** Rewrite the checkpoints with at most this many rows per parquet row group (pyarrow). */
  checkpointRowGroupRows?: number;
}

export interface BenchConfig {
  mode: 'quick' | 'full';
  fullHistory: TableShape & { runs: number };
  /** delta-rs layout: the whole checkpoint in one parquet row group. */
  checkpointOnly: TableShape & { runs: number };
  /** The same table with 100k-row row groups, as Spark's 128 MB parquet blocks (and our generator) write. */
  checkpointOnlyRowGroups: TableShape & { runs: number };
  hundredK: TableShape & { runs: number };
  copyRuns: number;
  snapshotIterations: number;
  /** Interleaved pairs (after one warm-up pair) of the side-by-side comparisons (bench/interleave.ts). */
  peerPairs: number;
  /** Small generated tables for the scale-out run (discover --import). */
  scaleOutTables: number;
  parseAdds: number;
  /** Import knobs, equal to the CLI defaults (client/commands/import.ts). */
  batchSize: number;
  actionsPerActivity: number;
}

export const FULL: BenchConfig = {
  mode: 'full',
  // ~100 actions per version (commitInfo + 50 adds + 48 removes + occasional txn/metadata).
  fullHistory: {
    versions: 10_000,
    addsPerVersion: 50,
    removesPerVersion: 48,
    checkpointEvery: 100,
    checkpointLatest: false,
    runs: 2,
  },
  // 10 commits of 100k adds; the checkpoint at version 9 holds 1M add actions.
  checkpointOnly: {
    versions: 10,
    addsPerVersion: 100_000,
    removesPerVersion: 0,
    checkpointEvery: 0,
    checkpointLatest: true,
    runs: 1,
  },
  checkpointOnlyRowGroups: {
    versions: 10,
    addsPerVersion: 100_000,
    removesPerVersion: 0,
    checkpointEvery: 0,
    checkpointLatest: true,
    checkpointRowGroupRows: 100_000,
    runs: 3,
  },
  hundredK: {
    versions: 100_000,
    addsPerVersion: 3,
    removesPerVersion: 2,
    checkpointEvery: 0,
    checkpointLatest: false,
    runs: 1,
  },
  copyRuns: 2,
  snapshotIterations: 5,
  peerPairs: 3,
  scaleOutTables: 200,
  parseAdds: 200_000,
  batchSize: DEFAULT_BATCH_SIZE,
  actionsPerActivity: DEFAULT_ACTIONS_PER_ACTIVITY,
};

export const QUICK: BenchConfig = {
  mode: 'quick',
  fullHistory: {
    versions: 1_000,
    addsPerVersion: 25,
    removesPerVersion: 23,
    checkpointEvery: 100,
    checkpointLatest: false,
    runs: 1,
  },
  checkpointOnly: {
    versions: 2,
    addsPerVersion: 50_000,
    removesPerVersion: 0,
    checkpointEvery: 0,
    checkpointLatest: true,
    runs: 1,
  },
  checkpointOnlyRowGroups: {
    versions: 2,
    addsPerVersion: 50_000,
    removesPerVersion: 0,
    checkpointEvery: 0,
    checkpointLatest: true,
    checkpointRowGroupRows: 10_000,
    runs: 1,
  },
  hundredK: {
    versions: 10_000,
    addsPerVersion: 3,
    removesPerVersion: 2,
    checkpointEvery: 0,
    checkpointLatest: false,
    runs: 1,
  },
  copyRuns: 1,
  snapshotIterations: 3,
  peerPairs: 3,
  scaleOutTables: 40,
  parseAdds: 50_000,
  batchSize: DEFAULT_BATCH_SIZE,
  actionsPerActivity: DEFAULT_ACTIONS_PER_ACTIVITY,
};
