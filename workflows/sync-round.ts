/**
 * The pieces one sync round is made of, shared by the scheduled round (syncOnceWorkflow) and
 * follow mode: the cheap poll, the import as a child workflow under the table's FIXED import id
 * (the single-writer guarantee: if a manual import holds that id, the round is told "busy" and
 * never starts a second writer), lag publishing, and turning a child failure into a typed one.
 * Workflow code only.
 */
import {
  ApplicationFailure,
  ParentClosePolicy,
  TemporalFailure,
  executeChild,
  proxyLocalActivities,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { createActivities } from '../activities';
import { DEFAULT_CATALOG_TIMEOUT_MS, retryBounded } from './catalog-wait';
import { importTableWorkflow } from './import-table';
import { ACTIVITY_RETRY } from './retry';
import { SA_IMPORTED_VERSION, SA_LAG_SECONDS, SA_TABLE } from './search-attributes';
import { hasNewVersions, type PollResult, type SyncInput, type WallLag } from './sync-types';
import type { ImportInput, ImportResult } from './types';

type Activities = ReturnType<typeof createActivities>;

/** Samples kept for the wall-clock lag percentiles (bounded: carried across continue-as-new). */
export const WALL_LAG_WINDOW = 100;
const MS_PER_SECOND = 1000;

/** One poll attempt: the workflow itself retries it (below), so the retry is bounded in time. */
const once = proxyLocalActivities<Activities>({
  startToCloseTimeout: '60s',
  retry: { ...ACTIVITY_RETRY, maximumAttempts: 1 },
});

export const BUSY = 'busy' as const;

/**
 * Look at the log. With `waitMs` the activity keeps listing every `intervalMs` until something is
 * new or the window ends (a long poll): sub-second polling without a workflow timer per look,
 * whose firing the server rounds to about a second, and one history marker per window.
 *
 * A failed look is retried by the bounded wait of catalog-wait.ts (`catalogTimeoutMs` in all,
 * `--catalog-timeout`), then the round fails with the last attempt's typed error (e.g.
 * CatalogUnavailable, StorageError), so a dead catalog closes the follow workflow instead of being
 * retried forever. The loop is workflow code, not the local activity's own retry policy: the SDK
 * does not bound a local activity's retries by its schedule-to-close timeout while the workflow
 * task is heartbeated (observed: 55 attempts past a 6 s bound). Non-retryable errors fail at once.
 */
export async function poll(input: SyncInput, waitMs = 0, intervalMs = 0): Promise<PollResult> {
  return retryBounded(
    () =>
      once.pollLog({
        source: input.source,
        catalog: input.catalog,
        name: input.name,
        waitMs,
        intervalMs,
      }),
    { timeoutMs: input.catalogTimeoutMs ?? DEFAULT_CATALOG_TIMEOUT_MS, retryable: () => true },
  );
}

export { hasNewVersions };

/**
 * Import everything up to the source's latest version as a child under the table's fixed import
 * id. Returns BUSY when that id is already running (a manual import, or another round): the
 * caller waits and retries; it never writes next to it.
 */
export async function importAsChild(input: SyncInput, summary: string): Promise<ImportResult | typeof BUSY> {
  const importInput: ImportInput = {
    source: input.source,
    catalog: input.catalog,
    name: input.name,
    mode: input.mode,
    force: false,
    skipValidation: input.skipValidation,
    batchSize: input.batchSize,
    actionsPerActivity: input.actionsPerActivity,
    runId: uuid4(),
    ...(input.catalogTimeoutMs === undefined ? {} : { catalogTimeoutMs: input.catalogTimeoutMs }),
  };
  try {
    return await executeChild(importTableWorkflow, {
      workflowId: input.importWorkflowId,
      args: [importInput],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      staticSummary: summary,
    });
  } catch (e) {
    if (e instanceof WorkflowExecutionAlreadyStartedError) return BUSY;
    throw typedFailure(e);
  }
}

/** The innermost typed ApplicationFailure (e.g. LogTruncated from planImport), re-thrown as ours. */
export function typedFailure(e: unknown): unknown {
  let cur: unknown = e;
  while (cur instanceof Error) {
    if (cur instanceof ApplicationFailure && cur.type) {
      return ApplicationFailure.create({
        message: cur.message,
        type: cur.type,
        nonRetryable: true,
        details: cur.details ? [...cur.details] : undefined,
      });
    }
    cur = cur instanceof TemporalFailure || cur instanceof Error ? cur.cause : undefined;
  }
  return e;
}

/** What was last written to the search attributes, so unchanged values are not written again. */
export interface Published {
  lagSeconds: number | null;
  importedVersion: number | null;
}

/** Upsert lag and imported version when they changed; returns what is now published. */
export function publishLag(name: string, p: PollResult, last: Published | null): Published {
  const now: Published = { lagSeconds: p.lagSeconds, importedVersion: p.importedVersion };
  if (last && last.lagSeconds === now.lagSeconds && last.importedVersion === now.importedVersion) return last;
  upsertSearchAttributes([
    { key: SA_TABLE, value: name },
    ...(now.lagSeconds === null ? [] : [{ key: SA_LAG_SECONDS, value: now.lagSeconds }]),
    ...(now.importedVersion === null ? [] : [{ key: SA_IMPORTED_VERSION, value: now.importedVersion }]),
  ]);
  return now;
}

/** When the first new commit appeared: its file time if it lies between the two listings, else the bound. */
export function appearedAt(p: PollResult, previousListedAt: number | null): number {
  const lower = p.priorListedAt ?? previousListedAt ?? p.listedAt;
  const t = p.firstNewModified ?? p.listedAt;
  return Math.min(p.listedAt, Math.max(lower, t));
}

export function emptyWallLag(): WallLag {
  return { lastSeconds: null, p50Seconds: null, p95Seconds: null, maxSeconds: null, samples: [] };
}

/** Add one sample (ms) and recompute the percentiles over the bounded window. */
export function addWallLag(w: WallLag, ms: number): WallLag {
  const s = Math.max(0, ms) / MS_PER_SECOND;
  const samples = [...w.samples, s].slice(-WALL_LAG_WINDOW);
  const sorted = [...samples].sort((a, b) => a - b);
  const pct = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return {
    lastSeconds: s,
    p50Seconds: pct(0.5),
    p95Seconds: pct(0.95),
    maxSeconds: sorted[sorted.length - 1],
    samples,
  };
}
