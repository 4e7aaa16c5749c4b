/**
 * Migration 2: the indexes that make time travel cost O(rows valid at V) instead of O(history):
 * open-validity lookups by identity (maintained on every insert), valid-at-V scans by end
 * version, version-by-timestamp, and run listing.
 */
export const version = 2;
export const name = 'time_travel_indexes';
export const statements: readonly string[] = [
  `CREATE INDEX IF NOT EXISTS dl_add_files_open_identity ON {T:dl_add_files} (table_id, path, dv_id) WHERE removed_version IS NULL`,
  `CREATE INDEX IF NOT EXISTS dl_add_files_validity ON {T:dl_add_files} (table_id, removed_version, version)`,
  `CREATE INDEX IF NOT EXISTS dl_txns_open_identity ON {T:dl_txns} (table_id, app_id) WHERE superseded_version IS NULL`,
  `CREATE INDEX IF NOT EXISTS dl_txns_validity ON {T:dl_txns} (table_id, superseded_version, version)`,
  `CREATE INDEX IF NOT EXISTS dl_domain_metadata_open_identity ON {T:dl_domain_metadata} (table_id, domain) WHERE superseded_version IS NULL`,
  `CREATE INDEX IF NOT EXISTS dl_domain_metadata_validity ON {T:dl_domain_metadata} (table_id, superseded_version, version)`,
  `CREATE INDEX IF NOT EXISTS dl_table_versions_timestamp ON {T:dl_table_versions} (table_id, commit_timestamp)`,
  `CREATE INDEX IF NOT EXISTS dl_import_runs_table ON {T:dl_import_runs} (table_id, started_at)`,
];
