/**
 * `deltasql export`: rebuild a table's `_delta_log` from the catalog. Orchestration only: plan,
 * then one activity per range of versions (commits byte for byte + `.crc`), one per checkpoint,
 * then `_last_checkpoint`. Every write is put-if-absent and idempotent, so a retried or resumed
 * activity rewrites nothing it already wrote. Payloads are versions and counts.
 */
import { defineQuery, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { CheckpointExportResult, ExportInput, ExportPlan } from '../activities/export-steps';
import type { WriteOutcome } from '../delta/log-writer';
import { ACTIVITY_RETRY } from './retry';

type Activities = ReturnType<typeof createActivities>;

const short = proxyActivities<Activities>({ startToCloseTimeout: '5m', retry: ACTIVITY_RETRY });
const long = proxyActivities<Activities>({
  startToCloseTimeout: '2h',
  heartbeatTimeout: '60s',
  retry: ACTIVITY_RETRY,
});

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

export async function exportTableWorkflow(input: ExportInput): Promise<ExportResult> {
  const progress: ExportProgress = {
    phase: 'planning',
    from: null,
    to: null,
    doneVersion: null,
    checkpointsDone: 0,
    checkpointsTotal: 0,
  };
  setHandler(exportProgressQuery, () => progress);
  const plan = await short.planExport(input);
  Object.assign(progress, {
    phase: 'commits',
    from: plan.from,
    to: plan.to,
    checkpointsTotal: plan.checkpoints.length,
  });
  const outcomes: Record<WriteOutcome, number> = { created: 0, identical: 0, overwritten: 0, kept: 0 };
  let commitBytes = 0;
  const base = {
    catalog: input.catalog,
    dest: input.dest,
    tableId: plan.tableId,
    overwrite: input.overwrite,
  };
  for (let from = plan.from; from <= plan.to; from += RANGE_VERSIONS) {
    const to = Math.min(plan.to, from + RANGE_VERSIONS - 1);
    const r = await long.exportRange.executeWithOptions({ summary: `versions ${from}–${to}` }, [
      { ...base, from, to, commitFrom: plan.commitFrom },
    ]);
    for (const k of Object.keys(outcomes) as WriteOutcome[]) outcomes[k] += r.outcomes[k];
    commitBytes += r.bytes;
    progress.doneVersion = to;
  }
  progress.phase = 'checkpoints';
  let newest: CheckpointExportResult | null = null;
  let checkpointBytes = 0;
  for (const version of plan.checkpoints) {
    newest = await long.exportCheckpoint.executeWithOptions({ summary: `checkpoint at version ${version}` }, [
      { ...base, version },
    ]);
    checkpointBytes += newest.sizeInBytes;
    progress.checkpointsDone++;
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
