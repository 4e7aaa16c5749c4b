/**
 * Migration 8: the record of `deltasql catalog migrate` runs that wrote into this catalog (issue
 * 18). One row per workflow run: the source catalog (password-free URL), the strategy, and the
 * state - `loading` while versions are copied, `validated` (blue-green: the staging area passed,
 * the switch is pending), `switched` (every table validated: the catalog is complete), `failed`
 * (not switched; `failed_tables` lists the table ids whose validation failed, which a re-run
 * copies afresh). `status` and `catalog compare` show the latest row; catalog/migrate/state.ts
 * reads and writes it.
 *
 * Plain portable DDL (`{KEY}`/`{TEXT}`, no index besides the primary key): every engine runs it.
 */
export const version = 8;
export const name = 'catalog_migrations';
export const statements: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS {T:dl_catalog_migrations} (
    run_id {KEY} NOT NULL PRIMARY KEY,
    workflow_id {KEY} NOT NULL,
    source_catalog {TEXT} NOT NULL,
    strategy {KEY} NOT NULL,
    status {KEY} NOT NULL,
    tables_total BIGINT NOT NULL,
    failed_tables {TEXT},
    error {TEXT},
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  )`,
];
