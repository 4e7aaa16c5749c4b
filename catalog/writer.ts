/**
 * Shared write path: versions and checkpoint baselines. Every call runs in one transaction, so
 * each version (indeed the whole call) becomes visible only with all of its rows. Rows are
 * flushed in bounded batches (COPY / prepared statements) so memory stays flat on huge inputs.
 */
import { DeltaSqlError, logGap } from '../common/errors';
import { emptyCounts, type ActionCounts, type Commit, type LogAction } from '../delta/actions';
import { isStreamedRaw } from '../delta/commit-framing';
import { storeCommitParts } from './commit-parts';
import {
  addPathMismatch,
  mergePathMismatches,
  noPathMismatches,
  type PathMismatches,
} from '../delta/path-mismatches';
import type { BaselineInfo, WriteResult } from './store';
import {
  COLUMNS,
  ContentHasher,
  RowBuffer,
  VALIDITY,
  commitHash,
  countAction,
  type DrainedBuffer,
  type RowTable,
  type SpellingCheck,
} from './rows';
import type { SqlDriver, SqlValue } from './sql';
import { requireTable } from './tables';

/** Rows buffered before a flush; bounds memory while keeping COPY batches large. */
export const FLUSH_ROWS = 20_000;
/** A baseline's rows are flushed at this much raw JSON too (as catalog/version-stream.ts does). */
const BASELINE_FLUSH_CHARS = 16 * 1024 * 1024;

function addCounts(into: ActionCounts, c: ActionCounts): void {
  for (const k of Object.keys(c) as (keyof ActionCounts)[]) into[k] += c[k];
}

/**
 * Write drained rows: close older validity ranges first, then bulk-append. Never mutates them.
 * Returns the removes that named their add in another URI spelling (for the import notes).
 */
export async function writeRows(
  tx: SqlDriver,
  tableId: string,
  { rows, touches, pathMismatches, spellingChecks }: DrainedBuffer,
): Promise<PathMismatches> {
  const mismatches = noPathMismatches();
  mergePathMismatches(mismatches, pathMismatches);
  // Before the closes: the row a remove is about to close is still open, so the lookup can use
  // the open-identity index (partial on SQLite and PostgreSQL, where closed rows are not in it).
  await spelledOtherwise(tx, tableId, spellingChecks, mismatches);
  for (const [table, list] of touches) {
    if (list.length > 0) {
      const v = VALIDITY[table];
      await tx.closeValidity(table, v.keyCols, v.endCol, tableId, list);
    }
  }
  for (const [table, list] of rows) {
    if (list.length > 0) await tx.bulkInsert(table, COLUMNS[table], list);
  }
  return mismatches;
}

/**
 * Spelling checks asked per statement: an IN list of their spellings, or on PostgreSQL (one
 * array parameter, see `openRowsByPathSql`) many more.
 */
const spellingCheckChunk = (tx: SqlDriver): number => (tx.dialect === 'postgres' ? 5000 : 200);

/**
 * The open add rows of one table stored under any of `paths`: `(path, dv_id)` rows.
 * On PostgreSQL the statement is one index probe per path, forced by a LATERAL subquery behind
 * an `OFFSET 0` fence: with an IN list, a table the planner has no statistics for yet (any
 * catalog in its first minute of import, before autovacuum's ANALYZE) looks small, so it scanned
 * every open row of the table through the `table_id` prefix of the index and filtered the paths,
 * once per statement: 19.5 s of PostgreSQL time in a 4,000-version import (issue 21).
 */
export function openRowsByPathSql(
  tx: SqlDriver,
  tableId: string,
  paths: string[],
): { sql: string; params: SqlValue[] } {
  if (tx.dialect === 'postgres') {
    return {
      sql:
        `SELECT t.path, t.dv_id FROM unnest(?::text[]) AS u(p) CROSS JOIN LATERAL ` +
        `(SELECT path, dv_id FROM {T:dl_add_files} WHERE table_id = ? AND removed_version IS NULL AND path = u.p OFFSET 0) t`,
      params: [paths as unknown as SqlValue, tableId],
    };
  }
  return {
    sql: `SELECT path, dv_id FROM {T:dl_add_files} WHERE table_id = ? AND removed_version IS NULL AND path IN (${paths.map(() => '?').join(', ')})`,
    params: [tableId, ...paths],
  };
}

