/**
 * The rollback cascade's trigger (seed 001: `DELETE FROM dl_tables WHERE table_id = ?` removes
 * every row of the table), re-created by each migration that adds a table holding such rows:
 * SQLite and MySQL triggers are dropped and created again, and PostgreSQL's trigger (migration 5)
 * calls a function whose body is replaced. DuckDB has no triggers; `dropTable` covers it.
 */
import type { MigrationStatement } from './index';

export function cascadeTriggerStatements(tables: readonly string[]): MigrationStatement[] {
  const deletes = tables.map((t) => `DELETE FROM {T:${t}} WHERE table_id = OLD.table_id;`).join('\n  ');
  return [
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
}
