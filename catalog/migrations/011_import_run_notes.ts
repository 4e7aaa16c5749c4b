/**
 * Migration 11: `dl_import_runs.notes`, the import's notes (one per line) as the CLI printed them,
 * e.g. how many removes named their file in another URI spelling than its add (issue 14), so the
 * audit table keeps what the user was told. NULL for runs before this migration and runs without
 * notes. ADD COLUMN without a default is plain, portable DDL.
 */
import type { MigrationStatement } from './index';

export const version = 11;
export const name = 'import_run_notes';
export const statements: readonly MigrationStatement[] = [
  `ALTER TABLE {T:dl_import_runs} ADD COLUMN notes {TEXT}`,
];
