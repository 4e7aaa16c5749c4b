/**
 * What a losing commit reads before it rebases: the actions of the commits that won since the
 * version it was built on, from SQL. `readSince` also returns the table's row from the same
 * statement, so the latest version, its timestamp and the mode it reports belong to the same
 * snapshot as the winners: one round trip per lost race.
 */
import { toLogAction } from '../../delta/action-parse';
import type { LogAction } from '../../delta/actions';
import { DeltaSqlError } from '../../common/errors';
import { ACTION_TABLES } from '../rows';
import type { SqlDriver, SqlValue } from '../sql';
import { MODE_COLUMNS, toState, type TableModeState } from './table-mode';

/** One SELECT per action table of rows (version, seq, raw) in `versionWhere`, UNION ALL. */
function actionRows(versionWhere: string, params: readonly SqlValue[]): { sql: string; params: SqlValue[] } {
  return {
    sql: ACTION_TABLES.map(
      (t) => `SELECT version, seq, raw FROM {T:${t}} WHERE table_id = ? AND ${versionWhere}`,
    ).join(' UNION ALL '),
    params: ACTION_TABLES.flatMap((): SqlValue[] => [...params]),
  };
}

function collect(
  rows: readonly Record<string, unknown>[],
  from: number,
  to: number,
): Map<number, LogAction[]> {
  const out = new Map<number, LogAction[]>();
  for (let v = from; v <= to; v++) out.set(v, []);
  for (const r of rows) {
    if (r.version === null || r.version === undefined) continue;
    const list = out.get(Number(r.version));
    const raw = String(r.raw);
    list?.push(toLogAction(JSON.parse(raw), raw, list.length));
  }
  return out;
}

/** The actions of versions from..to, per version in order: one statement for the whole range. */
export async function winningCommits(
  db: SqlDriver,
  tableId: string,
  from: number,
  to: number,
): Promise<Map<number, LogAction[]>> {
  const u = actionRows('version >= ? AND version <= ?', [tableId, from, to]);
  const rows = await db.query(`SELECT version, seq, raw FROM (${u.sql}) u ORDER BY version, seq`, u.params);
  return collect(rows, from, to);
}

/** The table's row and the actions of every version after `after` up to its latest, in one statement. */
export async function readSince(
  db: SqlDriver,
  tableId: string,
  after: number,
): Promise<{ state: TableModeState; won: Map<number, LogAction[]> }> {
  const u = actionRows('version > ?', [tableId, after]);
  const rows = await db.query(
    `SELECT ${MODE_COLUMNS.map((c) => `m.${c}`).join(', ')}, a.version, a.seq, a.raw
       FROM {T:dl_tables} m LEFT JOIN (${u.sql}) a ON a.version <= m.last_version
      WHERE m.table_id = ? ORDER BY a.version, a.seq`,
    [...u.params, tableId],
  );
  if (rows.length === 0)
    throw new DeltaSqlError('CatalogTableNotFound', `no table "${tableId}" in the catalog (dl_tables)`);
  const state = toState(rows[0]);
  return { state, won: collect(rows, after + 1, state.lastVersion ?? after) };
}
