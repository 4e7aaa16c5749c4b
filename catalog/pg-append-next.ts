/**
 * PostgreSQL's `SqlDriver.appendNext`: a blind append takes the NEXT version, whatever it is, in
 * one call of a session-local PL/pgSQL function (created in `pg_temp` on each connection the first
 * time it is used, so nothing is added to the catalog's schema). Measured with 8 writers on one
 * table: with compare-and-set attempts (pg-append-if.ts) 7 of every 8 attempts lost the race and
 * each loser re-read and re-sent its commit; here nobody loses, writers simply queue on the row.
 *
 * The function (one round trip):
 * 1. `UPDATE dl_tables SET last_version = last_version + 1 … RETURNING` takes the table's row lock
 *    (waiting for the previous writer to commit) and yields version v; nothing is written unless
 *    the table is sql-primary with commits open.
 * 2. A fresh snapshot (every statement of a volatile function takes one) sees every version below
 *    v: if one after the writer's read version changed the protocol or metaData, the call raises
 *    DQ001 and rolls back; the caller then takes the checked path, whose conflict rules report
 *    ProtocolChanged / MetadataChanged. Nothing else can conflict with a blind append (conflicts.ts).
 * 3. The version's rows (built by the caller for a placeholder version) are inserted with v in
 *    their version columns and source file; older rows of the same file identities (if any) are
 *    closed at v. Statements with nothing to do are skipped: the row lock is held meanwhile.
 * The (table_id, version) primary key still rejects any duplicate.
 */
import { COLUMNS } from './rows';
import {
  BLIND_APPEND_TABLES,
  expandTables,
  quoteIdent,
  type BlindAppendTable,
  type NextVersionAppend,
  type SqlValue,
} from './sql';

/** SQLSTATE raised when a concurrent commit changed the protocol or metadata. */
export const REBASE_NEEDS_CHECKS = 'DQ001';

export const FUNCTION_NAME = 'pg_temp.deltasql_append_next';

/** Column expressions that depend on the version taken (`v`); the rest come from the row. */
const OVERRIDES: Record<string, string> = {
  version: 'v',
  source_file: `'_delta_log/' || lpad(v::text, 20, '0') || '.json'`,
};

function insert(table: BlindAppendTable): string {
  const cols = COLUMNS[table].map((c) => OVERRIDES[c] ?? `r.${quoteIdent(c)}`);
  return `INSERT INTO {T:${table}} (${COLUMNS[table].map(quoteIdent).join(', ')})
    SELECT ${cols.join(', ')} FROM jsonb_populate_recordset(NULL::{T:${table}}, p_rows->'${table}') AS r;`;
}

/** `CREATE FUNCTION` for the catalog schema `prefix` (quoted schema and a dot). */
export function createAppendNextSql(prefix: string): string {
  const body = `
DECLARE v bigint;
BEGIN
  UPDATE {T:dl_tables} SET last_version = last_version + 1, last_commit_timestamp = p_ts
   WHERE table_id = p_table AND mode = 'sql-primary' AND commits_closed_at IS NULL AND last_version >= p_read
   RETURNING last_version INTO v;
  IF v IS NULL THEN RETURN NULL; END IF;
  IF EXISTS (SELECT 1 FROM {T:dl_protocol_updates} WHERE table_id = p_table AND version > p_read AND version < v)
     OR EXISTS (SELECT 1 FROM {T:dl_metadata_updates} WHERE table_id = p_table AND version > p_read AND version < v) THEN
    RAISE EXCEPTION 'a concurrent commit changed the protocol or metaData' USING ERRCODE = '${REBASE_NEEDS_CHECKS}';
  END IF;
  IF cardinality(p_paths) > 0 THEN
    UPDATE {T:dl_add_files} AS t SET removed_version = v FROM unnest(p_paths, p_dvs) AS u(p, d)
     WHERE t.table_id = p_table AND t.path = u.p AND t.dv_id = u.d AND t.removed_version IS NULL;
  END IF;
  ${BLIND_APPEND_TABLES.map(insert).join('\n  ')}
  RETURN v;
END`;
  return expandTables(
    `CREATE OR REPLACE FUNCTION ${FUNCTION_NAME}(p_table text, p_read bigint, p_ts bigint, p_rows jsonb,
       p_paths text[], p_dvs text[]) RETURNS bigint LANGUAGE plpgsql AS $fn$${body}$fn$`,
    prefix,
  );
}

/** The call of the function for `step`: text and values. */
export function appendNextCall(step: NextVersionAppend): { name: string; text: string; values: unknown[] } {
  const rows: Record<string, Record<string, SqlValue>[]> = {};
  for (const ins of step.inserts) {
    if (!(BLIND_APPEND_TABLES as readonly string[]).includes(ins.table))
      throw new Error(`appendNext writes no rows into ${ins.table}`);
    rows[ins.table] = ins.rows.map((r) => Object.fromEntries(ins.columns.map((c, k) => [c, r[k]] as const)));
  }
  return {
    // A named statement: parsed and planned once per connection, like the function itself.
    name: 'deltasql_append_next',
    text: `SELECT ${FUNCTION_NAME}($1, $2, $3, $4::jsonb, $5::text[], $6::text[]) AS v`,
    values: [
      step.tableId,
      step.readVersion,
      step.timestamp,
      JSON.stringify(rows),
      step.closeAdds.map((k) => k[0]),
      step.closeAdds.map((k) => k[1]),
    ],
  };
}
