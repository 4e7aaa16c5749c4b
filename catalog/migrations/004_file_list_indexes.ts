/**
 * Migration 4: one covering index that makes "add files valid at V" cost O(files valid at V) for
 * every V, replacing `dl_add_files_validity` (table_id, removed_version, version) from migration 2.
 *
 * Why: validity is an interval [version, removed_version), and "valid at V" is a stabbing query.
 * A B-tree on either end scans every row that started before V (or ended after V), i.e. half the
 * history for a middle version: on the 10k-version benchmark (500k add rows) the "ended after V"
 * half was a 270 ms sequential scan for 10k result rows. Rows are therefore indexed by the length
 * class of their interval (`VALIDITY_CLASS`: open rows are class -1; a closed row with lifetime
 * d = removed_version - version is class k when 2^k <= d < 2^(k+1), class 0 also holding d < 2).
 * A closed row of class k valid at V started after V - 2^(k+1), so each class is one range scan on
 * (table_id, class, version) whose hits are at least about half valid; open rows are one range
 * scan on `version <= V` with no waste. The index carries the other columns a file list or a
 * count reads (INCLUDE on PostgreSQL, key columns on SQLite), so each scan is index-only.
 *
 * The reader (catalog/file-list.ts) must repeat `VALIDITY_CLASS` verbatim: both engines match an
 * expression index only when the query's expression is the same.
 */
import type { MigrationStatement } from './index';

/** Lifetimes of 2^MAX_CLASS versions or more share the last class (scanned on version <= V). */
export const MAX_VALIDITY_CLASS = 20;
/** The class of rows that are still open (removed_version IS NULL). */
export const OPEN_VALIDITY_CLASS = -1;

const lifetimeWhens = Array.from(
  { length: MAX_VALIDITY_CLASS },
  (_, k) => `WHEN removed_version - version < ${2 ** (k + 1)} THEN ${k}`,
).join(' ');

/** Integer-only and identical in both dialects, so it is exact and immutable everywhere. */
export const VALIDITY_CLASS = `(CASE WHEN removed_version IS NULL THEN ${OPEN_VALIDITY_CLASS} ${lifetimeWhens} ELSE ${MAX_VALIDITY_CLASS} END)`;

const INDEX = 'dl_add_files_valid_at';

export const version = 4;
export const name = 'file_list_indexes';
export const statements: readonly MigrationStatement[] = [
  {
    only: 'postgres',
    sql: `CREATE INDEX IF NOT EXISTS ${INDEX} ON {T:dl_add_files} (table_id, ${VALIDITY_CLASS}, version) INCLUDE (removed_version, size, path, dv_id)`,
  },
  {
    only: 'sqlite',
    // Class first: with table_id first, SQLite's planner took this covering index for the writer's
    // open-identity lookups (table_id, path, dv_id), scanning every row of the table per UPDATE.
    sql: `CREATE INDEX IF NOT EXISTS ${INDEX} ON {T:dl_add_files} (${VALIDITY_CLASS}, table_id, version, removed_version, size, path, dv_id)`,
  },
  // Every reader of the old index now goes through the new one. MySQL keeps the old one: MariaDB
  // has no expression indexes, so the valid-at scans still use it there (only speed differs).
  { only: ['sqlite', 'postgres', 'duckdb'], sql: `DROP INDEX IF EXISTS {T:dl_add_files_validity}` },
];
