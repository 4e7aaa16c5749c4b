/**
 * Retry figures from a workflow's own history (every run of a continue-as-new chain): activity
 * retries by the cause of the attempt before (the `lastFailure` Temporal records on the started
 * event), and workflow tasks that timed out or failed (e.g. on a dead worker's sticky queue).
 */
import type { Client } from '@temporalio/client';
import { decodeTimeoutType } from '@temporalio/common';

export interface RetryFigures {
  runs: number;
  activities: number;
  activityRetries: number;
  retriesByCause: Record<string, number>;
  workflowTaskTimeouts: number;
  workflowTaskFailures: number;
}

type TimeoutCode = Parameters<typeof decodeTimeoutType>[0];

/** The parts of a history `Failure` we read. */
interface FailureLike {
  message?: string | null;
  timeoutFailureInfo?: { timeoutType?: TimeoutCode } | null;
  applicationFailureInfo?: { type?: string | null } | null;
  canceledFailureInfo?: unknown;
}

function causeOf(f: FailureLike | null | undefined): string {
  if (!f) return 'unknown';
  if (f.timeoutFailureInfo) return `timeout:${decodeTimeoutType(f.timeoutFailureInfo.timeoutType) ?? '?'}`;
  if (f.applicationFailureInfo) return f.applicationFailureInfo.type || 'Error';
  if (f.canceledFailureInfo) return 'cancelled';
  return f.message?.slice(0, 60) ?? 'unknown';
}

export async function retryFigures(client: Client, workflowId: string): Promise<RetryFigures> {
  const out: RetryFigures = {
    runs: 0,
    activities: 0,
    activityRetries: 0,
    retriesByCause: {},
    workflowTaskTimeouts: 0,
    workflowTaskFailures: 0,
  };
  for await (const exec of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    out.runs++;
    const history = await client.workflow.getHandle(workflowId, exec.runId).fetchHistory();
    for (const ev of history.events ?? []) {
      const started = ev.activityTaskStartedEventAttributes;
      if (started) {
        out.activities++;
        const retries = Math.max(0, (started.attempt ?? 1) - 1);
        if (retries > 0) {
          out.activityRetries += retries;
          const cause = causeOf(started.lastFailure);
          out.retriesByCause[cause] = (out.retriesByCause[cause] ?? 0) + retries;
        }
      }
      if (ev.workflowTaskTimedOutEventAttributes) out.workflowTaskTimeouts++;
      if (ev.workflowTaskFailedEventAttributes) out.workflowTaskFailures++;
    }
  }
  return out;
}
