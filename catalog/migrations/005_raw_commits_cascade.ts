/**
 * Migration 5: byte-exact commit files, and the documented SQL rollback.
 *
 * - `dl_table_versions` gains the commit file's size, sha256 and framing (delta/commit-framing.ts):
 *   the action rows already hold every line's text, so only the deviations from the plain
 *   '\n'-joined form are stored. NULL size/sha256 means "no commit file" (a checkpoint baseline
 *   whose json was absent) or a version imported before this migration.
 * - `DELETE FROM dl_tables WHERE table_id = ?` removes every row of that table (versions, actions,
 *   runs), as seed 001 documents. This is an AFTER DELETE trigger rather than foreign keys: it
 *   fires on every connection (SQLite enforces foreign keys only on connections that set
 *   `PRAGMA foreign_keys = ON`, which the sqlite3 shell does not), needs no table rebuild on
 *   SQLite, and costs nothing per inserted row (a foreign key adds a parent lookup to every row
 *   of every COPY). Porting: MySQL has triggers (one DELETE per child table in a BEGIN...END
 *   body); DuckDB has neither triggers nor cascading foreign keys, so there `dropTable` (which
 *   deletes the children explicitly) is the only rollback.
 */
import type { DialectStatement, MigrationStatement } from './index';

/** Every table holding rows of one catalog table, keyed by `table_id`. */
export const CHILD_TABLES = [
  'dl_table_versions',
  'dl_add_files',
  'dl_remove_files',
  'dl_metadata_updates',
  'dl_protocol_updates',
  'dl_txns',
  'dl_domain_metadata',
  'dl_cdc_files',
  'dl_commit_info',
  'dl_other_actions',
  'dl_import_runs',
] as const;

const deletes = CHILD_TABLES.map((t) => `DELETE FROM {T:${t}} WHERE table_id = OLD.table_id;`).join('\n  ');

const cascade: DialectStatement[] = [
  {
    only: 'sqlite',
    sql: `CREATE TRIGGER IF NOT EXISTS dl_tables_cascade AFTER DELETE ON {T:dl_tables} FOR EACH ROW BEGIN
  ${deletes}
END`,
  },
  {
    only: 'postgres',
    sql: `CREATE OR REPLACE FUNCTION {T:dl_tables_cascade}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  ${deletes}
  RETURN OLD;
END
$body$`,
  },
  {
    only: 'postgres',
    sql: `CREATE TRIGGER dl_tables_cascade AFTER DELETE ON {T:dl_tables} FOR EACH ROW EXECUTE FUNCTION {T:dl_tables_cascade}()`,
  },
  {
    only: 'mysql',
    sql: `CREATE TRIGGER {T:dl_tables_cascade} AFTER DELETE ON {T:dl_tables} FOR EACH ROW BEGIN
  ${deletes}
END`,
  },
];

export const version = 5;
export const name = 'raw_commits_cascade';
export const statements: readonly MigrationStatement[] = [
  `ALTER TABLE {T:dl_table_versions} ADD COLUMN commit_size BIGINT`,
  `ALTER TABLE {T:dl_table_versions} ADD COLUMN commit_sha256 {TEXT}`,
  `ALTER TABLE {T:dl_table_versions} ADD COLUMN commit_framing {TEXT}`,
  ...cascade,
];
