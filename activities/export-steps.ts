/**
 * The units of `deltasql export` as plain functions (store, destination, versions), so the Temporal
 * activities (export-activities.ts) and in-process callers (tests, restore checks) run the same code:
 * plan (which versions become commits, checkpoints and `.crc`s), one version range (commits + crcs),
 * one checkpoint, and `_last_checkpoint`. Only the log is written; data files are never touched.
 */
import { DeltaSqlError } from '../common/errors';
import { crcStates, checkpointSource } from '../catalog/export-reader';
import { STREAM_EXPORT_BYTES, commitBytesInRange, hasCommitFile } from '../catalog/raw-commits';
import { sourceCheckpointVersions } from '../catalog/source-checkpoints';
import { SqlCatalogStore } from '../catalog/sql-catalog';
import type { SqlDriver } from '../catalog/sql';
import type { CatalogStore, CatalogTable } from '../catalog/store';
import { writeCheckpoint, type CheckpointAction } from '../delta/checkpoint-writer';
import { writeCrc } from '../delta/crc-writer';
import { listLog } from '../delta/listing';
import { writeCommitStream } from '../delta/large-commit-writer';
import { writeCommit, writeLastCheckpoint, type WriteOutcome } from '../delta/log-writer';
import type { ObjectStore } from '../storage/object-store';
import { openStore } from '../storage/uri';

export interface ExportInput {
  catalog: string;
  /** Catalog table name or id. */
  table: string;
  /** Table root to write `_delta_log/` under (local path, file://, s3://, …). */
  dest: string;
  fromVersion?: number;
  upToVersion?: number;
  /** Checkpoint every K versions; 0 = no checkpoints; undefined = where the source had them. */
  checkpointInterval?: number;
  overwrite: boolean;
}

export interface ExportPlan {
  tableId: string;
  name: string;
  /** Exported range (inclusive). */
  from: number;
  to: number;
  /** Versions written as commits: [commitFrom, to]; earlier ones exist only as a checkpoint. */
  commitFrom: number;
  checkpoints: number[];
  /** How the checkpoint versions were chosen. */
  checkpointRule: string;
  /** Versions that cannot be rebuilt as commits (not in the catalog, or only as a checkpoint), or null. */
  notRebuildable: { from: number; to: number } | null;
  /** The export's clock (epoch ms): every checkpoint of one export expires tombstones against it. */
  nowMs: number;
}

export interface RangeExportResult {
  from: number;
  to: number;
  /** Files per outcome (commits and crcs together). */
  outcomes: Record<WriteOutcome, number>;
  bytes: number;
}

export interface CheckpointExportResult {
  version: number;
  size: number;
  sizeInBytes: number;
  numOfAddFiles: number;
  outcome: WriteOutcome;
}

/** Spark's default `delta.checkpointInterval`, used when the source's checkpoints are unknown. */
export const DEFAULT_CHECKPOINT_INTERVAL = 10;

/** The SQL driver behind a catalog store (every engine is a SqlCatalogStore over its driver). */
export function driverOf(store: CatalogStore): SqlDriver {
  if (store instanceof SqlCatalogStore) return store.driver;
  throw new DeltaSqlError('CatalogError', 'export needs a SQL catalog store');
}

/**
 * The commit file's bytes, or null when the catalog holds no commit for the version (a
 * checkpoint-first baseline). The catalog verifies them against the stored sha256.
 */
export async function commitFileBytes(
  store: CatalogStore,
  tableId: string,
  v: number,
): Promise<Buffer | null> {
  return store.commitBytes(tableId, v);
}

async function requireExportTable(store: CatalogStore, idOrName: string): Promise<CatalogTable> {
  const t = await store.findTable(idOrName);
  if (!t) {
    throw new DeltaSqlError('CatalogTableNotFound', `no table "${idOrName}" in the catalog`);
  }
  if (t.firstVersion === null || t.lastVersion === null) {
    throw new DeltaSqlError('VersionNotFound', `table ${t.name} has no imported versions yet`);
  }
  return t;
}

/** Versions of the complete checkpoints the table's recorded location still lists, or null when it has no log. */
async function sourceCheckpoints(location: string, from: number, to: number): Promise<number[] | null> {
  try {
    const listing = await listLog(openStore(location), from);
    if (!listing.anyObject) return null;
    return [...listing.checkpoints.keys()].filter((v) => v <= to).sort((a, b) => a - b);
  } catch {
    return null;
  }
}

