/**
 * `deltasql discover --import`: one parent workflow, one child import per discovered table, at
 * most `parallelism` children in flight (a sliding window). Each child runs under its table's
 * fixed import id, so a table that is already being imported is reported, not written twice.
 */
import { ParentClosePolicy, startChild, workflowInfo, defineQuery, setHandler } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { importTableWorkflow } from './import-table';
import type { ImportInput } from './types';

export interface DiscoverImportInput {
  /** One entry per table: the import input and its fixed workflow id (computed by the client). */
  tables: { input: ImportInput; workflowId: string }[];
  parallelism: number;
}

export interface DiscoverImportOutcome {
  name: string;
  source: string;
  status: 'completed' | 'failed' | 'already-running';
  versionsImported: number;
  validation: 'PASSED' | 'FAILED' | 'SKIPPED' | null;
  error: string | null;
}

export interface DiscoverImportResult {
  total: number;
  completed: number;
  failed: number;
  alreadyRunning: number;
  tables: DiscoverImportOutcome[];
}

export const discoverImportProgressQuery = defineQuery<{ done: number; total: number; running: number }>(
  'progress',
);

export async function discoverImportWorkflow(args: DiscoverImportInput): Promise<DiscoverImportResult> {
  const outcomes: DiscoverImportOutcome[] = [];
  let running = 0;
  setHandler(discoverImportProgressQuery, () => ({
    done: outcomes.length,
    total: args.tables.length,
    running,
  }));

  const runOne = async ({ input, workflowId }: DiscoverImportInput['tables'][number]): Promise<void> => {
    const base = { name: input.name, source: input.source };
    running++;
    try {
      const child = await startChild(importTableWorkflow, {
        workflowId,
        args: [input],
        taskQueue: workflowInfo().taskQueue,
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `import ${input.name}`,
      });
      const r = await child.result();
      const validation = r.validation === null ? 'SKIPPED' : r.validation.passed ? 'PASSED' : 'FAILED';
      outcomes.push({
        ...base,
        status: 'completed',
        versionsImported: r.versionsImported,
        validation,
        error: null,
      });
    } catch (e) {
      const already = e instanceof WorkflowExecutionAlreadyStartedError;
      outcomes.push({
        ...base,
        status: already ? 'already-running' : 'failed',
        versionsImported: 0,
        validation: null,
        error: already ? `an import of ${input.name} is already running (${workflowId})` : errorText(e),
      });
    } finally {
      running--;
    }
  };

  const queue = [...args.tables];
  const lanes = Array.from({ length: Math.max(1, Math.min(args.parallelism, queue.length)) }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await runOne(next);
  });
  await Promise.all(lanes);
  outcomes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    total: outcomes.length,
    completed: outcomes.filter((o) => o.status === 'completed').length,
    failed: outcomes.filter((o) => o.status === 'failed').length,
    alreadyRunning: outcomes.filter((o) => o.status === 'already-running').length,
    tables: outcomes,
  };
}

function errorText(e: unknown): string {
  let cur: unknown = e;
  let msg = e instanceof Error ? e.message : String(e);
  while (cur instanceof Error && (cur as { cause?: unknown }).cause instanceof Error) {
    cur = (cur as { cause?: unknown }).cause;
    msg = (cur as Error).message;
  }
  return msg;
}
