/**
 * One durable import of one Delta table into the catalog. Orchestration only: every read and
 * write happens in activities (activities/import-activities.ts). Resume and retry come from the
 * workflow history: each range activity is idempotent, and the loop state is carried across
 * continue-as-new, so a 100k-version import never nears Temporal's history limits.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  condition,
  allHandlersFinished,
  continueAsNew,
  defineQuery,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { createActivities } from '../activities';
import { addCounts, emptyCounts, totalActions, type ActionCounts } from '../delta/action-counts';
import { mergePathMismatches, noPathMismatches, pathMismatchNote } from '../delta/path-mismatches';
import {
  CATALOG_BOUNDED_RETRY,
  DEFAULT_CATALOG_TIMEOUT_MS,
  isCatalogGiveUp,
  withCatalogWait,
} from './catalog-wait';
import { ACTIVITY_RETRY } from './retry';
import { SA_IMPORTED_VERSION, SA_PHASE, SA_TABLE, SA_TARGET_VERSION } from './search-attributes';
import type {
  ImportCarry,
  ImportInput,
  ImportProgress,
  ImportResult,
  Phase,
  ValidationResult,
} from './types';

type Activities = ReturnType<typeof createActivities>;

const short = proxyActivities<Activities>({ startToCloseTimeout: '5m', retry: ACTIVITY_RETRY });
const shortBounded = proxyActivities<Activities>({ startToCloseTimeout: '5m', retry: CATALOG_BOUNDED_RETRY });
/**
 * planImport and finishRun as local activities (patch `import-local-steps`): two short catalog
 * calls that need no task queue round trip of their own; for a small checkpoint-only import those
 * round trips cost about as much as the work (issue 21). Same retry policy as the bounded ones.
 */
const localBounded = proxyLocalActivities<Activities>({
  startToCloseTimeout: '5m',
  retry: CATALOG_BOUNDED_RETRY,
});
const DEFAULT_HEARTBEAT_TIMEOUT = '60s';
/** One catalog connection attempt (connect timeout is 10 s) and the longest pause between attempts. */
const CATALOG_ATTEMPT_TIMEOUT_MS = 30_000;
const CATALOG_RETRY_MAX_INTERVAL = '5s';

/** First range size in versions; later ranges are sized from the observed actions per version. */
const INITIAL_RANGE_VERSIONS = 50;
/**
 * First range after a loaded checkpoint: the tail up to the target is short (writers checkpoint
 * every 10 or 100 versions), so it is one activity instead of two (a checkpoint-only import of a
 * small table is mostly Temporal round trips).
 */
const TAIL_RANGE_VERSIONS = 100;
const MAX_RANGE_VERSIONS = 20_000;
/**
 * Validated imports that wrote at least this many actions also run `optimizeCatalog`
 * (VACUUM/ANALYZE), concurrently with validation, so file lists are index-only scans at once.
 * Small incremental syncs and `--skip-validation` imports (which ask for speed) leave this to
 * autovacuum.
 */
const OPTIMIZE_MIN_ACTIONS = 100_000;

export const progressQuery = defineQuery<ImportProgress>('progress');

