/**
 * Incremental sync. `syncOnceWorkflow` is one scheduled round (a Temporal Schedule starts it,
 * overlap SKIP); `followTableWorkflow` polls the log every few hundred milliseconds and imports
 * new versions as they appear, continuing-as-new to keep its history small. Both import through
 * a child under the table's fixed import id (sync-round.ts), so a sync and a manual import of the
 * same table never write at the same time.
 */
import {
  CancellationScope,
  allHandlersFinished,
  isCancellation,
  condition,
  makeContinueAsNewFunc,
  defineQuery,
  defineSignal,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { SA_TABLE } from './search-attributes';
import {
  BUSY,
  addWallLag,
  appearedAt,
  emptyWallLag,
  hasNewVersions,
  importAsChild,
  poll,
  publishLag,
  type Published,
} from './sync-round';
import type { FollowInput, FollowStatus, PollResult, SyncInput, SyncOnceResult } from './sync-types';

/** syncOnce: default wait for a running import of the same table before skipping the round. */
export const DEFAULT_ATTACH_WAIT_MS = 5 * 60_000;
/** How often a waiting round checks whether the running import has finished. */
const BUSY_RETRY_MS = 1_000;
/**
 * Follow: one poll activity keeps looking (every pollIntervalMs) for up to this long. Bounds how
 * late a stop signal is seen, and sets the idle history growth: one marker per window.
 */
export const DEFAULT_LONG_POLL_MS = 3_000;
/**
 * Follow's workflow task timeout. Consecutive local activities keep one workflow task open; the
 * SDK heartbeats it at 80% of this timeout, which is when a pending stop signal gets delivered.
 * 4 s keeps stops prompt (≤ ~3 s) and stays under the SDK's 5 s slow-task warning.
 */
export const FOLLOW_WORKFLOW_TASK_TIMEOUT = '4s';

export const followStatusQuery = defineQuery<FollowStatus>('status');
export const stopFollowSignal = defineSignal('stop');

export async function syncOnceWorkflow(input: SyncInput): Promise<SyncOnceResult> {
  upsertSearchAttributes([{ key: SA_TABLE, value: input.name }]);
  const deadline = Date.now() + (input.attachWaitMs ?? DEFAULT_ATTACH_WAIT_MS);
  let waited = false;
  let p = await poll(input);
  let published: Published | null = null;
  const result = (status: SyncOnceResult['status'], extra: Partial<SyncOnceResult> = {}): SyncOnceResult => ({
    status,
    name: input.name,
    fromVersion: null,
    toVersion: null,
    versionsImported: 0,
    lagSeconds: p.lagSeconds,
    waitedForRunningImport: waited,
    ...extra,
  });
  for (;;) {
    if (!hasNewVersions(p)) {
      publishLag(input.name, p, published);
      return result('up-to-date');
    }
    let r;
    try {
      r = await importAsChild(input, `sync ${input.name}: up to version ${p.sourceVersion}`);
    } catch (e) {
      publishLag(input.name, p, published);
      throw e;
    }
    if (r !== BUSY) {
      p = await poll(input);
      publishLag(input.name, p, published);
      return result('imported', {
        fromVersion: r.startVersion,
        toVersion: r.targetVersion,
        versionsImported: r.versionsImported,
      });
    }
    waited = true;
    if (Date.now() >= deadline) {
      published = publishLag(input.name, p, published);
      return result('skipped-busy');
    }
    await sleep(BUSY_RETRY_MS);
    p = await poll(input);
  }
}

/** State carried across continue-as-new. */
export interface FollowCarry {
  status: FollowStatus;
  published: Published | null;
  previousListedAt: number | null;
}

export async function followTableWorkflow(input: FollowInput, carry?: FollowCarry): Promise<FollowStatus> {
  const status: FollowStatus = carry?.status ?? {
    name: input.name,
    source: input.source,
    importWorkflowId: input.importWorkflowId,
    rounds: 0,
    polls: 0,
    busyRounds: 0,
    importedVersion: null,
    sourceVersion: null,
    lagSeconds: null,
    lastPollAt: null,
    lastImportAt: null,
    wallLag: emptyWallLag(),
    continuedAsNew: 0,
    stopping: false,
  };
  let published = carry?.published ?? null;
  let previousListedAt = carry?.previousListedAt ?? null;
  setHandler(followStatusQuery, () => status);
  let pollScope: CancellationScope | null = null;
  setHandler(stopFollowSignal, () => {
    status.stopping = true;
    pollScope?.cancel(); // an idle long poll ends at once; a running import round is let finish
  });

  let pollsThisRun = 0;
  let publishNext = true;
  while (!status.stopping) {
    if (pollsThisRun > 0 && shouldContinueAsNew(input, pollsThisRun)) {
      await condition(allHandlersFinished);
      if (status.stopping) break;
      return await makeContinueAsNewFunc<typeof followTableWorkflow>({
        workflowTaskTimeout: FOLLOW_WORKFLOW_TASK_TIMEOUT,
      })(input, {
        status: { ...status, continuedAsNew: status.continuedAsNew + 1 },
        published,
        previousListedAt,
      });
    }
    const scope = new CancellationScope();
    pollScope = scope;
    let p: PollResult;
    try {
      p = await scope.run(() => poll(input, input.longPollMs ?? DEFAULT_LONG_POLL_MS, input.pollIntervalMs));
    } catch (e) {
      if (status.stopping && isCancellation(e)) break;
      throw e;
    } finally {
      pollScope = null;
    }
    pollsThisRun++;
    observe(status, p);
    if (publishNext) {
      published = publishLag(input.name, p, published);
      showDetails(status);
      publishNext = false;
    }
    if (hasNewVersions(p)) {
      const appeared = appearedAt(p, previousListedAt);
      const from = p.importedVersion === null ? 0 : p.importedVersion + 1;
      let r;
      try {
        r = await importAsChild(input, `follow ${input.name}: versions ${from}–${p.sourceVersion}`);
      } catch (e) {
        publishLag(input.name, p, published);
        throw e;
      }
      previousListedAt = p.listedAt;
      if (r !== BUSY) {
        const now = Date.now();
        status.rounds++;
        status.lastImportAt = now;
        status.importedVersion = r.targetVersion;
        status.wallLag = addWallLag(status.wallLag, now - appeared);
        publishNext = true;
        continue; // poll again at once: the writer may have committed meanwhile
      }
      status.busyRounds++;
      await condition(() => status.stopping, BUSY_RETRY_MS);
    } else {
      previousListedAt = p.listedAt;
    }
  }
  return status;
}

function shouldContinueAsNew(input: FollowInput, pollsThisRun: number): boolean {
  if (workflowInfo().continueAsNewSuggested) return true;
  return input.continueAsNewAfterPolls !== undefined && pollsThisRun >= input.continueAsNewAfterPolls;
}

function observe(s: FollowStatus, p: PollResult): void {
  s.polls++;
  s.lastPollAt = p.listedAt;
  s.sourceVersion = p.sourceVersion;
  s.importedVersion = p.importedVersion;
  s.lagSeconds = p.lagSeconds;
}

function showDetails(s: FollowStatus): void {
  const fmt = (n: number | null): string => (n === null ? '–' : n.toFixed(1));
  setCurrentDetails(
    [
      `### Following \`${s.name}\``,
      `- source: \`${s.source}\``,
      `- imported version: ${s.importedVersion ?? '–'} / source ${s.sourceVersion ?? '?'}`,
      `- lag: ${fmt(s.lagSeconds)} s (commit time); wall p95 ${fmt(s.wallLag.p95Seconds)} s`,
      `- rounds: ${s.rounds}, polls: ${s.polls}, waited for another import: ${s.busyRounds}`,
      ...(s.continuedAsNew > 0 ? [`- continued as new: ${s.continuedAsNew}×`] : []),
    ].join('\n'),
  );
}
