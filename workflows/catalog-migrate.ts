/**
 * `deltasql catalog migrate`: first the preflight (unreachable engine, missing source file, missing
 * permissions: the CLI's own check, run as an activity since patch `migrate-preflight-activity` so
 * a run started without the CLI is refused the same way), then plan once (refusals before any
 * write), then one child workflow per Delta table, at most `parallelism` at once; each child
 * copies its table in batches of whole versions and validates it: row counts and per-version
 * content hashes against the source catalog, then `diff --all-versions` against the source
 * `_delta_log`. A failed validation fails the child and so the migration. Blue-green copies into
 * a staging area while the live catalog keeps serving and switches it live only after every
 * table validated; a failure leaves the live catalog as it was.
 *
 * The run's state is recorded in the catalog it copies into (catalog/migrate/state.ts): loading
 * from the plan on, then switched, or failed. A table that fails does not stop the others (one
 * run reports every failing table); the run then marks the target failed - not switched, with
 * the tables whose validation failed, which a re-run copies afresh - and fails with the first
 * failure's type.
 *
 * A catalog (source or target) that goes away mid-run is waited for `catalogTimeoutMs` (default
 * 2 minutes, `--catalog-timeout`; catalog-wait.ts), shown in the progress queries, and then the
 * migration fails with CatalogUnavailable (patched `bounded-catalog-activities`; before it, the
 * activities retried without end). After such a give-up no further table is started (each would
 * wait the whole timeout again); the target is marked failed with one attempt (it may be the
 * catalog that is gone: then it stays `loading`, equally not switched). Either way a re-run from
 * the same source resumes: the copies are idempotent and continue after the last whole batch.
 */
import {
  ApplicationFailure,
  defineQuery,
  executeChild,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  CopyResult,
  MigratePlanInput,
  MigrateTableInput,
  TableValidation,
  createMigrateActivities,
} from '../activities/migrate-activities';
import type { LogParity } from '../catalog/migrate/log-parity';
import {
  CATALOG_BOUNDED_RETRY,
  DEFAULT_CATALOG_TIMEOUT_MS,
  isCatalogGiveUp,
  withCatalogWait,
  type CatalogWait,
} from './catalog-wait';
import { ACTIVITY_RETRY } from './retry';

type Activities = ReturnType<typeof createMigrateActivities>;

/** What the CLI polls (the parent's own waits, and each table's): the `waiting for … catalog` line. */
export interface MigrateProgress {
  catalogWait: CatalogWait | null;
}
export const migrateProgressQuery = defineQuery<MigrateProgress>('migrateProgress');

/** How much of the log diff runs: every copied version, only the last one, or none. */
export type LogDiffMode = 'all-versions' | 'latest' | 'off';

export interface CatalogMigrateInput extends MigratePlanInput {
  parallelism: number;
  batchSize: number;
  strategy?: 'direct' | 'blue-green';
  logDiff?: LogDiffMode;
  /** How long a lost source or target catalog is waited for (ms; default 2 minutes). */
  catalogTimeoutMs?: number;
}

export interface MigratedTable {
  name: string;
  copy: CopyResult;
  validation: TableValidation;
  /** Null when the log diff was off (or for a migration started before it existed). */
  log?: LogParity | null;
}

export interface CatalogMigrateResult {
  tables: MigratedTable[];
  strategy?: 'direct' | 'blue-green';
  /** Every table validated and (blue-green) the staging area became live (the previous catalog is kept as `<name>_old`). */
  switched?: boolean;
}

/** The innermost typed failure under a child workflow's failure (activity -> application). */
function rootFailure(e: unknown): { type: string; message: string } {
  let best = { type: 'Error', message: e instanceof Error ? e.message : String(e) };
  for (let cur: unknown = e; cur instanceof Error; cur = (cur as { cause?: unknown }).cause) {
    if (cur instanceof ApplicationFailure) best = { type: cur.type ?? 'Error', message: cur.message };
  }
  return best;
}

const isCatalogType = (type: string): boolean => type === 'CatalogUnavailable';

/** The largest error text a migration record keeps. */
const MAX_ERROR = 2000;

const SHORT = { startToCloseTimeout: '30m' } as const;
// Short enough that a killed worker's copy is retried elsewhere within half a minute.
const COPY = { startToCloseTimeout: '24h', heartbeatTimeout: '30s' } as const;
const shortRetried = proxyActivities<Activities>({ ...SHORT, retry: ACTIVITY_RETRY });
const copyRetried = proxyActivities<Activities>({ ...COPY, retry: ACTIVITY_RETRY });
/** The same, except that CatalogUnavailable comes back to the workflow's bounded wait. */
const shortBounded = proxyActivities<Activities>({ ...SHORT, retry: CATALOG_BOUNDED_RETRY });
const copyBounded = proxyActivities<Activities>({ ...COPY, retry: CATALOG_BOUNDED_RETRY });

/** The activities and the bounded catalog wait of one workflow run (patched `bounded-catalog-activities`). */
function catalogActivities(timeoutMs: number | undefined, progress: MigrateProgress) {
  const bounded = patched('bounded-catalog-activities');
  const wait = <T>(
    attempt: () => Promise<T>,
    budgetMs = timeoutMs ?? DEFAULT_CATALOG_TIMEOUT_MS,
  ): Promise<T> =>
    bounded
      ? withCatalogWait(budgetMs, attempt, (w) => {
          progress.catalogWait = w;
        })
      : attempt();
  return {
    bounded,
    short: bounded ? shortBounded : shortRetried,
    copy: bounded ? copyBounded : copyRetried,
    wait,
  };
}

