/**
 * PostgreSQL's `SqlDriver.appendIf`: a version step of a table as ONE statement, so an SQL commit
 * costs one round trip and holds the table's row lock only while PostgreSQL executes and commits
 * it (measured: a commit as a BEGIN … COMMIT transaction held it for ~9 round trips, which is what
 * serialised 8 concurrent writers).
 *
 *   WITH g  AS (UPDATE dl_tables SET … WHERE table_id = ? AND <expect> RETURNING table_id),
 *        c0 AS (UPDATE <validity table> … WHERE … AND EXISTS (SELECT 1 FROM g)),
 *        i0 AS (INSERT INTO <row table> (…) SELECT r.… FROM g, jsonb_populate_recordset(NULL::<row table>, ?) r),
 *        …
 *   SELECT count(*) FROM g
 *
 * `g` is the gate: under READ COMMITTED an UPDATE that waited for a concurrent writer's row lock
 * re-checks its WHERE on the row that writer committed, so when the table moved on, `g` is empty
 * and every other part writes nothing (each reads `g`). The rows travel as one JSON array per
 * table and take the table's own column types through `jsonb_populate_recordset`; the
 * (table_id, version, …) primary keys still reject a duplicate (unique_violation: false).
 */
import { expandTables, quoteIdent, type ConditionalAppend, type SqlValue } from './sql';

export interface PgStatement {
  text: string;
  values: unknown[];
}

/** The statement for `step`, with `$n` placeholders; `prefix` is the quoted schema and a dot. */
export function appendIfStatement(step: ConditionalAppend, prefix: string): PgStatement {
  const values: unknown[] = [];
  const p = (v: unknown): string => {
    values.push(v);
    return `$${values.length}`;
  };
  const id = p(step.tableId);
  const set = Object.entries(step.set).map(([c, v]) => `${quoteIdent(c)} = ${p(v)}`);
  const expect = Object.entries(step.expect).map(([c, v]) =>
    v === null ? `${quoteIdent(c)} IS NULL` : `${quoteIdent(c)} = ${p(v)}`,
  );
  const parts = [
    `g AS (UPDATE {T:dl_tables} SET ${set.join(', ')} WHERE ${['table_id = ' + id, ...expect].join(' AND ')} RETURNING table_id)`,
  ];
  step.closes.forEach((c, i) => {
    if (c.touches.length === 0) return;
    const end = quoteIdent(c.endCol);
    const arrays = c.keyCols.map((_, k) => `${p(c.touches.map((t) => t.key[k]))}::text[]`);
    const names = c.keyCols.map((_, k) => `k${k}`);
    const cond = c.keyCols.map((col, k) => `t.${quoteIdent(col)} = u.k${k}`);
    parts.push(
      `c${i} AS (UPDATE {T:${c.table}} AS t SET ${end} = u.v
        FROM unnest(${[...arrays, `${p(c.touches.map((t) => t.version))}::bigint[]`].join(', ')}) AS u(${[...names, 'v'].join(', ')})
        WHERE t.table_id = ${id} AND ${cond.join(' AND ')} AND t.${end} IS NULL AND EXISTS (SELECT 1 FROM g))`,
    );
  });
  step.inserts.forEach((ins, i) => {
    if (ins.rows.length === 0) return;
    const objects = ins.rows.map((r) =>
      Object.fromEntries(ins.columns.map((c, k) => [c, r[k] as SqlValue] as const)),
    );
    const cols = ins.columns.map(quoteIdent);
    parts.push(
      `i${i} AS (INSERT INTO {T:${ins.table}} (${cols.join(', ')})
        SELECT ${cols.map((c) => `r.${c}`).join(', ')} FROM g, jsonb_populate_recordset(NULL::{T:${ins.table}}, ${p(JSON.stringify(objects))}::jsonb) AS r)`,
    );
  });
  const text = `WITH ${parts.join(',\n')}\nSELECT count(*)::int AS n FROM g`;
  return { text: expandTables(text, prefix), values };
}
