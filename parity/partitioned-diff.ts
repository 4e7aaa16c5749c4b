/**
 * Log vs catalog file sets compared by path ranges with stats digested, so a validation holds a
 * compact form of one range of each side, not two whole snapshots (issue 14: a 610 MiB commit of
 * 150k wide adds held ~2 x 600 MB). For each group of ranges [lo, hi) the log segment is replayed
 * into a builder that keeps only adds whose raw path lies in it (stats as a sha1 digest), and the
 * catalog reads the rows valid at V range by range (catalog/file-ranges.ts), each range's full
 * rows digested as they arrive; the two are diffed as `diffFiles` does and the diffs merged.
 * Ranges cover every path exactly once on both sides because both compare in code-point order
 * (UTF-8 byte order in SQL). The log is read once per group: its cost is groups x one replay.
 */
import { createHash } from 'node:crypto';
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
 * A stats string replaced by its digest: equal stats give equal digests, so `diffFiles` still
 * finds every stats difference, while a held file costs ~30 bytes of stats instead of kilobytes.
 */
export const statsDigest = (stats: string): string =>
  `sha1:${createHash('sha1').update(stats).digest('base64')}`;

/** A catalog file with its stats digested (see statsDigest). */
export function compactFile(f: FileJson): FileJson {
  if (f.stats !== undefined) f.stats = statsDigest(f.stats);
  return f;
}

/**
 * A SnapshotBuilder that keeps the adds of one path range, their stats digested. An add outside
 * the range still ends the life of an earlier add of the same identity (last action wins), so it
 * is applied as a remove of that identity; a file is kept exactly when its last add/remove is an
 * add in range.
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
    if (a.type === 'add') {
      if (!inRange(a.body.path, this.range)) {
        const body = { path: a.body.path, deletionVector: a.body.deletionVector, dataChange: false };
        super.apply({ type: 'remove', seq: a.seq, raw: '', body }, false);
        return;
      }
      if (typeof a.body.stats === 'string') a.body.stats = statsDigest(a.body.stats);
    }
    super.apply(a, fromCheckpoint);
  }
}

/** One log range and the catalog sub-ranges that tile it (read one after another). */
export interface RangeGroup {
  range: PathRange;
  parts: PathRange[];
}

/**
 * Group consecutive ranges into `n` groups (n >= 1) of about equal size: the log is replayed once
 * per group, the catalog read once per range, so the catalog side's full rows stay small while
 * the log is read as few times as its compact state allows.
 */
export function groupRanges(ranges: readonly PathRange[], n: number): RangeGroup[] {
  const per = Math.max(1, Math.ceil(ranges.length / Math.max(1, n)));
  const out: RangeGroup[] = [];
  for (let i = 0; i < ranges.length; i += per) {
    const parts = ranges.slice(i, i + per);
    out.push({ range: { lo: parts[0].lo, hi: parts[parts.length - 1].hi }, parts });
  }
  return out;
}

export interface RangeDiffInput {
  table: DeltaTable;
  version: number;
  /** The catalog snapshot without files (its numFiles and sizeBytes are the catalog's totals). */
  catalogHead: SnapshotJson;
  groups: readonly RangeGroup[];
  /** The catalog's files valid at `version` in one range, full (their stats are digested here). */
  catalogFiles: (r: PathRange) => Promise<FileJson[]>;
  opts?: DiffOptions;
  heartbeat: () => void;
}

/** The catalog's files of a group, compacted range by range. */
async function catalogGroup(input: RangeDiffInput, g: RangeGroup): Promise<FileJson[]> {
  const out: FileJson[] = [];
  for (const part of g.parts) {
    for (const f of await input.catalogFiles(part)) out.push(compactFile(f));
    input.heartbeat();
  }
  return out;
}

/**
 * The diff report of `diffSnapshots`, computed group by group. A changed file's stats are listed
 * as digests (the report names the field; `deltasql diff` shows the values).
 */
export async function diffInPathRanges(input: RangeDiffInput): Promise<DiffReport> {
  const { table, version, heartbeat } = input;
  const seg = await table.segment(version);
  const parts: FileDiff[] = [];
  let head: SnapshotJson | null = null;
  let sourceFiles = 0;
  let sourceBytes = 0;
  let catalogFiles = 0;
  for (const g of input.groups) {
    const builder = new RangeBuilder(table.root, g.range, heartbeat);
    // The catalog's ranges are read while the log is replayed (the database works meanwhile).
    const [replayed, sql] = await Promise.all([table.replay(seg, builder), catalogGroup(input, g)]);
    const part = builder.toJson(version, replayed.timestamp, true, replayed.file);
    parts.push(diffFiles(part.files ?? [], sql, input.opts));
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
