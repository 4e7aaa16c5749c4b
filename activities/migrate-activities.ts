/**
 * Activities of `deltasql catalog migrate` (workflows/catalog-migrate.ts): the preflight
 * (unreachable engine, missing source file, missing permissions: catalog/migrate/preflight.ts,
 * the CLI's own check), plan (refusals happen here, before the target is written), copy one
 * Delta table in batches of whole versions (heartbeating the version reached; a retry or a new
 * worker resumes after the target's last committed batch), validate it (row counts and
 * per-version content hashes, then the log diff against the source `_delta_log`), and for
 * blue-green prepare the staging area and switch it live (catalog/migrate/blue-green.ts). The
 * run's state (loading, validated, switched, failed) is recorded in the catalog it copies into,
 * keyed by the workflow run id (catalog/migrate/state.ts). Payloads carry ids, names, counts and
 * versions only; catalog URLs arrive without passwords.
 */
import { Context } from '@temporalio/activity';
import { DeltaSqlError } from '../common/errors';
import { blueGreenUrls, prepareStaging, switchOver } from '../catalog/migrate/blue-green';
import { compareTable } from '../catalog/migrate/compare';
import { logParity, type LogParity } from '../catalog/migrate/log-parity';
import { copyColumns, copyTable, type CopyResult } from '../catalog/migrate/copy';
import { planMigration, type TablePlan } from '../catalog/migrate/plan';
import { preflightMigration } from '../catalog/migrate/preflight';
import { readSchema } from '../catalog/migrate/schema';
import { setMigrationStatus, startMigration, type MigrationStrategy } from '../catalog/migrate/state';
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
  /** Record this run's state in the target (absent for workflows started before it existed). */
  record?: { strategy: MigrationStrategy };
}

export interface PreflightInput {
  from: string;
  to: string;
  strategy: 'direct' | 'blue-green';
}

export interface FinishMigrationInput {
  to: string;
  status: 'switched' | 'failed';
  /** Table ids whose validation failed (a re-run copies them afresh). */
  failedTables?: string[];
  error?: string;
}

export interface MigrateTableInput {
  from: string;
  to: string;
  tableId: string;
  batchSize: number;
}

export interface LogParityInput extends MigrateTableInput {
  /** First version to compare (the first one this run copied; clamped to the table's versions). */
  fromVersion: number;
}

export type { CopyResult };

export interface TableValidation {
  equal: boolean;
  lastVersion: number | null;
  rows: number;
}

const driverOf = (s: CatalogStore): SqlDriver => {
  if (!('driver' in s)) throw new DeltaSqlError('CatalogError', 'catalog store has no SQL driver');
  return (s as CatalogStore & { driver: SqlDriver }).driver;
};

/** The workflow run an activity belongs to: the key of its migration record. */
function runOf(): { workflowId: string; runId: string } {
  const w = Context.current().info.workflowExecution;
  if (!w) throw new DeltaSqlError('CatalogError', 'catalog migrate activities run inside a workflow');
  return w;
}

export function createMigrateActivities(deps: ActivityDeps) {
  const pair = async (i: { from: string; to: string }) => {
    const [src, dst] = [driverOf(await deps.catalog(i.from)), driverOf(await deps.catalog(i.to))];
    const from = parseCatalogUrl(resolveCatalogRef(i.from));
    const to = parseCatalogUrl(resolveCatalogRef(i.to));
    const cols = copyColumns(await readSchema(src, from), await readSchema(dst, to));
    return { src, dst, cols, from, to };
  };
  /** Versions between heartbeats of the log diff. */
  const PARITY_BEAT = 50;
  return {
    /**
     * The workflow's first step: both engines answer, the source file exists and holds a catalog,
     * the target (blue-green: its staging area) accepts tables and rows; nothing stays written.
     * CatalogMisconfigured and InvalidArgument are non-retryable; CatalogUnavailable is retryable
     * (the workflow's bounded catalog wait).
     */
    async preflightCatalogMigration(input: PreflightInput): Promise<void> {
      return guarded(() => preflightMigration(input.from, input.to, input.strategy));
    },
    /** Blue-green: refuse while `<name>_old` exists, empty a leftover staging area; its URL. */
    async prepareBlueGreen(input: { to: string }): Promise<{ staging: string }> {
      return guarded(async () => {
        const urls = blueGreenUrls(input.to);
        await deps.release?.(urls.staging);
        await prepareStaging(urls);
        return { staging: urls.staging };
      });
    },
    /** Blue-green: the validated staging area becomes live, the previous catalog `<name>_old`. */
    async switchCatalog(input: { to: string }): Promise<void> {
      return guarded(async () => {
        const urls = blueGreenUrls(input.to);
        await deps.release?.(urls.staging);
        await deps.release?.(urls.live);
        const run = runOf().runId;
        await setMigrationStatus(driverOf(await deps.catalog(urls.staging)), run, 'validated');
        await deps.release?.(urls.staging);
        await switchOver(urls);
        await deps.release?.(urls.live);
        await setMigrationStatus(driverOf(await deps.catalog(urls.live)), run, 'switched');
      });
    },
    /** The end of a direct migration (switched) or of a failed one (not switched, and why). */
    async finishCatalogMigration(input: FinishMigrationInput): Promise<void> {
      return guarded(async () => {
        const db = driverOf(await deps.catalog(input.to));
        await setMigrationStatus(db, runOf().runId, input.status, input);
      });
    },
    /** `deltasql diff --all-versions` of the migrated table against its log; drift is ValidationFailed. */
    async logParityCatalogTable(input: LogParityInput): Promise<LogParity> {
      return guarded(async () => {
        const ctx = Context.current();
        const store = await deps.catalog(input.to);
        const t = await store.findTable(input.tableId);
        if (!t)
          throw new DeltaSqlError('CatalogTableNotFound', `no table ${input.tableId} in the target catalog`);
        const r = await logParity(
          () => deps.table(t.location),
          store,
          input.tableId,
          input.fromVersion,
          (v) => {
            if (v % PARITY_BEAT === 0) ctx.heartbeat({ version: v });
          },
        );
        if (r.status === 'drift')
          throw new DeltaSqlError(
            'ValidationFailed',
            `migrated table ${t.name} does not match its Delta log ${t.location}: ${r.detail}`,
          );
        return r;
      });
    },
    /**
     * Refuse (other data, diverged target, unfinished source) before writing; then bring the
     * target's schema up to date, drop the copies that failed validation in the unfinished
     * migration this run resumes, and record the run as loading.
     */
    async planCatalogMigration(input: MigratePlanInput): Promise<TablePlan[]> {
      return guarded(async () => {
        const { tables, sourceId, source, target } = await planMigration(input.from, input.to, input);
        await source.close();
        await target?.close();
        const store = await deps.catalog(input.to);
        for (const t of tables) if (t.reset) await store.dropTable(t.tableId);
        if (input.record) {
          const { workflowId, runId } = runOf();
          await startMigration(driverOf(store), {
            runId,
            workflowId,
            source: sourceId,
            strategy: input.record.strategy,
            tablesTotal: tables.length,
          });
        }
        return tables;
      });
    },
    async copyCatalogTable(input: MigrateTableInput): Promise<CopyResult> {
      return guarded(async () => {
        const ctx = Context.current();
        const { src, dst, cols } = await pair(input);
        return copyTable(src, dst, input.tableId, cols, input.batchSize, (version) =>
          ctx.heartbeat({ version }),
        );
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
