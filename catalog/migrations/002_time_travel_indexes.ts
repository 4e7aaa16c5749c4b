/**
 * Migration 2: the indexes that make time travel cost O(rows valid at V) instead of O(history):
 * open-validity lookups by identity (maintained on every insert), valid-at-V scans by end
 * version, version-by-timestamp, and run listing.
 *
 * Dialects: SQLite and PostgreSQL index only the open rows (partial indexes). MySQL has no
 * partial indexes and indexes LONGTEXT only by prefix, so it indexes every row by identity
 * prefixes. DuckDB gets none: its ART indexes serve point lookups only, slow bulk appends, and
 * its zone-mapped column scans already answer these range queries.
 */
import type { DialectStatement, MigrationStatement } from './index';

const PARTIAL = ['sqlite', 'postgres'] as const;

/** SQLite/PostgreSQL text, and the MySQL variant: no WHERE, prefix lengths on text columns. */
const both = (sqlite: string, mysql: string): DialectStatement[] => [
  { only: PARTIAL, sql: sqlite },
  { only: 'mysql', sql: mysql },
];

export const version = 2;
export const name = 'time_travel_indexes';
export const statements: readonly MigrationStatement[] = [
  ...both(
    `CREATE INDEX IF NOT EXISTS dl_add_files_open_identity ON {T:dl_add_files} (table_id, path, dv_id) WHERE removed_version IS NULL`,
    `CREATE INDEX dl_add_files_open_identity ON {T:dl_add_files} (table_id, path(300), dv_id(100), removed_version)`,
  ),
  ...both(
    `CREATE INDEX IF NOT EXISTS dl_add_files_validity ON {T:dl_add_files} (table_id, removed_version, version)`,
    `CREATE INDEX dl_add_files_validity ON {T:dl_add_files} (table_id, removed_version, version)`,
  ),
  ...both(
    `CREATE INDEX IF NOT EXISTS dl_txns_open_identity ON {T:dl_txns} (table_id, app_id) WHERE superseded_version IS NULL`,
    `CREATE INDEX dl_txns_open_identity ON {T:dl_txns} (table_id, app_id(300), superseded_version)`,
  ),
  ...both(
    `CREATE INDEX IF NOT EXISTS dl_txns_validity ON {T:dl_txns} (table_id, superseded_version, version)`,
    `CREATE INDEX dl_txns_validity ON {T:dl_txns} (table_id, superseded_version, version)`,
  ),
  ...both(
    `CREATE INDEX IF NOT EXISTS dl_domain_metadata_open_identity ON {T:dl_domain_metadata} (table_id, domain) WHERE superseded_version IS NULL`,
    `CREATE INDEX dl_domain_metadata_open_identity ON {T:dl_domain_metadata} (table_id, domain(300), superseded_version)`,
  ),
  ...both(
    `CREATE INDEX IF NOT EXISTS dl_domain_metadata_validity ON {T:dl_domain_metadata} (table_id, superseded_version, version)`,
    `CREATE INDEX dl_domain_metadata_validity ON {T:dl_domain_metadata} (table_id, superseded_version, version)`,
  ),
  {
    only: [...PARTIAL, 'mysql'],
    sql: `CREATE INDEX IF NOT EXISTS dl_table_versions_timestamp ON {T:dl_table_versions} (table_id, commit_timestamp)`,
  },
  {
    only: [...PARTIAL, 'mysql'],
    sql: `CREATE INDEX IF NOT EXISTS dl_import_runs_table ON {T:dl_import_runs} (table_id, started_at)`,
  },
];
