/**
 * Shared write path: versions and checkpoint baselines. Every call runs in one transaction, so
 * each version (indeed the whole call) becomes visible only with all of its rows. Rows are
 * flushed in bounded batches (COPY / prepared statements) so memory stays flat on huge inputs.
 */
import { DeltaSqlError, logGap } from '../common/errors';
import { emptyCounts, type ActionCounts, type Commit, type LogAction } from '../delta/actions';
import type { WriteResult } from './store';
import { COLUMNS, ContentHasher, RowBuffer, VALIDITY, commitHash, countAction } from './rows';
import type { SqlDriver } from './sql';
import { requireTable } from './tables';

/** Rows buffered before a flush; bounds memory while keeping COPY batches large. */
export const FLUSH_ROWS = 20_000;

function addCounts(into: ActionCounts, c: ActionCounts): void {
  for (const k of Object.keys(c) as (keyof ActionCounts)[]) into[k] += c[k];
}

async function flush(tx: SqlDriver, tableId: string, buf: RowBuffer): Promise<void> {
  const { rows, touches } = buf.drain();
  for (const [table, list] of touches) {
    if (list.length > 0) {
      const v = VALIDITY[table];
      await tx.closeValidity(table, v.keyCols, v.endCol, tableId, list);
    }
  }
  for (const [table, list] of rows) {
    if (list.length > 0) await tx.bulkInsert(table, COLUMNS[table], list);
  }
}

export async function writeVersions(
  driver: SqlDriver,
  tableId: string,
  commits: Commit[],
): Promise<WriteResult> {
  const result: WriteResult = { versionsWritten: 0, versionsSkipped: 0, counts: emptyCounts() };
  if (commits.length === 0) return result;
  for (let i = 1; i < commits.length; i++) {
    if (commits[i].version !== commits[i - 1].version + 1) {
      throw new DeltaSqlError(
        'InvalidArgument',
        `commits must be contiguous and ascending: ${commits[i - 1].version} is followed by ${commits[i].version} (${commits[i].file})`,
        { file: commits[i].file },
      );
    }
  }
  return driver.transaction(async (tx) => {
    await tx.lockTable(tableId);
    const t = await requireTable(tx, tableId);
    const stored = new Map<number, string>();
    if (t.lastVersion !== null && commits[0].version <= t.lastVersion) {
      const rows = await tx.query(
        `SELECT version, content_hash FROM {T:dl_table_versions} WHERE table_id = ? AND version >= ? AND version <= ?`,
        [tableId, commits[0].version, Math.min(t.lastVersion, commits[commits.length - 1].version)],
      );
      for (const r of rows) stored.set(Number(r.version), String(r.content_hash));
    }
    const buf = new RowBuffer(tableId, true);
    let last = t.lastVersion;
    let lastTs = t.lastCommitTimestamp;
    for (const c of commits) {
      const hash = commitHash(c.actions);
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
      if (buf.size >= FLUSH_ROWS) await flush(tx, tableId, buf);
    }
    if (result.versionsWritten > 0) {
      await flush(tx, tableId, buf);
      await tx.query(
        `UPDATE {T:dl_tables} SET last_version = ?, last_commit_timestamp = ?, first_version = COALESCE(first_version, 0) WHERE table_id = ?`,
        [last, lastTs, tableId],
      );
    }
    return result;
  });
}

export async function writeBaseline(
  driver: SqlDriver,
  tableId: string,
  baseline: { version: number; timestamp: number; file: string },
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
    let seq = 0;
    for await (const a of actions) {
      hasher.add(a.raw);
      countAction(counts, a);
      buf.addAction(baseline.version, seq++, a);
      if (buf.size >= FLUSH_ROWS) await flush(tx, tableId, buf);
    }
    buf.addVersion({ ...baseline, isBaseline: true, hash: hasher.digest(), counts });
    await flush(tx, tableId, buf);
    await tx.query(
      `UPDATE {T:dl_tables} SET last_version = ?, first_version = ?, baseline_version = ?, last_commit_timestamp = ? WHERE table_id = ?`,
      [baseline.version, baseline.version, baseline.version, baseline.timestamp, tableId],
    );
    return { versionsWritten: 1, versionsSkipped: 0, counts };
  });
}
