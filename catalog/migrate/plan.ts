/**
 * What a catalog migration will do, decided before anything is written: which Delta tables move,
 * where each resumes in the target, and whether the target can take them. The target is read
 * without migrating it, so a dry run (and a refused migration) leaves it untouched. Refusals:
 * the target holds other tables (`InvalidArgument`), or a table whose versions differ from the
 * source's (`VersionConflict`, naming the first differing version), or a source whose own latest
 * migration did not switch (`CatalogNotSwitched`). A target whose latest migration from the same
 * source did not switch (catalog/migrate/state.ts) is resumed rather than refused: its tables
 * continue after their last version, and those whose validation failed are copied afresh.
 */
import * as fs from 'node:fs';
import { DeltaSqlError } from '../../common/errors';
import { openCatalog, openDriver } from '../open';
import type { SqlCatalogStore } from '../sql-catalog';
import type { SqlDriver } from '../sql';
import type { CatalogTable } from '../store';
import { listTables } from '../tables';
import { resolveCatalogRef } from '../../common/credentials';
import { parseCatalogUrl, stripPassword, type CatalogUrl } from '../url';
import { rowCounts } from './content';
import { readSchema } from './schema';
import { assertSwitched, latestMigration, type MigrationState } from './state';

export interface TableSelection {
  tables?: readonly string[];
  exclude?: readonly string[];
  /** Copy only versions newer than the target's; without it the target must not hold the tables. */
  incremental?: boolean;
}

export interface TablePlan {
  name: string;
  tableId: string;
  firstVersion: number | null;
  lastVersion: number | null;
  /** The target's last version of this table (resume / incremental point), null when absent. */
  targetLastVersion: number | null;
  /** Failed validation in the unfinished migration being resumed: the target's copy is replaced. */
  reset: boolean;
}

export interface MigrationPlan {
  tables: TablePlan[];
  /** The password-free source URL, as the target's migration record names it. */
  sourceId: string;
  /** The target's unfinished migration from this source that this run resumes, if any. */
  resumes: MigrationState | null;
}

/** Rows per second a bulk load reaches per target engine (measured on the 2-core test machine). */
const ROWS_PER_SECOND: Record<CatalogUrl['engine'], number> = {
  sqlite: 60_000,
  postgres: 40_000,
  duckdb: 30_000,
  mysql: 20_000,
};

export async function selectTables(src: SqlCatalogStore, sel: TableSelection): Promise<CatalogTable[]> {
  const all = await src.listTables();
  const names = new Set(all.map((t) => t.name));
  const missing = (sel.tables ?? []).filter((n) => !names.has(n));
  if (missing.length > 0)
    throw new DeltaSqlError(
      'CatalogTableNotFound',
      `no table(s) ${missing.join(', ')} in the source catalog`,
    );
  return all.filter(
    (t) => (sel.tables === undefined || sel.tables.includes(t.name)) && !(sel.exclude ?? []).includes(t.name),
  );
}

/** The target's tables and latest migration, read without migrating it (none without a catalog). */
async function targetState(
  dst: SqlDriver,
  url: CatalogUrl,
): Promise<{ tables: CatalogTable[]; migration: MigrationState | null }> {
  const schema = await readSchema(dst, url);
  if (!schema.tables.has('dl_tables')) return { tables: [], migration: null };
  return { tables: await listTables(dst), migration: await latestMigration(dst, schema) };
}

/** First version whose stored content hash differs between the two catalogs, up to `upTo`. */
async function firstDivergence(
  src: SqlDriver,
  dst: SqlDriver,
  tableId: string,
  upTo: number,
): Promise<number | null> {
  const q = `SELECT version, content_hash FROM {T:dl_table_versions} WHERE table_id = ? AND version <= ? ORDER BY version`;
  const [a, b] = [await src.query(q, [tableId, upTo]), await dst.query(q, [tableId, upTo])];
  const theirs = new Map(a.map((r) => [Number(r.version), String(r.content_hash)]));
  for (const r of b) {
    const v = Number(r.version);
    if (theirs.get(v) !== String(r.content_hash)) return v;
  }
  return null;
}

/**
 * Check that `to` can take the selected tables of `from` and say where each resumes. Opens the
 * source (bringing its schema up to date) and reads the target without writing to it.
 */