export async function importTableWorkflow(input: ImportInput, carry?: ImportCarry): Promise<ImportResult> {
  const progress: ImportProgress = {
    phase: 'planning',
    tableId: carry?.plan.tableId ?? null,
    startVersion: carry?.plan.startVersion ?? null,
    importedVersion: carry ? carry.nextVersion - 1 : null,
    targetVersion: carry?.plan.targetVersion ?? null,
    versionsImported: carry?.versionsImported ?? 0,
    counts: carry?.counts ?? emptyCounts(),
    notes: carry?.plan.notes ?? [],
    continuedAsNew: carry?.continuedAsNew ?? 0,
  };
  setHandler(progressQuery, () => progress);
  /** Removes that named their add in another URI spelling, over every run of this import. */
  const mismatches = carry?.pathMismatches ?? noPathMismatches();
  const longOptions = {
    startToCloseTimeout: '2h',
    heartbeatTimeout: (input.heartbeatTimeout ?? DEFAULT_HEARTBEAT_TIMEOUT) as Duration,
  } as const;
  const timeoutMs = input.catalogTimeoutMs ?? DEFAULT_CATALOG_TIMEOUT_MS;
  /**
   * Every activity after the first check touches the catalog. With the patch, a catalog that goes
   * away mid-import is waited for `--catalog-timeout` (catalog-wait.ts), shown in the progress
   * query, and then fails the import; before it, CatalogUnavailable was retried without end.
   */
  let bounded = false;
  let long = proxyActivities<Activities>({ ...longOptions, retry: ACTIVITY_RETRY });
  let acts = short;
  const catalogCall = <T>(attempt: () => Promise<T>, budgetMs = timeoutMs): Promise<T> =>
    bounded
      ? withCatalogWait(budgetMs, attempt, (wait) => {
          progress.catalogWait = wait;
        })
      : attempt();
  const setPhase = (phase: Phase): void => {
    progress.phase = phase;
    upsertSearchAttributes([{ key: SA_PHASE, value: phase }]);
    showDetails(input, progress);
  };

  try {
    if (!carry && patched('bounded-catalog-wait')) await waitForCatalog(input);
    if (patched('bounded-catalog-activities')) {
      bounded = true;
      long = proxyActivities<Activities>({ ...longOptions, retry: CATALOG_BOUNDED_RETRY });
      acts = shortBounded;
      if (patched('import-local-steps')) acts = localBounded;
    }
    const plan =
      carry?.plan ??
      (await catalogCall(() => acts.planImport(input, workflowInfo().workflowId, workflowInfo().runId)));
    Object.assign(progress, {
      tableId: plan.tableId,
      startVersion: plan.startVersion,
      targetVersion: plan.targetVersion,
      notes: plan.notes,
    });
    upsertSearchAttributes([
      { key: SA_TABLE, value: input.name },
      { key: SA_TARGET_VERSION, value: plan.targetVersion },
    ]);
    let next = carry?.nextVersion ?? plan.startVersion;
    let baselineDone = carry?.baselineDone ?? plan.baselineVersion === null;

    if (!baselineDone && plan.baselineVersion !== null) {
      setPhase('checkpoint');
      const version = plan.baselineVersion;
      const args = {
        source: input.source,
        catalog: input.catalog,
        tableId: plan.tableId,
        version,
        batchSize: input.batchSize,
      };
      const to = plan.targetVersion;
      if (to > version && to - version <= TAIL_RANGE_VERSIONS && patched('checkpoint-with-tail')) {
        // A short tail is loaded by the checkpoint's own activity: one round trip less (issue 21).
        const r = await catalogCall(() =>
          long.loadCheckpointAndTail.executeWithOptions(
            { summary: `checkpoint at version ${version}, then versions ${version + 1}–${to}` },
            [{ ...args, to }],
          ),
        );
        record(progress, r.checkpoint.counts, r.checkpoint.versionsWritten, r.checkpoint.lastVersion);
        next = version + 1;
        if (r.tail) {
          record(progress, r.tail.counts, r.tail.versionsWritten, r.tail.lastVersion);
          mergePathMismatches(mismatches, r.tail.pathMismatches);
          next = r.tail.lastVersion + 1;
          upsertSearchAttributes([{ key: SA_IMPORTED_VERSION, value: r.tail.lastVersion }]);
        }
      } else {
        const r = await catalogCall(() =>
          long.loadCheckpoint.executeWithOptions({ summary: `checkpoint at version ${version}` }, [args]),
        );
        record(progress, r.counts, r.versionsWritten, r.lastVersion);
        next = version + 1;
      }
      baselineDone = true;
    }

    if (next <= plan.targetVersion) setPhase('replay');
    let rangeVersions =
      plan.baselineVersion !== null && patched('checkpoint-tail-one-range')
        ? TAIL_RANGE_VERSIONS
        : INITIAL_RANGE_VERSIONS;
    while (next <= plan.targetVersion) {
      const to = Math.min(plan.targetVersion, next + rangeVersions - 1);
      const from = next;
      const r = await catalogCall(() =>
        long.importRange.executeWithOptions({ summary: `versions ${from}–${to}` }, [
          {
            source: input.source,
            catalog: input.catalog,
            tableId: plan.tableId,
            from,
            to,
            batchSize: input.batchSize,
          },
        ]),
      );
      record(progress, r.counts, r.versionsWritten, r.lastVersion);
      mergePathMismatches(mismatches, r.pathMismatches);
      const actions = totalActions(r.counts);
      const perVersion = Math.max(1, actions / Math.max(1, r.lastVersion - r.firstVersion + 1));
      rangeVersions = Math.max(
        1,
        Math.min(MAX_RANGE_VERSIONS, Math.floor(input.actionsPerActivity / perVersion)),
      );
      next = r.lastVersion + 1;
      upsertSearchAttributes([{ key: SA_IMPORTED_VERSION, value: r.lastVersion }]);
      showDetails(input, progress);

      if (next <= plan.targetVersion && workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        return await continueAsNew<typeof importTableWorkflow>(input, {
          plan,
          nextVersion: next,
          baselineDone,
          versionsImported: progress.versionsImported,
          counts: progress.counts,
          continuedAsNew: progress.continuedAsNew + 1,
          ...(mismatches.count > 0 ? { pathMismatches: mismatches } : {}),
        });
      }
    }

    const mismatchNote = pathMismatchNote(mismatches);
    if (mismatchNote !== null) progress.notes = [...progress.notes, mismatchNote];
    /** What dl_import_runs keeps: the notes without the validation's check lines. */
    const runNotes = progress.notes;
    let validation: ValidationResult | null = null;
    if (!input.skipValidation) {
      const optimizing =
        totalActions(progress.counts) >= OPTIMIZE_MIN_ACTIONS && patched('optimize-catalog')
          ? catalogCall(() =>
              long.optimizeCatalog.executeWithOptions({ summary: 'optimize catalog (VACUUM ANALYZE)' }, [
                { catalog: input.catalog },
              ]),
            )
          : null;
      // Awaited after validation; until then a failure must not count as unhandled.
      optimizing?.catch(() => undefined);
      setPhase('validating');
      validation = await catalogCall(() =>
        long.validateImport.executeWithOptions({ summary: `validate version ${plan.targetVersion}` }, [
          {
            source: input.source,
            catalog: input.catalog,
            tableId: plan.tableId,
            version: plan.targetVersion,
          },
        ]),
      );
      await optimizing;
      progress.notes = [...progress.notes, ...validation.lines];
    }
    const passed = validation === null || validation.passed;
    await catalogCall(() =>
      acts.finishRun({
        catalog: input.catalog,
        runId: input.runId,
        status: passed ? 'completed' : 'failed',
        toVersion: plan.targetVersion,
        versionsImported: progress.versionsImported,
        counts: progress.counts,
        validation: validation === null ? 'SKIPPED' : passed ? 'PASSED' : 'FAILED',
        error: passed ? null : 'validation failed',
        notes: runNotes,
      }),
    );
    setPhase(passed ? 'done' : 'failed');
    if (!passed) {
      throw ApplicationFailure.nonRetryable(
        `validation FAILED at version ${plan.targetVersion}`,
        'ValidationFailed',
        validation,
      );
    }
    return {
      tableId: plan.tableId,
      name: input.name,
      startVersion: plan.startVersion,
      targetVersion: plan.targetVersion,
      versionsImported: progress.versionsImported,
      counts: progress.counts,
      validation,
      notes: progress.notes,
      continuedAsNew: progress.continuedAsNew,
    };
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    if (progress.phase !== 'failed') {
      progress.phase = 'failed';
      upsertSearchAttributes([{ key: SA_PHASE, value: 'failed' }]);
      // The audit row exists only once planning succeeded (planImport writes it last).
      // Bounded, the audit write is tried once after giving up on the catalog, and its own
      // failure never hides the import's error.
      if (progress.tableId !== null) {
        const finish = (): Promise<void> =>
          acts.finishRun({
            catalog: input.catalog,
            runId: input.runId,
            status: isCancellation(err) ? 'cancelled' : 'failed',
            toVersion: progress.importedVersion,
            versionsImported: progress.versionsImported,
            counts: progress.counts,
            validation: null,
            error: describe(err),
          });
        await CancellationScope.nonCancellable(() =>
          bounded
            ? catalogCall(finish, isCatalogGiveUp(err) ? 0 : timeoutMs).catch(() => undefined)
            : finish(),
        );
      }
    }
    throw err;
  }
}