/**
 * Which removes of `checks` (several spellings, add not in the buffer) are about to close an open
 * row whose stored path is another spelling: one lookup per chunk on the open-identity index
 * (`dl_add_files_open_identity`), asked before the batch's closes, and only for such removes, which
 * plain relative paths (the common case) never are. Each identity is checked once per buffer
 * (rows.ts), and its closes run at the remove's version, so an open row found here is the one the
 * remove closes. (Asked after the closes, the lookup was of closed rows, which that index does not
 * hold on SQLite and PostgreSQL: each chunk scanned every row of the table, issue 21.)
 */
async function spelledOtherwise(
  tx: SqlDriver,
  tableId: string,
  checks: readonly SpellingCheck[],
  into: PathMismatches,
): Promise<void> {
  const chunk = spellingCheckChunk(tx);
  for (let i = 0; i < checks.length; i += chunk) {
    const part = checks.slice(i, i + chunk);
    const paths = [...new Set(part.flatMap((c) => c.spellings.filter((p) => p !== c.path)))];
    if (paths.length === 0) continue;
    const { sql, params } = openRowsByPathSql(tx, tableId, paths);
    const rows = await tx.query(sql, params);
    const open = new Set(rows.map((r) => `${String(r.dv_id)}\u0000${String(r.path)}`));
    for (const c of part) {
      const hit = c.spellings.find((p) => p !== c.path && open.has(`${c.dv}\u0000${p}`));
      if (hit !== undefined) addPathMismatch(into, c.path, hit);
    }
  }
}

const flush = (tx: SqlDriver, tableId: string, buf: RowBuffer): Promise<PathMismatches> =>
  writeRows(tx, tableId, buf.drain());

/**
 * A batch of commits already turned into rows, outside any transaction (see `prepareVersions`).
 * Immutable once built, so a retried write can reuse it.
 */
export interface PreparedVersions {
  readonly tableId: string;
  readonly commits: readonly Commit[];
  readonly hashes: readonly string[];
  readonly rows: DrainedBuffer;
  readonly counts: ActionCounts;
}

function assertContiguous(commits: readonly Commit[]): void {
  for (let i = 1; i < commits.length; i++) {
    if (commits[i].version !== commits[i - 1].version + 1) {
      throw new DeltaSqlError(
        'InvalidArgument',
        `commits must be contiguous and ascending: ${commits[i - 1].version} is followed by ${commits[i].version} (${commits[i].file})`,
        { file: commits[i].file },
      );
    }
  }
}

/**
 * The CPU part of `writeVersions` (content hashes, rows, in-batch validity ranges), done before
 * the transaction so a caller can prepare the next batch while the database writes the previous
 * one. Measured on the 10k-version benchmark: this work sat inside every transaction with
 * PostgreSQL idle, ~3 s of a 40 s import.
 */
export function prepareVersions(tableId: string, commits: readonly Commit[]): PreparedVersions {
  assertContiguous(commits);
  const buf = new RowBuffer(tableId, true);
  const counts = emptyCounts();
  const hashes = commits.map((c) => {
    const hash = commitHash(c.actions);
    addCounts(counts, buf.addCommit(c, hash));
    return hash;
  });
  return { tableId, commits, hashes, rows: buf.drain(), counts };
}

const isPrepared = (x: readonly Commit[] | PreparedVersions): x is PreparedVersions => !Array.isArray(x);

/**
 * Write prepared versions that continue the table exactly, inside a transaction that already holds
 * the table's lock and has checked its latest version (SQL commits, catalog/commit/commit.ts, do
 * both on the row they lock): the rows, then the table's latest version.
 */
export async function appendPreparedLocked(
  tx: SqlDriver,
  prepared: PreparedVersions,
): Promise<PathMismatches> {
  const last = prepared.commits[prepared.commits.length - 1];
  const mismatches = await writeRows(tx, prepared.tableId, prepared.rows);
  await tx.query(
    `UPDATE {T:dl_tables} SET last_version = ?, last_commit_timestamp = ?, first_version = COALESCE(first_version, 0) WHERE table_id = ?`,
    [last.version, last.timestamp, prepared.tableId],
  );
  return mismatches;
}

