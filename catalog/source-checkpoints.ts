/**
 * Which versions the source log had checkpoints at (migration 6). The importer records them as it
 * imports each range (`recordListedCheckpoints`), and `deltasql export` rebuilds checkpoints at
 * the same versions (`sourceCheckpointVersions`) without needing the source log any more.
 */
import { listLog } from '../delta/listing';
import type { CheckpointRef } from '../delta/table';
import type { ObjectStore } from '../storage/object-store';
import type { SqlDriver } from './sql';

const kindOf = (ref: CheckpointRef): string =>
  ref.kind === 'multi-part' ? `multi-part:${ref.files.length}` : ref.kind;

const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * After versions up to `to` were imported: list the source log's tail and record its complete
 * checkpoints (kind per version) up to `to`, then mark the record complete up to `to`.
 *
 * The listing starts at the version last recorded (a checkpoint is often written just after its
 * commit, so after the range that imported that commit), which keeps it one listing of the tail,
 * never of the whole history. A table imported before migration 6 (nothing recorded) starts being
 * recorded only with an import that begins at its first version: a later range cannot tell which
 * checkpoints the earlier versions had, and "unknown" must stay distinguishable from "none". A
 * table created since starts at -1 (tables.ts), so an import resumed after its first range was cut
 * still records from the first version.
 * Idempotent: a retried range records the same values.
 */
export async function recordListedCheckpoints(
  db: SqlDriver,
  source: ObjectStore,
  tableId: string,
  from: number,
  to: number,
): Promise<void> {
  const t = await db.query(
    `SELECT checkpoints_listed_version AS listed, first_version AS first FROM {T:dl_tables} WHERE table_id = ?`,
    [tableId],
  );
  if (t.length === 0) return;
  const listed = numOrNull(t[0].listed);
  const first = numOrNull(t[0].first) ?? 0;
  if (listed === null && from > first) return;
  const start = Math.max(first, listed === null ? from : Math.min(listed, from));
  if (to < start) return;
  const listing = await listLog(source, start);
  await db.transaction(async (tx) => {
    for (const [version, refs] of listing.checkpoints) {
      if (version > to || refs.length === 0) continue;
      await tx.query(
        `UPDATE {T:dl_table_versions} SET source_checkpoint = ? WHERE table_id = ? AND version = ?`,
        [kindOf(refs[0]), tableId, version],
      );
    }
    await tx.query(
      `UPDATE {T:dl_tables} SET checkpoints_listed_version = ? WHERE table_id = ? AND (checkpoints_listed_version IS NULL OR checkpoints_listed_version < ?)`,
      [to, tableId, to],
    );
  });
}

export interface RecordedCheckpoints {
  /** Recorded source checkpoint versions in the asked range. */
  versions: number[];
  /** The record is complete up to this version; null when nothing was recorded (older imports). */
  listedTo: number | null;
}

/** The recorded source checkpoint versions in [from, to]. */
export async function sourceCheckpointVersions(
  db: SqlDriver,
  tableId: string,
  from: number,
  to: number,
): Promise<RecordedCheckpoints> {
  const rows = await db.query(
    `SELECT version FROM {T:dl_table_versions} WHERE table_id = ? AND version >= ? AND version <= ? AND source_checkpoint IS NOT NULL ORDER BY version`,
    [tableId, from, to],
  );
  const t = await db.query(`SELECT checkpoints_listed_version AS v FROM {T:dl_tables} WHERE table_id = ?`, [
    tableId,
  ]);
  return { versions: rows.map((r) => Number(r.version)), listedTo: numOrNull(t[0]?.v) };
}
