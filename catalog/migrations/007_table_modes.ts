/**
 * Migration 7: SQL-primary tables (issue 16). A table's `mode` says which side is the truth:
 * 'mirror' (the `_delta_log` is; imports and syncs apply it) or 'sql-primary' (the catalog is;
 * commits go through SQL and a publisher writes them to `_delta_log`). `published_version` is the
 * newest version known to be in `_delta_log` with exactly the stored bytes; `commits_closed_at` is
 * set while a rollback drains (no new SQL commits). `dl_commit_groups` records which versions one
 * `commitMany` transaction wrote, so a multi-table commit stays visible as one unit.
 *
 * Plain portable DDL only (ADD COLUMN with a constant default; `{KEY}`/`{TEXT}` types): every engine runs it.
 */
export const version = 7;
export const name = 'table_modes';
export const statements: readonly string[] = [
  `ALTER TABLE {T:dl_tables} ADD COLUMN mode {KEY} NOT NULL DEFAULT 'mirror'`,
  `ALTER TABLE {T:dl_tables} ADD COLUMN published_version BIGINT`,
  `ALTER TABLE {T:dl_tables} ADD COLUMN published_at BIGINT`,
  `ALTER TABLE {T:dl_tables} ADD COLUMN commits_closed_at BIGINT`,
  `ALTER TABLE {T:dl_tables} ADD COLUMN publish_error {TEXT}`,
  `CREATE TABLE IF NOT EXISTS {T:dl_commit_groups} (
    group_id {KEY} NOT NULL,
    table_id {KEY} NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, table_id)
  )`,
];