export async function planMigration(
  from: string,
  to: string,
  sel: TableSelection,
  readOnly = false,
): Promise<MigrationPlan & { source: SqlCatalogStore; target: SqlDriver | null }> {
  const source = await openCatalog(from);
  let target: SqlDriver | null = null;
  try {
    const sourceId = stripPassword(resolveCatalogRef(from));
    assertSwitched(
      await latestMigration(source.driver),
      `source catalog ${parseCatalogUrl(sourceId).redacted}`,
    );
    const tables = await selectTables(source, sel);
    const u = parseCatalogUrl(resolveCatalogRef(to));
    // A dry run must not create an embedded target file by opening it.
    const absent =
      (u.engine === 'sqlite' || u.engine === 'duckdb') && u.path !== ':memory:' && !fs.existsSync(u.path);
    target = absent && readOnly ? null : await openDriver(to);
    const state = target === null ? { tables: [], migration: null } : await targetState(target, u);
    const existing = state.tables;
    const m = state.migration;
    const resumes = m !== null && m.status !== 'switched' && m.source === sourceId ? m : null;
    const wanted = new Map(tables.map((t) => [t.tableId, t]));
    const foreign = existing.filter((t) => wanted.get(t.tableId)?.name !== t.name);
    if (foreign.length > 0) {
      throw new DeltaSqlError(
        'InvalidArgument',
        `target catalog already holds other data: table(s) ${foreign.map((t) => t.name).join(', ')} are not part of this migration; use an empty target`,
      );
    }
    const plans: TablePlan[] = [];
    for (const t of tables) {
      const reset = resumes?.failedTables.includes(t.tableId) ?? false;
      const have = reset ? null : (existing.find((e) => e.tableId === t.tableId)?.lastVersion ?? null);
      if (have !== null && !sel.incremental && !resumes)
        throw new DeltaSqlError(
          'InvalidArgument',
          `target catalog already holds table ${t.name} (up to version ${have}); use --incremental to copy only newer versions`,
        );
      if (have !== null) {
        if (t.lastVersion === null || have > t.lastVersion)
          throw new DeltaSqlError(
            'VersionConflict',
            `target has diverged: table ${t.name} holds version ${have}, the source only ${t.lastVersion}`,
          );
        const v = target && (await firstDivergence(source.driver, target, t.tableId, have));
        if (v !== null && v !== undefined)
          throw new DeltaSqlError(
            'VersionConflict',
            `target has diverged: version ${v} of table ${t.name} differs from the source; refusing to copy onto it`,
          );
      }
      plans.push({
        name: t.name,
        tableId: t.tableId,
        firstVersion: t.firstVersion,
        lastVersion: t.lastVersion,
        targetLastVersion: have,
        reset,
      });
    }
    return { tables: plans, sourceId, resumes, source, target };
  } catch (e) {
    await source.close().catch(() => undefined);
    await target?.close().catch(() => undefined);
    throw e;
  }
}

export interface DryRunTable extends TablePlan {
  versionsToCopy: number;
  rows: Record<string, number>;
  estimatedBytes: number;
  estimatedSeconds: number;
}

/** `--dry-run`: per table the versions to copy, rows per catalog table, estimated size and time. */
export async function dryRun(
  from: string,
  to: string,
  sel: TableSelection,
): Promise<{ tables: DryRunTable[]; resumes: MigrationState | null }> {
  const { tables, resumes, source, target } = await planMigration(from, to, sel, true);
  try {
    const rate = ROWS_PER_SECOND[parseCatalogUrl(resolveCatalogRef(to)).engine];
    const out: DryRunTable[] = [];
    for (const t of tables) {
      const rows = await rowCounts(source.driver, t.tableId);
      const total = Object.values(rows).reduce((a, b) => a + b, 0);
      const bytes = await source.driver.query(
        `SELECT COALESCE(SUM(LENGTH(raw)), 0) AS b FROM {T:dl_add_files} WHERE table_id = ?`,
        [t.tableId],
      );
      const versionsToCopy =
        t.lastVersion === null ? 0 : t.lastVersion - (t.targetLastVersion ?? (t.firstVersion ?? 0) - 1);
      out.push({
        ...t,
        versionsToCopy,
        rows,
        // The add rows' JSON dominates; every other row is about one key and a short raw line.
        estimatedBytes: Number(bytes[0]?.b ?? 0) * 2 + total * 64,
        estimatedSeconds: Math.round((total / rate) * 10) / 10,
      });
    }
    return { tables: out, resumes };
  } finally {
    await source.close();
    await target?.close();
  }
}
