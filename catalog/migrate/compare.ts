/**
 * `deltasql catalog compare`: seed 003's schema comparison (tables, columns and logical types on
 * each side, the migration version), then per Delta table the last version, row counts per
 * catalog table and a per-version content hash over every stored row, and each side's latest
 * migration record (whether a `catalog migrate` into it switched). Read-only on both sides.
 * Also the validation every migration ends with (`compareTable`).
 */
import { openDriver } from '../open';
import type { SqlDriver } from '../sql';
import { findTable, listTables } from '../tables';
import { resolveCatalogRef } from '../../common/credentials';
import { parseCatalogUrl } from '../url';
import { rowCounts, versionHashes } from './content';
import { copyColumns } from './copy';
import { diffSchemas, readSchema, type CatalogSchema, type SchemaDiff } from './schema';
import { latestMigration, type MigrationState } from './state';

export interface TableComparison {
  name: string;
  source: { lastVersion: number | null; rows: Record<string, number> } | null;
  target: { lastVersion: number | null; rows: Record<string, number> } | null;
  /** Versions whose content hash differs (or exists on one side only), at most MAX_LISTED. */
  differentVersions: number[];
  equal: boolean;
}

export interface CatalogComparison {
  schema: SchemaDiff;
  tables: TableComparison[];
  /** The latest `catalog migrate` into each side (null: none recorded); not part of `equal`. */
  migration: { source: MigrationState | null; target: MigrationState | null };
  equal: boolean;
}

const MAX_LISTED = 20;

/** Compare one Delta table (by id) in two catalogs: dl_tables progress, row counts, version hashes. */
export async function compareTable(
  src: SqlDriver,
  dst: SqlDriver,
  srcSchema: CatalogSchema,
  dstSchema: CatalogSchema,
  tableId: string,
): Promise<TableComparison> {
  const a = await findTable(src, tableId);
  const b = dstSchema.tables.has('dl_tables') ? await findTable(dst, tableId) : null;
  const side = async (db: SqlDriver, t: typeof a) =>
    t === null ? null : { lastVersion: t.lastVersion, rows: await rowCounts(db, tableId) };
  const source = await side(src, a);
  const target = await side(dst, b);
  const differentVersions: number[] = [];
  if (a && b) {
    const cols = copyColumns(srcSchema, dstSchema);
    const lo = Math.min(a.firstVersion ?? 0, b.firstVersion ?? 0);
    const hi = Math.max(a.lastVersion ?? -1, b.lastVersion ?? -1);
    const [ha, hb] = [
      await versionHashes(src, tableId, lo, hi, cols),
      await versionHashes(dst, tableId, lo, hi, cols),
    ];
    for (let v = lo; v <= hi && differentVersions.length < MAX_LISTED; v++) {
      if (ha.get(v) !== hb.get(v)) differentVersions.push(v);
    }
  }
  const equal =
    source !== null &&
    target !== null &&
    source.lastVersion === target.lastVersion &&
    a?.firstVersion === b?.firstVersion &&
    a?.baselineVersion === b?.baselineVersion &&
    JSON.stringify(source.rows) === JSON.stringify(target.rows) &&
    differentVersions.length === 0;
  return { name: a?.name ?? b?.name ?? tableId, source, target, differentVersions, equal };
}

export async function compareCatalogs(from: string, to: string): Promise<CatalogComparison> {
  const src = await openDriver(from);
  try {
    const dst = await openDriver(to);
    try {
      const [sa, sb] = [
        await readSchema(src, parseCatalogUrl(resolveCatalogRef(from))),
        await readSchema(dst, parseCatalogUrl(resolveCatalogRef(to))),
      ];
      const schema = diffSchemas(sa, sb);
      const ids = new Map<string, string>();
      for (const [s, db] of [
        [sa, src],
        [sb, dst],
      ] as const) {
        if (s.tables.has('dl_tables')) for (const t of await listTables(db)) ids.set(t.tableId, t.name);
      }
      const tables: TableComparison[] = [];
      for (const id of [...ids].sort((x, y) => (x[1] < y[1] ? -1 : 1)).map((x) => x[0])) {
        tables.push(await compareTable(src, dst, sa, sb, id));
      }
      const migration = { source: await latestMigration(src, sa), target: await latestMigration(dst, sb) };
      return { schema, tables, migration, equal: schema.equal && tables.every((t) => t.equal) };
    } finally {
      await dst.close();
    }
  } finally {
    await src.close();
  }
}
