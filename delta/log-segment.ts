/**
 * Decide which files make up version N (PROTOCOL.md "Log Segment"): the newest complete checkpoint
 * c <= N plus commits c+1..N, or commits 0..N. Commits must be contiguous; a hole is a LogGap that
 * names the missing versions, and we never replay across it.
 */
import { DeltaSqlError, logGap, tableNotFound } from '../common/errors';
import type { ObjectMeta } from '../storage/object-store';
import { displayPath } from '../storage/storage-error';
import { LOG_DIR, commitPath, padVersion } from './log-path';
import { type LogListing, maxListedVersion } from './listing';
import type { CheckpointRef, LogSegment } from './table';

/** A LogSegment plus the commit file at the checkpoint version, when present (for its timestamp). */
export interface ResolvedSegment extends LogSegment {
  checkpointCommit: ObjectMeta | null;
}

/** Newest complete checkpoint at or below `version` in the listing. */
export function newestCheckpointAtOrBelow(listing: LogListing, version: number): CheckpointRef | null {
  let best: CheckpointRef | null = null;
  for (const [v, refs] of listing.checkpoints) {
    if (v <= version && refs.length > 0 && (best === null || v > best.version)) best = refs[0];
  }
  return best;
}

export function latestVersionOf(listing: LogListing, root: string): number {
  const latest = maxListedVersion(listing);
  if (latest === null) throw tableNotFound(root);
  return latest;
}

/**
 * Build the segment for `target` (default: latest). `listing` must be a full listing when it holds
 * no checkpoint at or below the target (the caller re-lists in that case).
 */
export function buildSegment(listing: LogListing, root: string, target?: number): ResolvedSegment {
  const latest = latestVersionOf(listing, root);
  const version = target ?? latest;
  if (!Number.isInteger(version) || version < 0 || version > latest) {
    throw new DeltaSqlError(
      'VersionNotFound',
      `version ${version} does not exist in ${displayPath(root, LOG_DIR)} (latest is ${latest}): no ${commitPath(version)}`,
      { file: displayPath(root, commitPath(version)) },
    );
  }
  const checkpoint = newestCheckpointAtOrBelow(listing, version);
  const start = checkpoint ? checkpoint.version + 1 : 0;
  if (!checkpoint && !listing.commits.has(0)) throw unreconstructable(listing, root, version);

  const commits: { version: number; meta: ObjectMeta }[] = [];
  const missing: number[] = [];
  for (let v = start; v <= version; v++) {
    const meta = listing.commits.get(v);
    if (meta) commits.push({ version: v, meta });
    else missing.push(v);
  }
  if (missing.length > 0) throw logGap(missing, displayPath(root, commitPath(missing[0])));
  return {
    version,
    checkpoint,
    commits,
    checkpointCommit: checkpoint ? (listing.commits.get(checkpoint.version) ?? null) : null,
  };
}

/** No usable checkpoint and no version 0: blame an incomplete checkpoint if one would have served. */
function unreconstructable(listing: LogListing, root: string, version: number): DeltaSqlError {
  const broken = listing.incomplete
    .filter((c) => c.version <= version)
    .sort((a, b) => b.version - a.version)[0];
  if (broken) {
    const partName = (p: number): string =>
      `${LOG_DIR}/${padVersion(broken.version)}.checkpoint.${String(p).padStart(10, '0')}.${String(broken.numParts).padStart(10, '0')}.parquet`;
    const file = displayPath(root, partName(broken.missing[0]));
    return new DeltaSqlError(
      'IncompleteCheckpoint',
      `checkpoint ${broken.version} is incomplete: part(s) ${broken.missing.join(', ')} of ${broken.numParts} missing (${file}), and version ${version} cannot be reconstructed without it`,
      { file },
    );
  }
  const oldest = Math.min(...listing.commits.keys());
  const file = displayPath(root, commitPath(0));
  return new DeltaSqlError(
    'LogTruncated',
    `version ${version} cannot be reconstructed: ${file} is missing and there is no complete checkpoint at or below ${version}` +
      (Number.isFinite(oldest) ? ` (oldest commit in the log is ${oldest})` : ''),
    { file },
  );
}

/** Oldest version whose segment can be built: 0 when commit 0 exists, else the oldest checkpoint. */
export function oldestReconstructable(listing: LogListing, root: string): number {
  latestVersionOf(listing, root);
  if (listing.commits.has(0)) return 0;
  const cps = [...listing.checkpoints.keys()].filter((v) => (listing.checkpoints.get(v) ?? []).length > 0);
  if (cps.length === 0) throw unreconstructable(listing, root, latestVersionOf(listing, root));
  return Math.min(...cps);
}
