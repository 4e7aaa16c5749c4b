/**
 * The physical schema of a catalog as each engine reports it (seed 003's schema comparison):
 * tables and columns with their declared types, mapped onto the three logical types the catalog
 * uses (int, bool, text), and the newest applied migration. Column types are what make rows
 * portable: a value read from one engine is normalised by the logical type of its column.
 */
import { MIGRATIONS } from '../migrations';
import type { SqlDriver } from '../sql';
import type { CatalogUrl } from '../url';

export type LogicalType = 'int' | 'bool' | 'text';

export interface ColumnInfo {
  name: string;
  /** As the engine declares it (BIGINT, int8, LONGTEXT, ...). */
  type: string;
  logical: LogicalType;
}

export interface CatalogSchema {
  /** Catalog table -> columns in table order. Only deltasql's own `dl_*` tables. */
  tables: Map<string, ColumnInfo[]>;
  migrationVersion: number | null;
}

/** Columns declared `{BOOL}` anywhere in the migrations (SQLite stores them as INTEGER). */
const BOOL_COLUMNS: ReadonlySet<string> = new Set(
  MIGRATIONS.flatMap((m) => m.statements)
    .map((s) => (typeof s === 'string' ? s : s.sql))
    .flatMap((sql) => [...sql.matchAll(/(\w+) \{BOOL\}/g)].map((x) => x[1])),
);

function logicalType(column: string, declared: string): LogicalType {
  const t = declared.toLowerCase();
  if (t.startsWith('bool') || t === 'tinyint(1)' || (BOOL_COLUMNS.has(column) && t === 'integer'))
    return 'bool';
  if (/int/.test(t)) return 'int';
  return 'text';
}

/** `(table, column, type)` rows of the catalog's `dl_*` tables, in column order, per engine. */
function columnsQuery(url: CatalogUrl): { sql: string; params: string[] } {
  const like = `table_name LIKE 'dl\\_%'`;
  switch (url.engine) {
    case 'sqlite':
      return {
        sql: `SELECT m.name AS t, p.name AS c, p.type AS ty FROM sqlite_master m, pragma_table_info(m.name) p
              WHERE m.type = 'table' AND m.name LIKE 'dl\\_%' ESCAPE '\\' ORDER BY m.name, p.cid`,
        params: [],
      };
    case 'duckdb':
      return {
        sql: `SELECT table_name AS t, column_name AS c, data_type AS ty FROM information_schema.columns
              WHERE table_schema = 'main' AND ${like} ESCAPE '\\' ORDER BY table_name, ordinal_position`,
        params: [],
      };
    case 'postgres':
      return {
        sql: `SELECT table_name AS t, column_name AS c, data_type AS ty FROM information_schema.columns
              WHERE table_schema = ? AND ${like} ORDER BY table_name, ordinal_position`,
        params: [url.schema],
      };
    case 'mysql':
      return {
        sql: `SELECT table_name AS t, column_name AS c, column_type AS ty FROM information_schema.columns
              WHERE table_schema = ? AND ${like} ORDER BY table_name, ordinal_position`,
        params: [url.connection.database],
      };
  }
}

export async function readSchema(driver: SqlDriver, url: CatalogUrl): Promise<CatalogSchema> {
  const q = columnsQuery(url);
  const rows = await driver.query(q.sql, q.params);
  const tables = new Map<string, ColumnInfo[]>();
  for (const r of rows) {
    const t = String(r.t);
    const c = String(r.c);
    const ty = String(r.ty);
    const list = tables.get(t) ?? [];
    list.push({ name: c, type: ty, logical: logicalType(c, ty) });
    tables.set(t, list);
  }
  let migrationVersion: number | null = null;
  if (tables.has('dl_schema_migrations')) {
    const m = await driver.query(`SELECT MAX(version) AS v FROM {T:dl_schema_migrations}`);
    migrationVersion = m[0]?.v === null || m[0]?.v === undefined ? null : Number(m[0].v);
  }
  return { tables, migrationVersion };
}

export interface SchemaDiff {
  onlyInSource: string[];
  onlyInTarget: string[];
  /** `table.column` present on one side only. */
  columnsOnlyInSource: string[];
  columnsOnlyInTarget: string[];
  /** Columns whose logical type differs (declared types may differ freely between engines). */
  typeDifferences: { column: string; source: string; target: string }[];
  migrationVersion: { source: number | null; target: number | null };
  equal: boolean;
}

export function diffSchemas(a: CatalogSchema, b: CatalogSchema): SchemaDiff {
  const onlyInSource = [...a.tables.keys()].filter((t) => !b.tables.has(t));
  const onlyInTarget = [...b.tables.keys()].filter((t) => !a.tables.has(t));
  const columnsOnlyInSource: string[] = [];
  const columnsOnlyInTarget: string[] = [];
  const typeDifferences: SchemaDiff['typeDifferences'] = [];
  for (const [t, cols] of a.tables) {
    const other = b.tables.get(t);
    if (!other) continue;
    for (const c of cols) {
      const o = other.find((x) => x.name === c.name);
      if (!o) columnsOnlyInSource.push(`${t}.${c.name}`);
      else if (o.logical !== c.logical)
        typeDifferences.push({ column: `${t}.${c.name}`, source: c.type, target: o.type });
    }
    for (const o of other)
      if (!cols.some((c) => c.name === o.name)) columnsOnlyInTarget.push(`${t}.${o.name}`);
  }
  const migrationVersion = { source: a.migrationVersion, target: b.migrationVersion };
  return {
    onlyInSource,
    onlyInTarget,
    columnsOnlyInSource,
    columnsOnlyInTarget,
    typeDifferences,
    migrationVersion,
    equal:
      onlyInSource.length + onlyInTarget.length + columnsOnlyInSource.length + columnsOnlyInTarget.length ===
        0 &&
      typeDifferences.length === 0 &&
      migrationVersion.source === migrationVersion.target,
  };
}
