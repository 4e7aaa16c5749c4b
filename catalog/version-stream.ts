/**
 * One version too large to hold in memory (delta/commit-stream.ts), written in bounded chunks
 * inside ONE transaction: the rows of each chunk are flushed as they come (validity touches
 * first, exactly as writer.ts does between batches, so ranges end up as if the version were one
 * batch), and the version row and `dl_tables.last_version` come last. The version therefore stays
 * atomic on every engine (a killed worker's transaction rolls back, so a retry never duplicates a
 * row) and idempotent: a version already stored is hashed from the stream and compared instead.
 */
import { DeltaSqlError, logGap } from '../common/errors';
import { emptyCounts } from '../delta/actions';
import type { StreamedCommit } from '../delta/commit-stream';
import { ContentHasher, RowBuffer, countAction } from './rows';
import type { SqlDriver } from './sql';
import type { WriteResult } from './store';
import { requireTable } from './tables';
import { FLUSH_ROWS, writeRows } from './writer';

/**
 * A chunk is also flushed once its actions' raw JSON reaches this many characters: rows of a wide
 * table (large stats) hold their raw text and its stats again, so rows alone do not bound memory.
 */
export const STREAM_FLUSH_CHARS = 16 * 1024 * 1024;

/** Hash a version from its stream and compare it to the stored one: skipped, or VersionConflict. */
async function checkStored(tx: SqlDriver, tableId: string, name: string, c: StreamedCommit): Promise<void> {
  const rows = await tx.query(
    `SELECT content_hash FROM {T:dl_table_versions} WHERE table_id = ? AND version = ?`,
    [tableId, c.version],
  );
  if (rows.length === 0) {
    throw new DeltaSqlError(
      'InvalidArgument',
      `version ${c.version} (${c.file}) is before the first version stored for table ${name}`,
      { file: c.file },
    );
  }
  const hasher = new ContentHasher();
  for await (const a of c.actions) hasher.add(a.raw);
  c.finish();
  const have = String(rows[0].content_hash);
  const hash = hasher.digest();
  if (have !== hash) {
    throw new DeltaSqlError(
      'VersionConflict',
      `version ${c.version} of table ${name} is already stored with different content (stored hash ${have.slice(0, 12)}, new ${hash.slice(0, 12)}; ${c.file})`,
      { file: c.file },
    );
  }
}

/** Write one streamed version inside `tx` (a transaction); see the file comment. `flushChars`: tests. */
export async function writeVersionStream(
  tx: SqlDriver,
  tableId: string,
  c: StreamedCommit,
  flushChars = STREAM_FLUSH_CHARS,
): Promise<WriteResult> {
  await tx.lockTable(tableId);
  const t = await requireTable(tx, tableId);
  if (t.lastVersion !== null && c.version <= t.lastVersion) {
    await checkStored(tx, tableId, t.name, c);
    return { versionsWritten: 0, versionsSkipped: 1, counts: emptyCounts() };
  }
  const expected = t.lastVersion === null ? 0 : t.lastVersion + 1;
  if (c.version !== expected) {
    if (c.version < expected) {
      throw new DeltaSqlError('InvalidArgument', `version ${c.version} is not after ${expected - 1}`, {
        file: c.file,
      });
    }
    throw logGap(
      Array.from({ length: c.version - expected }, (_, i) => expected + i),
      c.file,
    );
  }
  const counts = emptyCounts();
  const hasher = new ContentHasher();
  const buf = new RowBuffer(tableId, true);
  let seq = 0;
  let chars = 0;
  for await (const a of c.actions) {
    hasher.add(a.raw);
    countAction(counts, a);
    buf.addAction(c.version, seq++, a, c.root);
    chars += a.raw.length;
    if (buf.size >= FLUSH_ROWS || chars >= flushChars) {
      await writeRows(tx, tableId, buf.drain());
      chars = 0;
    }
  }
  const { timestamp, raw } = c.finish();
  buf.addVersion({
    version: c.version,
    timestamp,
    isBaseline: false,
    hash: hasher.digest(),
    counts,
    file: c.file,
    raw,
  });
  await writeRows(tx, tableId, buf.drain());
  await tx.query(
    `UPDATE {T:dl_tables} SET last_version = ?, last_commit_timestamp = ?, first_version = COALESCE(first_version, 0) WHERE table_id = ?`,
    [c.version, timestamp, tableId],
  );
  return { versionsWritten: 1, versionsSkipped: 0, counts };
}
