/**
 * Migration 10: the SQL rollback of seed 001 (`DELETE FROM dl_tables WHERE table_id = ?`, migration
 * 5's cascade) also removes the table's `dl_commit_groups` rows (migration 7, issue 16), which it
 * predates. The trigger bodies are re-created with the longer list; `dropTable` deletes the same
 * tables explicitly (DuckDB has no triggers, so there it is the only way).
 */
import { CHILD_TABLES } from './005_raw_commits_cascade';
import type { MigrationStatement } from './index';

/** Every table holding rows of one catalog table besides dl_tables itself. */
export const CASCADE_TABLES = [...CHILD_TABLES, 'dl_commit_groups'] as const;

const deletes = CASCADE_TABLES.map((t) => `DELETE FROM {T:${t}} WHERE table_id = OLD.table_id;`).join('\n  ');

export const version = 10;
export const name = 'commit_groups_cascade';
export const statements: readonly MigrationStatement[] = [
  { only: 'sqlite', sql: `DROP TRIGGER IF EXISTS dl_tables_cascade` },
  {
    only: 'sqlite',
    sql: `CREATE TRIGGER dl_tables_cascade AFTER DELETE ON {T:dl_tables} FOR EACH ROW BEGIN
  ${deletes}
END`,
  },
  {
    // The trigger of migration 5 calls this function: replacing the body is enough.
    only: 'postgres',
    sql: `CREATE OR REPLACE FUNCTION {T:dl_tables_cascade}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  ${deletes}
  RETURN OLD;
END
$body$`,
  },
  { only: 'mysql', sql: `DROP TRIGGER IF EXISTS {T:dl_tables_cascade}` },
  {
    only: 'mysql',
    sql: `CREATE TRIGGER {T:dl_tables_cascade} AFTER DELETE ON {T:dl_tables} FOR EACH ROW BEGIN
  ${deletes}
END`,
  },
];
