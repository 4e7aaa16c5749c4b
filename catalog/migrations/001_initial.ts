/**
 * Migration 1: every catalog table with its primary key. Each action table keys rows by
 * (table_id, version, seq) so a retried write can never duplicate a row, and keeps the verbatim
 * `raw` JSON so commits can be rebuilt losslessly. `{BOOL}`, `{KEY}`, `{NAME}`, `{TEXT}` and `{T:...}` are expanded per dialect.
 */
const ACTION_KEY = 'table_id {KEY} NOT NULL, version BIGINT NOT NULL, seq BIGINT NOT NULL';
const ACTION_PK = 'PRIMARY KEY (table_id, version, seq)';

export const version = 1;
export const name = 'initial';
export const statements: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS {T:dl_tables} (
    table_id {KEY} PRIMARY KEY,
    name {NAME} NOT NULL UNIQUE,
    location {TEXT} NOT NULL,
    last_version BIGINT,
    first_version BIGINT,
    baseline_version BIGINT,
    last_commit_timestamp BIGINT,
    created_at BIGINT NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS {T:dl_table_versions} (
    table_id {KEY} NOT NULL,
    version BIGINT NOT NULL,
    commit_timestamp BIGINT NOT NULL,
    is_baseline {BOOL} NOT NULL,
    content_hash {TEXT} NOT NULL,
    action_count BIGINT NOT NULL,
    add_count BIGINT NOT NULL,
    remove_count BIGINT NOT NULL,
    counts {TEXT} NOT NULL,
    source_file {TEXT} NOT NULL,
    imported_at BIGINT NOT NULL,
    PRIMARY KEY (table_id, version)
  )`,
  `CREATE TABLE IF NOT EXISTS {T:dl_add_files} (${ACTION_KEY},
    path {TEXT} NOT NULL, dv_id {TEXT} NOT NULL, size BIGINT NOT NULL, modification_time BIGINT NOT NULL,
    data_change {BOOL}, stats {TEXT}, partition_values {TEXT}, deletion_vector {TEXT},
    base_row_id BIGINT, default_row_commit_version BIGINT,
    removed_version BIGINT, raw {TEXT} NOT NULL, ${ACTION_PK})`,
  `CREATE TABLE IF NOT EXISTS {T:dl_remove_files} (${ACTION_KEY},
    path {TEXT} NOT NULL, dv_id {TEXT} NOT NULL, deletion_timestamp BIGINT, data_change {BOOL}, size BIGINT,
    raw {TEXT} NOT NULL, ${ACTION_PK})`,
  `CREATE TABLE IF NOT EXISTS {T:dl_metadata_updates} (${ACTION_KEY},
    metadata_id {TEXT} NOT NULL, schema_string {TEXT} NOT NULL, partition_columns {TEXT} NOT NULL,
    configuration {TEXT}, raw {TEXT} NOT NULL, ${ACTION_PK})`,
  `CREATE TABLE IF NOT EXISTS {T:dl_protocol_updates} (${ACTION_KEY},
    min_reader_version BIGINT NOT NULL, min_writer_version BIGINT NOT NULL,
    reader_features {TEXT}, writer_features {TEXT}, raw {TEXT} NOT NULL, ${ACTION_PK})`,
  `CREATE TABLE IF NOT EXISTS {T:dl_txns} (${ACTION_KEY},
    app_id {TEXT} NOT NULL, txn_version BIGINT NOT NULL, last_updated BIGINT,
    superseded_version BIGINT, raw {TEXT} NOT NULL, ${ACTION_PK})`,
  `CREATE TABLE IF NOT EXISTS {T:dl_domain_metadata} (${ACTION_KEY},
    domain {TEXT} NOT NULL, configuration {TEXT} NOT NULL, removed {BOOL} NOT NULL,
    superseded_version BIGINT, raw {TEXT} NOT NULL, ${ACTION_PK})`,
  `CREATE TABLE IF NOT EXISTS {T:dl_cdc_files} (${ACTION_KEY},
    path {TEXT} NOT NULL, size BIGINT NOT NULL, data_change {BOOL}, partition_values {TEXT},
    raw {TEXT} NOT NULL, ${ACTION_PK})`,
  `CREATE TABLE IF NOT EXISTS {T:dl_commit_info} (${ACTION_KEY},
    operation {TEXT}, in_commit_timestamp BIGINT, info_timestamp BIGINT, raw {TEXT} NOT NULL, ${ACTION_PK})`,
  `CREATE TABLE IF NOT EXISTS {T:dl_other_actions} (${ACTION_KEY},
    action_key {TEXT} NOT NULL, raw {TEXT} NOT NULL, ${ACTION_PK})`,
  `CREATE TABLE IF NOT EXISTS {T:dl_import_runs} (
    run_id {KEY} PRIMARY KEY,
    table_id {KEY} NOT NULL,
    workflow_id {TEXT},
    temporal_run_id {TEXT},
    mode {TEXT} NOT NULL,
    status {TEXT} NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    from_version BIGINT,
    to_version BIGINT,
    versions_imported BIGINT NOT NULL,
    counts {TEXT} NOT NULL,
    validation {TEXT},
    error {TEXT}
  )`,
];
