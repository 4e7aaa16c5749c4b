/**
 * Log vs catalog file sets compared one path range at a time, so a validation holds one range of
 * each side, not two whole snapshots (issue 14: a 610 MiB commit of 150k wide adds held ~2 x 600
 * MB). For each range [lo, hi) the log segment is replayed into a builder that keeps only adds
 * whose raw path lies in the range, and the catalog reads only the rows valid at V in that range
 * (catalog/file-ranges.ts); the two are diffed as `diffFiles` does and the diffs merged. Ranges
 * cover every path exactly once on both sides because both compare in code-point order (UTF-8
 * byte order in SQL). The log is read once per range: its cost is ranges x one replay.
 */
import type { LogAction } from '../delta/actions';
import { SnapshotBuilder } from '../delta/replay';
import type { FileJson, SnapshotJson } from '../delta/snapshot-json';
import type { DeltaTable } from '../delta/table';
import {
  type DiffOptions,
  type DiffReport,
  type FileDiff,
  diffFiles,
  diffSnapshots,
  mergeFileDiffs,
} from './diff-engine';

/** Map a UTF-16 code unit so that code-unit order becomes code-point order (surrogates last). */
const fixup = (c: number): number => (c < 0xd800 ? c : c <= 0xdfff ? c + 0x2000 : c - 0x800);

/** Code-point order of two strings, i.e. the byte order of their UTF-8 forms (SQL's binary order). */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return fixup(x) < fixup(y) ? -1 : 1;
  }
  return a.length < b.length ? -1 : 1;
}

/** The range [lo, hi) of raw paths; a null bound is open. */
export interface PathRange {
  lo: string | null;
  hi: string | null;
}

export const inRange = (path: string, r: PathRange): boolean =>
  (r.lo === null || compareCodePoints(path, r.lo) >= 0) &&
  (r.hi === null || compareCodePoints(path, r.hi) < 0);

/** Ranges cut at `bounds` (ascending): (-inf, b0), [b0, b1), ..., [bn, +inf). */
export function rangesFromBounds(bounds: readonly string[]): PathRange[] {
  const out: PathRange[] = [];
  for (let i = 0; i <= bounds.length; i++) {
    out.push({ lo: i === 0 ? null : bounds[i - 1], hi: i === bounds.length ? null : bounds[i] });
  }
  return out;
}

/** How often a range replay calls `tick` (it may take seconds on a huge commit). */
const TICK_EVERY = 65_536;

/**
 * A SnapshotBuilder that keeps the adds of one path range. An add outside the range still ends
 * the life of an earlier add of the same identity (last action wins), so it is applied as a
 * remove of that identity; a file is kept exactly when its last add/remove is an add in range.
 */
export class RangeBuilder extends SnapshotBuilder {
  private applied = 0;

  constructor(
    root: string,
    private readonly range: PathRange,
    private readonly tick: () => void,
  ) {
    super(root);
  }

  override apply(a: LogAction, fromCheckpoint = false): void {
    if (++this.applied % TICK_EVERY === 0) this.tick();
    if (a.type === 'add' && !inRange(a.body.path, this.range)) {
      const body = { path: a.body.path, deletionVector: a.body.deletionVector, dataChange: false };
      super.apply({ type: 'remove', seq: a.seq, raw: '', body }, false);
      return;
    }
    super.apply(a, fromCheckpoint);
  }
}

export interface RangeDiffInput {
  table: DeltaTable;
  version: number;
  /** The catalog snapshot without files (its numFiles and sizeBytes are the catalog's totals). */
  catalogHead: SnapshotJson;
  ranges: readonly PathRange[];
  /** The catalog's files valid at `version` in one range. */
  catalogFiles: (r: PathRange) => Promise<FileJson[]>;
  opts?: DiffOptions;
  heartbeat: () => void;
}

/** The full diff report of `diffSnapshots`, computed range by range. */
export async function diffInPathRanges(input: RangeDiffInput): Promise<DiffReport> {
  const { table, version, heartbeat } = input;
  const seg = await table.segment(version);
  const parts: FileDiff[] = [];
  let head: SnapshotJson | null = null;
  let sourceFiles = 0;
  let sourceBytes = 0;
  let catalogFiles = 0;
  for (const range of input.ranges) {
    const builder = new RangeBuilder(table.root, range, heartbeat);
    // The catalog's range is read while the log is replayed (the database works meanwhile).
    const [replayed, sql] = await Promise.all([table.replay(seg, builder), input.catalogFiles(range)]);
    const part = builder.toJson(version, replayed.timestamp, true, replayed.file);
    const files = part.files ?? [];
    parts.push(diffFiles(files, sql, input.opts));
    sourceFiles += part.numFiles;
    sourceBytes += part.sizeBytes;
    catalogFiles += sql.length;
    if (head === null) {
      head = { ...part };
      delete head.files;
    }
    heartbeat();
  }
  if (head === null) throw new RangeError('diffInPathRanges needs at least one range');
  const source: SnapshotJson = { ...head, numFiles: sourceFiles, sizeBytes: sourceBytes };
  const diff = mergeFileDiffs(parts, input.opts?.maxListedFiles);
  return diffSnapshots(source, input.catalogHead, input.opts, { diff, sourceFiles, catalogFiles });
}
