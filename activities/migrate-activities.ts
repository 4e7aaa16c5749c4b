/**
 * Activities of `deltasql catalog migrate` (workflows/catalog-migrate.ts): plan (refusals happen
 * here, before the target is written), copy one Delta table in batches of whole versions
 * (heartbeating the version reached; a retry or a new worker resumes after the target's last
 * committed batch), and validate it (row counts and per-version content hashes). Payloads carry
 * ids, names, counts and versions only; catalog URLs arrive without passwords.
 */
import { Context } from '@temporalio/activity';
import { DeltaSqlError } from '../common/errors';
import { compareTable } from '../catalog/migrate/compare';
import { copyBatch, copyColumns, ensureTargetTable, finishTable, planRanges } from '../catalog/migrate/copy';
import { planMigration, type TablePlan } from '../catalog/migrate/plan';
import { readSchema } from '../catalog/migrate/schema';
import type { SqlDriver } from '../catalog/sql';
import type { CatalogStore } from '../catalog/store';
import { parseCatalogUrl } from '../catalog/url';
import { resolveCatalogRef } from '../common/credentials';
import type { ActivityDeps } from './deps';
import { guarded } from './failures';

export interface MigratePlanInput {
  from: string;
  to: string;
  tables?: string[];
  exclude?: string[];
  incremental?: boolean;
}

export interface MigrateTableInput {
  from: string;
  to: string;
  tableId: string;
  batchSize: number;
}

export interface CopyResult {
  lastVersion: number | null;
  rows: number;
  batches: number;
  runs: number;
}

export interface TableValidation {
  equal: boolean;
  lastVersion: number | null;
  rows: number;
}

const driverOf = (s: CatalogStore): SqlDriver => {
  if (!('driver' in s)) throw new DeltaSqlError('CatalogError', 'catalog store has no SQL driver');
  return (s as CatalogStore & { driver: SqlDriver }).driver;
};

export function createMigrateActivities(deps: ActivityDeps) {
  const pair = async (i: { from: string; to: string }) => {
    const [src, dst] = [driverOf(await deps.catalog(i.from)), driverOf(await deps.catalog(i.to))];
    const from = parseCatalogUrl(resolveCatalogRef(i.from));
    const to = parseCatalogUrl(resolveCatalogRef(i.to));
    const cols = copyColumns(await readSchema(src, from), await readSchema(dst, to));
    return { src, dst, cols, from, to };
  };
  return {
    /** Refuse (other data, diverged target) before writing; then bring the target's schema up to date. */
    async planCatalogMigration(input: MigratePlanInput): Promise<TablePlan[]> {
      return guarded(async () => {
        const { tables, source, target } = await planMigration(input.from, input.to, input);
        await source.close();
        await target?.close();
        await deps.catalog(input.to);
        return tables;
      });
    },
    async copyCatalogTable(input: MigrateTableInput): Promise<CopyResult> {
      return guarded(async () => {
        const ctx = Context.current();
        const { src, dst, cols } = await pair(input);
        await ensureTargetTable(src, dst, input.tableId, cols);
        const srcLast = (
          await src.query(`SELECT last_version FROM {T:dl_tables} WHERE table_id = ?`, [input.tableId])
        )[0]?.last_version;
        const dstRow = await dst.query(`SELECT last_version FROM {T:dl_tables} WHERE table_id = ?`, [
          input.tableId,
        ]);
        const have =
          dstRow[0]?.last_version === null || dstRow[0]?.last_version === undefined
            ? null
            : Number(dstRow[0].last_version);
        const result: CopyResult = { lastVersion: have, rows: 0, batches: 0, runs: 0 };
        if (srcLast !== null && srcLast !== undefined) {
          const ranges = await planRanges(
            src,
            input.tableId,
            have === null ? 0 : have + 1,
            Number(srcLast),
            input.batchSize,
          );
          for (const [lo, hi] of ranges) {
            const r = await copyBatch(src, dst, input.tableId, lo, hi, cols);
            result.lastVersion = r.lastVersion;
            result.rows += r.rows;
            if (!r.skipped) result.batches += 1;
            ctx.heartbeat({ version: r.lastVersion });
          }
        }
        result.runs = await finishTable(src, dst, input.tableId, cols);
        return result;
      });
    },
    /** Row counts and per-version content hashes equal on both sides, else ValidationFailed. */
    async validateCatalogTable(input: MigrateTableInput): Promise<TableValidation> {
      return guarded(async () => {
        const { src, dst, from, to } = await pair(input);
        const c = await compareTable(
          src,
          dst,
          await readSchema(src, from),
          await readSchema(dst, to),
          input.tableId,
        );
        if (!c.equal) {
          const why =
            c.differentVersions.length > 0
              ? `versions ${c.differentVersions.join(', ')} differ`
              : `row counts or versions differ (source ${JSON.stringify(c.source)}, target ${JSON.stringify(c.target)})`;
          throw new DeltaSqlError(
            'ValidationFailed',
            `migrated table ${c.name} does not match the source: ${why}`,
          );
        }
        const rows = Object.values(c.target?.rows ?? {}).reduce((a, b) => a + b, 0);
        return { equal: true, lastVersion: c.target?.lastVersion ?? null, rows };
      });
    },
  };
}