export async function writeVersions(
  driver: SqlDriver,
  tableId: string,
  input: readonly Commit[] | PreparedVersions,
): Promise<WriteResult> {
  const prepared = isPrepared(input) ? input : null;
  const commits: readonly Commit[] = isPrepared(input) ? input.commits : input;
  const result: WriteResult = { versionsWritten: 0, versionsSkipped: 0, counts: emptyCounts() };
  if (commits.length === 0) return result;
  if (prepared && prepared.tableId !== tableId) {
    throw new DeltaSqlError('InvalidArgument', `rows prepared for table ${prepared.tableId}, not ${tableId}`);
  }
  if (!prepared) assertContiguous(commits);
  return driver.transaction(async (tx) => {
    await tx.lockTable(tableId);
    const t = await requireTable(tx, tableId);
    const first = commits[0].version;
    if (prepared && first === (t.lastVersion === null ? 0 : t.lastVersion + 1)) {
      // The common case: the batch continues the table exactly, so the prepared rows are final.
      const pathMismatches = await appendPreparedLocked(tx, prepared);
      return {
        versionsWritten: commits.length,
        versionsSkipped: 0,
        counts: { ...prepared.counts },
        pathMismatches,
      };
    }
    const stored = new Map<number, string>();
    if (t.lastVersion !== null && commits[0].version <= t.lastVersion) {
      const rows = await tx.query(
        `SELECT version, content_hash FROM {T:dl_table_versions} WHERE table_id = ? AND version >= ? AND version <= ?`,
        [tableId, commits[0].version, Math.min(t.lastVersion, commits[commits.length - 1].version)],
      );
      for (const r of rows) stored.set(Number(r.version), String(r.content_hash));
    }
    const buf = new RowBuffer(tableId, true);
    const mismatches = noPathMismatches();
    let last = t.lastVersion;
    let lastTs = t.lastCommitTimestamp;
    for (const [i, c] of commits.entries()) {
      const hash = prepared?.hashes[i] ?? commitHash(c.actions);
      if (t.lastVersion !== null && c.version <= t.lastVersion) {
        const have = stored.get(c.version);
        if (have === undefined) {
          throw new DeltaSqlError(
            'InvalidArgument',
            `version ${c.version} (${c.file}) is before the first version ${t.firstVersion} stored for table ${t.name}`,
            { file: c.file },
          );
        }
        if (have !== hash) {
          throw new DeltaSqlError(
            'VersionConflict',
            `version ${c.version} of table ${t.name} is already stored with different content (stored hash ${have.slice(0, 12)}, new ${hash.slice(0, 12)}; ${c.file})`,
            { file: c.file },
          );
        }
        result.versionsSkipped += 1;
        continue;
      }
      const expected = last === null ? 0 : last + 1;
      if (c.version !== expected) {
        const missing = Array.from({ length: Math.max(0, c.version - expected) }, (_, i) => expected + i);
        if (missing.length === 0) {
          throw new DeltaSqlError('InvalidArgument', `version ${c.version} is not after ${expected - 1}`, {
            file: c.file,
          });
        }
        throw logGap(missing, c.file);
      }
      addCounts(result.counts, buf.addCommit(c, hash));
      result.versionsWritten += 1;
      last = c.version;
      lastTs = c.timestamp;
      if (buf.size >= FLUSH_ROWS) mergePathMismatches(mismatches, await flush(tx, tableId, buf));
    }
    if (result.versionsWritten > 0) {
      mergePathMismatches(mismatches, await flush(tx, tableId, buf));
      result.pathMismatches = mismatches;
      await tx.query(
        `UPDATE {T:dl_tables} SET last_version = ?, last_commit_timestamp = ?, first_version = COALESCE(first_version, 0) WHERE table_id = ?`,
        [last, lastTs, tableId],
      );
    }
    return result;
  });
}

/** Actions converted per batch handed to the streamed COPY of a baseline's add rows. */
export const STREAM_BATCH_ACTIONS = 1000;

/**
 * A baseline's rows on an engine that can stream a bulk load: the add rows (nearly all of a
 * checkpoint) go through one COPY fed straight from `actions`, so reading the checkpoint overlaps
 * the database's ingest and nothing accumulates. The few other rows (protocol, metadata, txns,
 * tombstones, ...) are set aside and inserted between COPYs whenever FLUSH_ROWS of them gather,
 * which bounds memory for tombstone-heavy checkpoints too. A baseline has no older rows to close
 * (identities in a checkpoint are unique), so no validity touches arise.
 */
