/**
 * Migration 3: PostgreSQL storage tuning, no logical change (SQLite has no equivalent and skips it).
 *
 * - The verbatim JSON columns (`raw`, add `stats`, schema strings) use lz4 instead of the default
 *   pglz TOAST compression when the server is built with lz4 (PG >= 14). Measured on the 10k-version
 *   benchmark rows: pglz made PostgreSQL's own COPY of add rows about 2-3x slower than lz4, and it
 *   dominated full-history imports.
 * - `dl_add_files` moves those wide values out of line even when a row is small
 *   (`toast_tuple_target`), so the heap holds only the typed columns: closing a file's validity
 *   (`removed_version`) rewrites a ~400-byte tuple instead of a multi-kB one, and file-list scans
 *   read a narrow heap. The identity columns are `STORAGE MAIN` so they always stay in the heap:
 *   with a low target PostgreSQL would otherwise push `path` out of line too, and every join or
 *   filter on it would detoast (measured: a 480k-row validity close went from 2 s to 9 s of join).
 * Existing values keep their compression until rewritten; new rows use the new settings.
 */
import type { DialectStatement } from './index';

/**
 * Add rows' heap tuples are shrunk to this size by moving the widest values out of line. The typed
 * columns of a row take ~300 bytes with a typical path, so anything wider than that (stats, raw,
 * large partition values) goes to TOAST and the identity never competes for it.
 */
const ADD_FILES_TOAST_TUPLE_TARGET = 512;
const ADD_FILES_INLINE_COLUMNS = ['table_id', 'path', 'dv_id'];
const HAS_LZ4 = `SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)`;

const LZ4_COLUMNS: Record<string, readonly string[]> = {
  dl_add_files: ['raw', 'stats', 'partition_values'],
  dl_remove_files: ['raw'],
  dl_metadata_updates: ['raw', 'schema_string', 'configuration'],
  dl_protocol_updates: ['raw'],
  dl_txns: ['raw'],
  dl_domain_metadata: ['raw', 'configuration'],
  dl_cdc_files: ['raw', 'partition_values'],
  dl_commit_info: ['raw'],
  dl_other_actions: ['raw'],
};

const lz4 = (table: string, cols: readonly string[]): DialectStatement => ({
  only: 'postgres',
  requires: HAS_LZ4,
  sql: `ALTER TABLE {T:${table}} ${cols.map((c) => `ALTER COLUMN ${c} SET COMPRESSION lz4`).join(', ')}`,
});

export const version = 3;
export const name = 'postgres_storage';
export const statements: readonly DialectStatement[] = [
  ...Object.entries(LZ4_COLUMNS).map(([t, cols]) => lz4(t, cols)),
  {
    only: 'postgres',
    sql: `ALTER TABLE {T:dl_add_files} SET (toast_tuple_target = ${ADD_FILES_TOAST_TUPLE_TARGET})`,
  },
  {
    only: 'postgres',
    sql: `ALTER TABLE {T:dl_add_files} ${ADD_FILES_INLINE_COLUMNS.map((c) => `ALTER COLUMN ${c} SET STORAGE MAIN`).join(', ')}`,
  },
];