/**
 * Open the catalog first, retrying an unreachable one for `catalogTimeoutMs` at most, so a workflow
 * whose catalog is down fails (CatalogUnavailable) instead of retrying on the server forever after
 * the CLI is gone. A misconfigured catalog fails on the first attempt (non-retryable type).
 */
async function waitForCatalog(input: ImportInput): Promise<void> {
  const timeoutMs = input.catalogTimeoutMs ?? DEFAULT_CATALOG_TIMEOUT_MS;
  const probe = proxyActivities<Activities>({
    scheduleToCloseTimeout: timeoutMs,
    startToCloseTimeout: Math.min(timeoutMs, CATALOG_ATTEMPT_TIMEOUT_MS),
    retry: { ...ACTIVITY_RETRY, maximumInterval: CATALOG_RETRY_MAX_INTERVAL },
  });
  try {
    await probe.checkCatalog({ catalog: input.catalog });
  } catch (err) {
    if (isCancellation(err)) throw err;
    const app = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : null;
    const why = app?.message ?? describe(err);
    throw ApplicationFailure.nonRetryable(
      app?.nonRetryable ? why : `gave up after ${Math.round(timeoutMs / 1000)}s: ${why}`,
      app?.type ?? 'CatalogUnavailable',
    );
  }
}

function record(p: ImportProgress, counts: ActionCounts, versions: number, lastVersion: number): void {
  p.counts = addCounts({ ...p.counts }, counts);
  p.versionsImported += versions;
  p.importedVersion = lastVersion;
}

function showDetails(input: ImportInput, p: ImportProgress): void {
  const lines = [
    `### Importing \`${input.name}\``,
    `- source: \`${input.source}\``,
    `- phase: **${p.phase}**`,
    `- version: ${p.importedVersion ?? '–'} / ${p.targetVersion ?? '?'}`,
    `- adds: ${p.counts.add}, removes: ${p.counts.remove}, metadata: ${p.counts.metaData}, protocol: ${p.counts.protocol}`,
  ];
  if (p.continuedAsNew > 0) lines.push(`- continued as new: ${p.continuedAsNew}×`);
  setCurrentDetails(lines.join('\n'));
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}
