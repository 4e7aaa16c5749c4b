/**
 * Row-for-row comparison of two PostgreSQL catalog schemas (on one server or two): every `dl_*` table, every column
 * except the bookkeeping that records when and by which run an import happened (`*_at` clocks,
 * and the ids of dl_import_runs). Rows are compared as multisets, so a duplicated row counts as
 * much as a lost one. The run's counters (`versions_imported`, `counts`) are compared too: they
 * must be exact after worker kills (test/faults/run-accounting.test.ts).
 */
import type { Client } from 'pg';

/** The ids of a run: a workflow id, a Temporal run id and a run id are new for every import. */
const RUN_BOOKKEEPING: Readonly<Record<string, readonly string[]>> = {
  dl_import_runs: ['run_id', 'workflow_id', 'temporal_run_id'],
};

export const isBookkeeping = (table: string, column: string): boolean =>
  /_at$/.test(column) || (RUN_BOOKKEEPING[table] ?? []).includes(column);

export interface TableDiff {
  table: string;
  columns: number;
  rows: [number, number];
  missingCount: number;
  extraCount: number;
  /** Up to three rows only in the expected schema, and three only in the actual one. */
  missing: string[];
  extra: string[];
}

const quote = (id: string): string => `"${id.replace(/"/g, '""')}"`;

async function tablesOf(c: Client, schema: string): Promise<string[]> {
  const r = await c.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = $1 AND table_name LIKE 'dl\\_%' AND table_type = 'BASE TABLE'`,
    [schema],
  );
  return r.rows.map((x) => x.table_name);
}

async function rowsOf(
  c: Client,
  schema: string,
  table: string,
): Promise<{ columns: string[]; rows: string[] }> {
  const cols = await c.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = $2 ORDER BY column_name`,
    [schema, table],
  );
  const columns = cols.rows.map((x) => x.column_name).filter((col) => !isBookkeeping(table, col));
  if (columns.length === 0) return { columns, rows: [] };
  const r = await c.query<{ r: string }>(
    `SELECT json_build_array(${columns.map(quote).join(', ')})::text AS r FROM ${quote(schema)}.${quote(table)}`,
  );
  return { columns, rows: r.rows.map((x) => x.r).sort() };
}

/** A catalog schema on a server (the two compared may live on different servers). */
export interface SchemaRef {
  client: Client;
  schema: string;
}

/** Compare every dl_* table of `actual` with `expected`; the result is empty of differences when equal. */
export async function compareSchemas(expected: SchemaRef, actual: SchemaRef): Promise<TableDiff[]> {
  const tables = [
    ...new Set([
      ...(await tablesOf(expected.client, expected.schema)),
      ...(await tablesOf(actual.client, actual.schema)),
    ]),
  ].sort();
  const out: TableDiff[] = [];
  for (const table of tables) {
    const e = await rowsOf(expected.client, expected.schema, table);
    const a = await rowsOf(actual.client, actual.schema, table);
    if (e.columns.join() !== a.columns.join())
      throw new Error(`${table}: columns differ between ${expected.schema} and ${actual.schema}`);
    const missing: string[] = [];
    const extra: string[] = [];
    let i = 0;
    let j = 0;
    while (i < e.rows.length || j < a.rows.length) {
      if (j >= a.rows.length || (i < e.rows.length && e.rows[i] < a.rows[j])) missing.push(e.rows[i++]);
      else if (i >= e.rows.length || a.rows[j] < e.rows[i]) extra.push(a.rows[j++]);
      else (i++, j++);
    }
    out.push({
      table,
      columns: e.columns.length,
      rows: [e.rows.length, a.rows.length],
      missingCount: missing.length,
      extraCount: extra.length,
      missing: missing.slice(0, 3),
      extra: extra.slice(0, 3),
    });
  }
  return out;
}