async function streamBaseline(
  tx: SqlDriver,
  tableId: string,
  version: number,
  actions: AsyncIterable<LogAction>,
  hasher: ContentHasher,
  counts: ActionCounts,
): Promise<void> {
  const insertStream = tx.bulkInsertStream?.bind(tx);
  if (!insertStream) throw new Error('streamBaseline needs SqlDriver.bulkInsertStream');
  const it = actions[Symbol.asyncIterator]();
  let seq = 0;
  let exhausted = false;
  let side = new Map<RowTable, SqlValue[][]>();
  let sideRows = 0;
  /** Add rows of the drained buffer; every other row goes to `side`. */
  const takeAdds = (buf: RowBuffer): SqlValue[][] => {
    let adds: SqlValue[][] = [];
    for (const [table, list] of buf.drain().rows) {
      if (table === 'dl_add_files') {
        adds = list;
        continue;
      }
      const into = side.get(table);
      if (into) into.push(...list);
      else side.set(table, list);
      sideRows += list.length;
    }
    return adds;
  };
  async function* addBatches(): AsyncGenerator<SqlValue[][]> {
    const buf = new RowBuffer(tableId, false);
    while (sideRows < FLUSH_ROWS) {
      const next = await it.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      const a = next.value;
      hasher.add(a.raw);
      countAction(counts, a);
      buf.addAction(version, seq++, a);
      if (buf.size >= STREAM_BATCH_ACTIONS) yield takeAdds(buf);
    }
    const rest = takeAdds(buf);
    if (rest.length > 0) yield rest;
  }
  try {
    while (!exhausted) {
      await insertStream('dl_add_files', COLUMNS.dl_add_files, addBatches());
      for (const [table, list] of side) await tx.bulkInsert(table, COLUMNS[table], list);
      side = new Map();
      sideRows = 0;
    }
  } finally {
    // Stop the reader (and release its file handles) when the load ends early.
    if (!exhausted) await it.return?.();
  }
}

export async function writeBaseline(
  driver: SqlDriver,
  tableId: string,
  baseline: BaselineInfo,
  actions: AsyncIterable<LogAction>,
): Promise<WriteResult> {
  return driver.transaction(async (tx) => {
    await tx.lockTable(tableId);
    const t = await requireTable(tx, tableId);
    const counts = emptyCounts();
    const hasher = new ContentHasher();
    if (t.lastVersion !== null) {
      if (t.baselineVersion !== baseline.version) {
        throw new DeltaSqlError(
          'InvalidArgument',
          `table ${t.name} already holds versions ${t.firstVersion}..${t.lastVersion}; a baseline at ${baseline.version} must be its first version (${baseline.file})`,
          { file: baseline.file },
        );
      }
      for await (const a of actions) {
        hasher.add(a.raw);
        countAction(counts, a);
      }
      const rows = await tx.query(
        `SELECT content_hash FROM {T:dl_table_versions} WHERE table_id = ? AND version = ?`,
        [tableId, baseline.version],
      );
      const have = rows.length > 0 ? String(rows[0].content_hash) : null;
      const hash = hasher.digest();
      if (have !== hash) {
        throw new DeltaSqlError(
          'VersionConflict',
          `baseline version ${baseline.version} of table ${t.name} is already stored with different content (${baseline.file})`,
          { file: baseline.file },
        );
      }
      return { versionsWritten: 0, versionsSkipped: 1, counts: emptyCounts() };
    }
    const buf = new RowBuffer(tableId, false);
    if (tx.dialect === 'postgres' && tx.bulkInsertStream) {
      await streamBaseline(tx, tableId, baseline.version, actions, hasher, counts);
    } else {
      let seq = 0;
      let chars = 0;
      for await (const a of actions) {
        hasher.add(a.raw);
        countAction(counts, a);
        buf.addAction(baseline.version, seq++, a);
        chars += a.raw.length;
        // Wide adds (kilobytes of stats each) flush by size too, as a streamed version does.
        if (buf.size >= FLUSH_ROWS || chars >= BASELINE_FLUSH_CHARS) {
          await flush(tx, tableId, buf);
          chars = 0;
        }
      }
    }
    // A commit file too large for one framing value is kept in parts (catalog/commit-parts.ts).
    const raw =
      baseline.raw && isStreamedRaw(baseline.raw)
        ? await storeCommitParts(tx, tableId, baseline.version, baseline.raw.chunks())
        : baseline.raw;
    buf.addVersion({ ...baseline, raw, isBaseline: true, hash: hasher.digest(), counts });
    await flush(tx, tableId, buf);
    await tx.query(
      `UPDATE {T:dl_tables} SET last_version = ?, first_version = ?, baseline_version = ?, last_commit_timestamp = ? WHERE table_id = ?`,
      [baseline.version, baseline.version, baseline.version, baseline.timestamp, tableId],
    );
    return { versionsWritten: 1, versionsSkipped: 0, counts };
  });
}