/**
 * Checkpoints where the source had them: as recorded at import (migration 6) for the versions
 * the record covers; past that, as the table's location still lists them; where neither is
 * known, every DEFAULT_CHECKPOINT_INTERVAL versions. The last recorded version is listed again
 * when the location is readable: writers put a checkpoint just after its commit, so the import
 * that took the commit often listed the log a moment before the checkpoint appeared.
 */
async function sourceCheckpointPlan(
  store: CatalogStore,
  t: CatalogTable,
  from: number,
  to: number,
  every: (k: number, lo: number) => number[],
): Promise<{ checkpoints: number[]; checkpointRule: string }> {
  const rec = await sourceCheckpointVersions(driverOf(store), t.tableId, from, to);
  const known = rec.listedTo === null ? from - 1 : Math.min(rec.listedTo, to);
  const rules: string[] = [];
  const checkpoints = new Set(rec.versions.filter((v) => v <= known));
  if (known >= from) rules.push(`where the source had them (recorded at import, versions ${from}–${known})`);
  const listed = await sourceCheckpoints(t.location, Math.max(from, known), to);
  if (listed !== null && listed.includes(known) && !checkpoints.has(known)) {
    checkpoints.add(known);
    rules.push(`at ${known}, where the source log has one written after the import listed it`);
  }
  if (known < to) {
    if (listed !== null) {
      for (const v of listed) if (v > known) checkpoints.add(v);
      rules.push(`where the source log has them (${t.location}, versions ${known + 1}–${to})`);
    } else {
      for (const v of every(DEFAULT_CHECKPOINT_INTERVAL, known + 1)) checkpoints.add(v);
      rules.push(
        `every ${DEFAULT_CHECKPOINT_INTERVAL} versions for ${known + 1}–${to} (not recorded, and the source log is not readable)`,
      );
    }
  }
  return { checkpoints: [...checkpoints].sort((a, b) => a - b), checkpointRule: rules.join('; ') };
}

export async function planExport(store: CatalogStore, input: ExportInput): Promise<ExportPlan> {
  const t = await requireExportTable(store, input.table);
  const first = t.firstVersion as number;
  const last = t.lastVersion as number;
  const from = Math.max(first, input.fromVersion ?? first);
  const to = Math.min(last, input.upToVersion ?? last);
  if (from > to) {
    throw new DeltaSqlError(
      'VersionNotFound',
      `nothing to export: table ${t.name} holds versions ${first}..${last}, asked for ${input.fromVersion ?? first}..${input.upToVersion ?? last}`,
    );
  }
  // A checkpoint-first baseline has no commit file unless its json was imported too; versions
  // before the catalog's first version are gone either way.
  const baseline = t.baselineVersion !== null && from <= t.baselineVersion ? t.baselineVersion : null;
  // Whether it has one, without rebuilding it (it may be a huge commit).
  const baselineKept = baseline !== null && (await hasCommitFile(driverOf(store), t.tableId, baseline));
  const commitFrom = baseline !== null && !baselineKept ? baseline + 1 : from;
  const notRebuildable =
    from === first && (first > 0 || commitFrom > from)
      ? { from: 0, to: commitFrom > from ? (baseline ?? 0) : first - 1 }
      : null;

  let checkpoints: number[];
  let checkpointRule: string;
  const every = (k: number, lo = from): number[] => {
    const out: number[] = [];
    for (let v = Math.ceil(Math.max(lo, 1) / k) * k; v <= to; v += k) out.push(v);
    return out;
  };
  if (input.checkpointInterval === 0) {
    checkpoints = [];
    checkpointRule = 'none (--no-checkpoints)';
  } else if (input.checkpointInterval !== undefined) {
    checkpoints = every(input.checkpointInterval);
    checkpointRule = `every ${input.checkpointInterval} versions`;
  } else {
    ({ checkpoints, checkpointRule } = await sourceCheckpointPlan(store, t, from, to, every));
  }
  // Readers need a checkpoint at the baseline: the log starts there, and without a commit file
  // it is the only account of that version.
  if (baseline !== null) checkpoints = [...new Set([baseline, ...checkpoints])].sort((a, b) => a - b);
  return {
    tableId: t.tableId,
    name: t.name,
    from,
    to,
    commitFrom,
    checkpoints,
    checkpointRule,
    notRebuildable,
    nowMs: Date.now(),
  };
}

const noOutcomes = (): Record<WriteOutcome, number> => ({
  created: 0,
  identical: 0,
  overwritten: 0,
  kept: 0,
});

