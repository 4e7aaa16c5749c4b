/**
 * `deltasql convert SRC --to delta`: plan (one listing), then one activity per batch of footers
 * (at most `parallelism` at once), then the single atomic write of version 0. A failure after
 * planning removes the staged batches, so a failed conversion leaves no trace in the folder.
 */
import { defineQuery, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createConvertActivities } from '../activities/convert-activities';
import { ACTIVITY_RETRY } from './retry';

type Activities = ReturnType<typeof createConvertActivities>;

export interface ConvertInput {
  source: string;
  partitionBy?: string[];
  runId: string;
  parallelism: number;
}

export interface ConvertResult {
  files: number;
  rows: number;
  bytes: number;
  partitionColumns: string[];
}

export interface ConvertProgress {
  phase: 'planning' | 'footers' | 'committing' | 'done';
  filesRead: number;
  totalFiles: number | null;
}

export const convertProgressQuery = defineQuery<ConvertProgress>('convertProgress');

const short = proxyActivities<Activities>({ startToCloseTimeout: '10m', retry: ACTIVITY_RETRY });
const batches = proxyActivities<Activities>({
  startToCloseTimeout: '1h',
  heartbeatTimeout: '2m',
  retry: ACTIVITY_RETRY,
});

export async function convertToDeltaWorkflow(input: ConvertInput): Promise<ConvertResult> {
  const progress: ConvertProgress = { phase: 'planning', filesRead: 0, totalFiles: null };
  setHandler(convertProgressQuery, () => progress);
  const plan = await short.planConvert({ source: input.source, partitionBy: input.partitionBy });
  progress.phase = 'footers';
  progress.totalFiles = plan.files;
  const result: ConvertResult = { files: 0, rows: 0, bytes: 0, partitionColumns: plan.partitionColumns };
  try {
    const queue = plan.batchStarts.map((startAfter, index) => ({ startAfter, index }));
    const lanes = Array.from({ length: Math.max(1, Math.min(input.parallelism, queue.length)) }, async () => {
      for (let b = queue.shift(); b; b = queue.shift()) {
        const r = await batches.convertFooterBatch({ source: input.source, runId: input.runId, ...b });
        result.rows += r.rows;
        result.bytes += r.bytes;
        progress.filesRead += r.files;
      }
    });
    await Promise.all(lanes);
    progress.phase = 'committing';
    // Workflow time is part of history, so a retried commit sends the very same bytes.
    const c = await short.commitConvert({ source: input.source, runId: input.runId, plan, now: Date.now() });
    result.files = c.files;
  } catch (e) {
    await short.discardConvert({ source: input.source, runId: input.runId });
    throw e;
  }
  progress.phase = 'done';
  return result;
}
