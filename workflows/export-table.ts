/**
 * `deltasql export`: rebuild a table's `_delta_log` from the catalog. Orchestration only: plan,
 * then one activity per range of versions (commits byte for byte + `.crc`), one per checkpoint,
 * then `_last_checkpoint`. Every write is put-if-absent and idempotent, so a retried or resumed
 * activity rewrites nothing it already wrote. Payloads are versions and counts; a long export
 * continues as new with its position, so 100k versions never near Temporal's history limits.
 *
 * A catalog that goes away mid-export is waited for `catalogTimeoutMs` (default 2 minutes,
 * `--catalog-timeout`; catalog-wait.ts), shown in the progress query, and then the export fails
 * with CatalogUnavailable (patched `bounded-catalog-activities`; before it, the activities retried
 * without end). Nothing half-written is visible: every file is put-if-absent (a reader sees a
 * whole file or none) and `_last_checkpoint` is written last, so a re-run completes the log.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { CheckpointExportResult, ExportInput, ExportPlan } from '../activities/export-steps';
import type { WriteOutcome } from '../delta/log-writer';
import {
  CATALOG_BOUNDED_RETRY,
  DEFAULT_CATALOG_TIMEOUT_MS,
  withCatalogWait,
  type CatalogWait,
} from './catalog-wait';
import { ACTIVITY_RETRY } from './retry';

type Activities = ReturnType<typeof createActivities>;

const short = proxyActivities<Activities>({ startToCloseTimeout: '5m', retry: ACTIVITY_RETRY });
const LONG = { startToCloseTimeout: '2h', heartbeatTimeout: '60s' } as const;
const long = proxyActivities<Activities>({ ...LONG, retry: ACTIVITY_RETRY });
/** The same activities, except that CatalogUnavailable comes back to the workflow's bounded wait. */
const shortBounded = proxyActivities<Activities>({ startToCloseTimeout: '5m', retry: CATALOG_BOUNDED_RETRY });
const longBounded = proxyActivities<Activities>({ ...LONG, retry: CATALOG_BOUNDED_RETRY });

/** The export's input: the plan's, and how long a lost catalog is waited for. */
export interface ExportWorkflowInput extends ExportInput {
  /** Default 2 minutes (`--catalog-timeout`). */
  catalogTimeoutMs?: number;
}

/** Versions per range activity: one crc pass and up to this many commit files. */
const RANGE_VERSIONS = 1000;

export interface ExportProgress {
  phase: 'planning' | 'commits' | 'checkpoints' | 'done';
  from: number | null;
  to: number | null;
  /** Newest version whose commit and crc are written, in version order. */
  doneVersion: number | null;
  checkpointsDone: number;
  checkpointsTotal: number;
  /** Set while a lost catalog is waited for (the CLI's `waiting for catalog …` line). */
  catalogWait?: CatalogWait | null;
}

export interface ExportResult {
  plan: ExportPlan;
  outcomes: Record<WriteOutcome, number>;
  commitBytes: number;
  checkpointsWritten: number;
  checkpointBytes: number;
  newestCheckpoint: CheckpointExportResult | null;
  lastCheckpointWritten: boolean;
}

export const exportProgressQuery = defineQuery<ExportProgress>('exportProgress');

/** Where a continued run resumes: the plan, the next range start, checkpoints done, totals. */
export interface ExportCarry {
  plan: ExportPlan;
  nextFrom: number;
  checkpointsDone: number;
  outcomes: Record<WriteOutcome, number>;
  commitBytes: number;
  checkpointBytes: number;
  newest: CheckpointExportResult | null;
}

export async function exportTableWorkflow(
  input: ExportWorkflowInput,
  carry?: ExportCarry,
): Promise<ExportResult> {
  const progress: ExportProgress = {
    phase: 'planning',
    from: null,
    to: null,
    doneVersion: null,
    checkpointsDone: 0,
    checkpointsTotal: 0,
  };
  setHandler(exportProgressQuery, () => progress);
  const { catalogTimeoutMs, ...planInput } = input;
  const bounded = patched('bounded-catalog-activities');
  const acts = bounded ? shortBounded : short;
  const longActs = bounded ? longBounded : long;
  const catalogCall = <T>(attempt: () => Promise<T>): Promise<T> =>
    bounded
      ? withCatalogWait(catalogTimeoutMs ?? DEFAULT_CATALOG_TIMEOUT_MS, attempt, (wait) => {
          progress.catalogWait = wait;
        })
      : attempt();
  const plan = carry?.plan ?? (await catalogCall(() => acts.planExport(planInput)));
  Object.assign(progress, {
    phase: 'commits',
    from: plan.from,
    to: plan.to,
    doneVersion: carry && carry.nextFrom > plan.from ? carry.nextFrom - 1 : null,
    checkpointsDone: carry?.checkpointsDone ?? 0,
    checkpointsTotal: plan.checkpoints.length,
  });
  const outcomes: Record<WriteOutcome, number> = carry?.outcomes ?? {
    created: 0,
    identical: 0,
    overwritten: 0,
    kept: 0,
  };
  let commitBytes = carry?.commitBytes ?? 0;
  let newest: CheckpointExportResult | null = carry?.newest ?? null;
  let checkpointBytes = carry?.checkpointBytes ?? 0;
  const resume = async (nextFrom: number): Promise<ExportResult> => {
    await condition(allHandlersFinished);
    return continueAsNew<typeof exportTableWorkflow>(input, {
      plan,
      nextFrom,
      checkpointsDone: progress.checkpointsDone,
      outcomes,
      commitBytes,
      checkpointBytes,
      newest,
    });
  };
  const base = {
    catalog: input.catalog,
    dest: input.dest,
    tableId: plan.tableId,
    overwrite: input.overwrite,
  };
  for (let from = carry?.nextFrom ?? plan.from; from <= plan.to; from += RANGE_VERSIONS) {
    const to = Math.min(plan.to, from + RANGE_VERSIONS - 1);
    const r = await catalogCall(() =>
      longActs.exportRange.executeWithOptions({ summary: `versions ${from}–${to}` }, [
        { ...base, from, to, commitFrom: plan.commitFrom },
      ]),
    );
    for (const k of Object.keys(outcomes) as WriteOutcome[]) outcomes[k] += r.outcomes[k];
    commitBytes += r.bytes;
    progress.doneVersion = to;
    if (to < plan.to && workflowInfo().continueAsNewSuggested) return resume(to + 1);
  }
  progress.phase = 'checkpoints';
  while (progress.checkpointsDone < plan.checkpoints.length) {
    const version = plan.checkpoints[progress.checkpointsDone];
    newest = await catalogCall(() =>
      longActs.exportCheckpoint.executeWithOptions({ summary: `checkpoint at version ${version}` }, [
        { ...base, version, nowMs: plan.nowMs },
      ]),
    );
    checkpointBytes += newest.sizeInBytes;
    progress.checkpointsDone++;
    if (progress.checkpointsDone < plan.checkpoints.length && workflowInfo().continueAsNewSuggested)
      return resume(plan.to + 1);
  }
  const lastCheckpointWritten = await short.finishExport({
    dest: input.dest,
    newest,
    overwrite: input.overwrite,
  });
  progress.phase = 'done';
  return {
    plan,
    outcomes,
    commitBytes,
    checkpointsWritten: progress.checkpointsDone,
    checkpointBytes,
    newestCheckpoint: newest,
    lastCheckpointWritten,
  };
}