/** File writes of one range in flight at once (the store's own calls are independent files). */
const WRITE_CONCURRENCY = 16;

/**
 * Commits [max(from, commitFrom), to] and a `.crc` for every version in [from, to]. Commits get
 * their commit timestamp as mtime where the destination allows (log-writer.ts says why). Commit
 * bytes come a chunk of versions per statement (catalog/raw-commits.ts) and files are written
 * WRITE_CONCURRENCY at a time; `progress` sees versions in order, once their files are written.
 * A commit above STREAM_EXPORT_BYTES is written alone, streamed (delta/large-commit-writer.ts),
 * with `beat` called as its chunks pass so a long write can heartbeat.
 */
export async function exportRange(
  store: CatalogStore,
  dest: ObjectStore,
  args: { tableId: string; from: number; to: number; commitFrom: number; overwrite: boolean },
  progress: (version: number) => void = () => undefined,
  beat: () => void = () => undefined,
  streamAbove = STREAM_EXPORT_BYTES,
): Promise<RangeExportResult> {
  const outcomes = noOutcomes();
  let bytes = 0;
  const db = driverOf(store);
  const first = Math.max(args.from, args.commitFrom);
  const commits = commitBytesInRange(db, args.tableId, first, args.to, undefined, streamAbove);
  let next = await commits.next();
  let pending: { version: number; writes: Promise<WriteOutcome>[] }[] = [];
  const settle = async (): Promise<void> => {
    const all = await Promise.allSettled(pending.flatMap((p) => p.writes));
    const failed = all.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    for (const r of all) if (r.status === 'fulfilled') outcomes[r.value]++;
    for (const p of pending) progress(p.version);
    pending = [];
  };
  for await (const { version, state } of crcStates(db, args.tableId, args.from, args.to)) {
    const writes: Promise<WriteOutcome>[] = [];
    if (version >= args.commitFrom) {
      while (!next.done && next.value.version < version) next = await commits.next();
      const c = next.done || next.value.version !== version ? null : next.value;
      if (c === null || (c.bytes === null && c.streamed === undefined)) {
        await settle();
        throw new DeltaSqlError(
          'VersionNotFound',
          `the catalog holds no commit for version ${version} of ${args.tableId}`,
        );
      }
      const opts = { overwrite: args.overwrite, modifiedMs: c.timestamp };
      if (c.streamed !== undefined) {
        // Alone: the earlier writes first, so only one huge body is in flight.
        await settle();
        writes.push(writeCommitStream(dest, version, c.streamed, opts, beat));
        bytes += c.streamed.size;
      } else if (c.bytes !== null) {
        writes.push(writeCommit(dest, version, c.bytes, opts));
        bytes += c.bytes.length;
      }
    }
    if (state !== null) writes.push(writeCrc(dest, version, state, { overwrite: args.overwrite }));
    // Rejections are collected by settle(); until then they must not count as unhandled.
    for (const w of writes) w.catch(() => undefined);
    pending.push({ version, writes });
    if (pending.length >= WRITE_CONCURRENCY) await settle();
  }
  await settle();
  return { from: args.from, to: args.to, outcomes, bytes };
}

/** The checkpoint at `version`, streamed from SQL. */
export async function exportCheckpoint(
  store: CatalogStore,
  dest: ObjectStore,
  args: { tableId: string; version: number; overwrite: boolean; nowMs?: number },
  progress: () => void = () => undefined,
): Promise<CheckpointExportResult> {
  const src = await checkpointSource(driverOf(store), args.tableId, args.version, args.nowMs ?? Date.now());
  async function* beating(): AsyncGenerator<CheckpointAction[]> {
    for await (const b of src.batches) {
      progress();
      yield b;
    }
  }
  const r = await writeCheckpoint(dest, args.version, beating(), {
    metadata: src.metadata,
    overwrite: args.overwrite,
  });
  return {
    version: args.version,
    size: r.size,
    sizeInBytes: r.sizeInBytes,
    numOfAddFiles: r.numOfAddFiles,
    outcome: r.outcome,
  };
}

/** Point `_last_checkpoint` at the newest exported checkpoint. */
export async function finishExport(
  dest: ObjectStore,
  newest: CheckpointExportResult | null,
  overwrite: boolean,
): Promise<boolean> {
  if (newest === null) return false;
  return writeLastCheckpoint(
    dest,
    {
      version: newest.version,
      size: newest.size,
      sizeInBytes: newest.sizeInBytes,
      numOfAddFiles: newest.numOfAddFiles,
    },
    { overwrite },
  );
}
