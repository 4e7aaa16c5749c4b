/**
 * Migration 6: which versions the source log had checkpoints at (issue 15). `deltasql export`
 * rebuilds the log with checkpoints at those versions, so an exported or restored table is laid
 * out like its source even after the source's `_delta_log` is gone.
 *
 * - `dl_table_versions.source_checkpoint`: the kind of the source's preferred complete checkpoint
 *   at that version (`classic`, `multi-part:<parts>`, `v2`), NULL when it had none.
 * - `dl_tables.checkpoints_listed_version`: source checkpoints are recorded for every version up
 *   to this one. NULL (tables imported before this migration) means "unknown": export then reads
 *   the source log, as before.
 *
 * Columns rather than a table of their own: they go wherever a version row goes (the rollback's
 * DELETE cascade, `dropTable`), and ADD COLUMN without a default is plain, portable DDL.
 */
import type { MigrationStatement } from './index';

export const version = 6;
export const name = 'source_checkpoints';
export const statements: readonly MigrationStatement[] = [
  `ALTER TABLE {T:dl_table_versions} ADD COLUMN source_checkpoint {KEY}`,
  `ALTER TABLE {T:dl_tables} ADD COLUMN checkpoints_listed_version BIGINT`,
];
