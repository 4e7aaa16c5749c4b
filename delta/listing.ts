/**
 * One pass over `_delta_log/` that groups what the segment builder needs: commit files by version,
 * checkpoint files grouped into complete/incomplete checkpoints, and `.crc` files. Listing is the
 * source of truth; `_last_checkpoint` only decides where listing may start. A listing for a
 * version range starts after `from` (S3 StartAfter) and stops at the first file past `to`, so
 * importing range after range of a 100k-version log lists each version about once, not the
 * whole remaining log per range.
 */
import type { ObjectMeta, ObjectStore } from '../storage/object-store';
import { LOG_DIR, padVersion, parseLogFile } from './log-path';
import type { CheckpointRef } from './table';

export interface IncompleteCheckpoint {
  version: number;
  numParts: number;
  present: number[];
  missing: number[];
}

export interface LogListing {
  /** Lowest version this listing covers (0 for a full listing). */
  from: number;
  /** Highest version it covers (undefined: up to the latest). */
  to?: number;
  commits: Map<number, ObjectMeta>;
  crcs: Map<number, ObjectMeta>;
  /** Complete checkpoints per version, most preferred first (UUID > multi-part > classic). */
  checkpoints: Map<number, CheckpointRef[]>;
  incomplete: IncompleteCheckpoint[];
  /** True when anything at all exists under _delta_log/ (hidden files included). */
  anyObject: boolean;
}

const KIND_RANK: Record<CheckpointRef['kind'], number> = { v2: 0, 'multi-part': 1, classic: 2 };

export async function listLog(store: ObjectStore, fromVersion = 0, toVersion?: number): Promise<LogListing> {
  const commits = new Map<number, ObjectMeta>();
  const crcs = new Map<number, ObjectMeta>();
  const v2 = new Map<number, ObjectMeta[]>();
  const classic = new Map<number, ObjectMeta>();
  /** version -> numParts -> part -> meta */
  const multi = new Map<number, Map<number, Map<number, ObjectMeta>>>();
  let anyObject = false;
  const startAfter = fromVersion > 0 ? `${LOG_DIR}/${padVersion(fromVersion)}` : undefined;
  for await (const meta of store.list(`${LOG_DIR}/`, { startAfter })) {
    anyObject = true;
    const f = parseLogFile(meta);
    if (f === null || f.version < fromVersion) continue;
    // Names are zero-padded, so every file of a later version sorts after all of `toVersion`'s.
    if (toVersion !== undefined && f.version > toVersion) break;
    if (f.kind === 'commit') commits.set(f.version, meta);
    else if (f.kind === 'crc') crcs.set(f.version, meta);
    else if (f.kind === 'checkpoint') {
      if (f.checkpoint === 'classic') classic.set(f.version, meta);
      else if (f.checkpoint === 'v2') v2.set(f.version, [...(v2.get(f.version) ?? []), meta]);
      else {
        const byCount = multi.get(f.version) ?? new Map<number, Map<number, ObjectMeta>>();
        const parts = byCount.get(f.numParts) ?? new Map<number, ObjectMeta>();
        parts.set(f.part, meta);
        byCount.set(f.numParts, parts);
        multi.set(f.version, byCount);
      }
    }
  }

  const checkpoints = new Map<number, CheckpointRef[]>();
  const incomplete: IncompleteCheckpoint[] = [];
  const add = (ref: CheckpointRef): void => {
    checkpoints.set(ref.version, [...(checkpoints.get(ref.version) ?? []), ref]);
  };
  for (const [version, files] of v2) for (const f of files) add({ version, kind: 'v2', files: [f] });
  for (const [version, meta] of classic) add({ version, kind: 'classic', files: [meta] });
  for (const [version, byCount] of multi) {
    for (const [numParts, parts] of byCount) {
      const missing: number[] = [];
      for (let p = 1; p <= numParts; p++) if (!parts.has(p)) missing.push(p);
      if (missing.length === 0) {
        const files = [...parts.entries()].sort((a, b) => a[0] - b[0]).map(([, m]) => m);
        add({ version, kind: 'multi-part', files });
      } else {
        incomplete.push({ version, numParts, present: [...parts.keys()].sort((a, b) => a - b), missing });
      }
    }
  }
  for (const refs of checkpoints.values()) {
    refs.sort((a, b) => KIND_RANK[a.kind] - KIND_RANK[b.kind] || b.files.length - a.files.length);
  }
  return { from: fromVersion, to: toVersion, commits, crcs, checkpoints, incomplete, anyObject };
}

/** Newest version present in the listing (commit or checkpoint), or null when there is none. */
export function maxListedVersion(l: LogListing): number | null {
  let max = -1;
  for (const v of l.commits.keys()) if (v > max) max = v;
  for (const v of l.checkpoints.keys()) if (v > max) max = v;
  return max < 0 ? null : max;
}