export async function migrateCatalogTableWorkflow(
  input: MigrateTableInput & {
    name: string;
    logDiff?: LogDiffMode;
    logFrom?: number;
    catalogTimeoutMs?: number;
  },
): Promise<MigratedTable> {
  const { name, logDiff, logFrom, catalogTimeoutMs, ...table } = input;
  const progress: MigrateProgress = { catalogWait: null };
  setHandler(migrateProgressQuery, () => progress);
  const { short, copy, wait } = catalogActivities(catalogTimeoutMs, progress);
  const c = await wait(() => copy.copyCatalogTable(table));
  const validation = await wait(() => short.validateCatalogTable(table));
  let log: LogParity | null = null;
  if (patched('migrate-log-diff') && logDiff !== 'off') {
    const fromVersion = logDiff === 'latest' ? Number.MAX_SAFE_INTEGER : (logFrom ?? 0);
    log = await wait(() => copy.logParityCatalogTable({ ...table, fromVersion }));
  }
  return { name, copy: c, validation, log };
}

export async function catalogMigrateWorkflow(input: CatalogMigrateInput): Promise<CatalogMigrateResult> {
  const blueGreen = input.strategy === 'blue-green';
  const progress: MigrateProgress = { catalogWait: null };
  setHandler(migrateProgressQuery, () => progress);
  const tracked = patched('migrate-state');
  const { bounded, short, wait } = catalogActivities(input.catalogTimeoutMs, progress);
  // The CLI's preflight, for runs started without it (Temporal client, Web UI, a schedule).
  if (patched('migrate-preflight-activity'))
    await wait(() =>
      short.preflightCatalogMigration({
        from: input.from,
        to: input.to,
        strategy: blueGreen ? 'blue-green' : 'direct',
      }),
    );
  const to = blueGreen ? (await wait(() => short.prepareBlueGreen({ to: input.to }))).staging : input.to;
  const plan = await wait(() =>
    short.planCatalogMigration({
      from: input.from,
      to,
      tables: input.tables,
      exclude: input.exclude,
      incremental: input.incremental,
      record: tracked ? { strategy: blueGreen ? 'blue-green' : 'direct' } : undefined,
    }),
  );
  const queue = [...plan];
  /** A table gave up on a catalog: the others are not started (each would wait as long again). */
  let gaveUp = false;
  let notStarted = 0;
  const done: MigratedTable[] = [];
  const failures: { tableId: string; name: string; type: string; message: string }[] = [];
  const parent = workflowInfo().workflowId;
  const lanes = Array.from({ length: Math.max(1, Math.min(input.parallelism, queue.length)) }, async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      if (gaveUp) {
        notStarted++;
        continue;
      }
      const child = executeChild(migrateCatalogTableWorkflow, {
        workflowId: `${parent}/${t.tableId}`,
        args: [
          {
            from: input.from,
            to,
            tableId: t.tableId,
            name: t.name,
            batchSize: input.batchSize,
            logDiff: input.logDiff,
            logFrom: t.targetLastVersion === null ? 0 : t.targetLastVersion + 1,
            ...(bounded && input.catalogTimeoutMs !== undefined
              ? { catalogTimeoutMs: input.catalogTimeoutMs }
              : {}),
          },
        ],
      });
      if (!tracked) {
        done.push(await child);
        continue;
      }
      try {
        done.push(await child);
      } catch (e) {
        if (isCancellation(e)) throw e;
        if (bounded && isCatalogGiveUp(e)) gaveUp = true;
        failures.push({ tableId: t.tableId, name: t.name, ...rootFailure(e) });
      }
    }
  });
  await Promise.all(lanes);
  const byName = (a: { name: string }, b: { name: string }) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  done.sort(byName);
  if (failures.length > 0) {
    failures.sort(byName);
    const message =
      failures.map((f) => f.message).join('; ') +
      (notStarted > 0 ? `; ${notStarted} more table(s) not started` : '');
    const finish = (): Promise<void> =>
      short.finishCatalogMigration({
        to,
        status: 'failed',
        failedTables: failures.filter((f) => f.type === 'ValidationFailed').map((f) => f.tableId),
        error: message.slice(0, MAX_ERROR),
      });
    // After a give-up the target may be the catalog that is gone: one attempt, and its failure
    // never hides the migration's (the target then stays `loading`: not switched either).
    const marked = gaveUp
      ? await wait(finish, 0).then(
          () => true,
          () => false,
        )
      : (await wait(finish), true);
    const where = blueGreen ? 'the live catalog is unchanged; the staging area is' : 'the target is';
    const first = failures.find((f) => isCatalogType(f.type)) ?? failures[0];
    throw ApplicationFailure.create({
      type: gaveUp ? first.type : failures[0].type,
      message: `${message} (${where} ${marked ? 'marked as not switched' : 'not switched; a re-run resumes'})`,
      nonRetryable: true,
    });
  }
  if (!blueGreen) {
    if (!tracked) return { tables: done };
    await wait(() => short.finishCatalogMigration({ to, status: 'switched' }));
    return { tables: done, strategy: 'direct', switched: true };
  }
  await wait(() => short.switchCatalog({ to: input.to }));
  return { tables: done, strategy: 'blue-green', switched: true };
}
