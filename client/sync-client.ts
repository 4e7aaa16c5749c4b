/**
 * Client side of incremental sync: one Temporal Schedule per (catalog, table) running
 * syncOnceWorkflow, and one follow workflow per (catalog, table). Ids are derived the same way as
 * the import's fixed workflow id, so the CLI can find a table's schedule or follow by name.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type ScheduleDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import { keepPasswordLocally, sendableInput } from '../common/credentials';
import { DeltaSqlError } from '../common/errors';
import {
  DEFAULT_ACTIONS_PER_ACTIVITY,
  DEFAULT_BATCH_SIZE,
  workflowUiLink,
  type DeltaSqlEnv,
} from '../common/config';
import {
  FOLLOW_WORKFLOW_TASK_TIMEOUT,
  followStatusQuery,
  followTableWorkflow,
  stopFollowSignal,
  syncOnceWorkflow,
} from '../workflows';
import { SA_TABLE } from '../workflows/search-attributes';
import type { FollowInput, FollowStatus, SyncInput } from '../workflows/sync-types';
import type { ImportMode } from '../workflows/types';
import { absoluteCatalog, absoluteSource, defaultTableName, importWorkflowId } from './import-client';

const IMPORT_PREFIX = 'deltasql-import-';
export const SCHEDULE_PREFIX = 'deltasql-sync-';
export const FOLLOW_PREFIX = 'deltasql-follow-';
/** Recent schedule actions shown by `describe`. */
const RECENT_ACTIONS_SHOWN = 5;

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "500ms", "30s", "5m", "1h", "1d" -> milliseconds; InvalidArgument otherwise. */
export function parseDuration(option: string, value: string, minMs: number): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value.trim());
  const ms = m ? Math.round(Number(m[1]) * UNITS_MS[m[2]]) : NaN;
  if (!Number.isFinite(ms) || ms < minMs) {
    throw new DeltaSqlError(
      'InvalidArgument',
      `${option} must be a duration like 500ms, 30s, 5m or 1h (at least ${minMs} ms), got "${value}"`,
    );
  }
  return ms;
}

export function syncScheduleId(catalog: string, name: string): string {
  return SCHEDULE_PREFIX + importWorkflowId(catalog, name).slice(IMPORT_PREFIX.length);
}

export function followWorkflowId(catalog: string, name: string): string {
  return FOLLOW_PREFIX + importWorkflowId(catalog, name).slice(IMPORT_PREFIX.length);
}

/** A catalog URL fit for display: the password is masked. */
export function redactCatalog(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^/@]*@/, '//$1:***@');
}

export interface SyncOptions {
  source: string;
  catalog: string;
  name?: string;
  mode?: ImportMode;
  skipValidation?: boolean;
  batchSize?: number;
  actionsPerActivity?: number;
  catalogTimeoutMs?: number;
}

/** The workflow input of a sync: the catalog URL travels without its password (common/credentials.ts). */
export function syncInput(o: SyncOptions): SyncInput {
  const source = absoluteSource(o.source);
  const catalog = keepPasswordLocally(absoluteCatalog(o.catalog));
  const name = o.name ?? defaultTableName(source);
  return {
    source,
    catalog,
    name,
    importWorkflowId: importWorkflowId(catalog, name),
    mode: o.mode ?? 'full-history',
    skipValidation: o.skipValidation ?? false,
    batchSize: o.batchSize ?? DEFAULT_BATCH_SIZE,
    actionsPerActivity: o.actionsPerActivity ?? DEFAULT_ACTIONS_PER_ACTIVITY,
    ...(o.catalogTimeoutMs === undefined ? {} : { catalogTimeoutMs: o.catalogTimeoutMs }),
  };
}

/** A schedule id as given, or the id of the named table's schedule in `catalog`. */
export function resolveScheduleId(ref: string, catalog: string | undefined): string {
  if (ref.startsWith(SCHEDULE_PREFIX)) return ref;
  if (!catalog) {
    throw new DeltaSqlError(
      'InvalidArgument',
      `"${ref}" is not a schedule id (${SCHEDULE_PREFIX}…): give --catalog to find the table's schedule by name`,
    );
  }
  return syncScheduleId(absoluteCatalog(catalog), ref);
}

export function resolveFollowId(ref: string, catalog: string | undefined): string {
  if (ref.startsWith(FOLLOW_PREFIX)) return ref;
  if (!catalog) {
    throw new DeltaSqlError(
      'InvalidArgument',
      `"${ref}" is not a follow workflow id (${FOLLOW_PREFIX}…): give --catalog to find it by table name`,
    );
  }
  return followWorkflowId(absoluteCatalog(catalog), ref);
}

/** The table's sync schedule; the catalog URL enters it without its password (`sendableInput`). */
export async function createSyncSchedule(
  client: Client,
  env: DeltaSqlEnv,
  given: SyncInput,
  everyMs: number,
  opts: { paused?: boolean } = {},
): Promise<{ scheduleId: string }> {
  const input = sendableInput(given);
  const scheduleId = syncScheduleId(input.catalog, input.name);
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: everyMs }] },
      action: {
        type: 'startWorkflow',
        workflowType: syncOnceWorkflow,
        workflowId: scheduleId,
        taskQueue: env.DELTASQL_TASK_QUEUE,
        args: [input],
        typedSearchAttributes: [{ key: SA_TABLE, value: input.name }],
        staticSummary: `sync ${input.name}`,
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, pauseOnFailure: true },
      memo: { table: input.name, source: input.source, catalog: redactCatalog(input.catalog) },
      state: { paused: opts.paused ?? false, note: `deltasql sync of ${input.name}` },
    });
  } catch (e) {
    if (e instanceof ScheduleAlreadyRunning) {
      throw new DeltaSqlError(
        'InvalidArgument',
        `a sync schedule for "${input.name}" already exists (${scheduleId}); delete it first to change it`,
      );
    }
    throw e;
  }
  return { scheduleId };
}

export interface ScheduleRow {
  scheduleId: string;
  table: string | null;
  source: string | null;
  catalog: string | null;
  everySeconds: number | null;
  paused: boolean;
  note: string | null;
  nextActionAt: string | null;
  lastActionAt: string | null;
}

const memoString = (memo: Record<string, unknown> | undefined, key: string): string | null =>
  typeof memo?.[key] === 'string' ? memo[key] : null;

const everySeconds = (spec: { intervals?: { every: number }[] } | undefined): number | null =>
  spec?.intervals?.[0] ? spec.intervals[0].every / 1000 : null;

export async function listSyncSchedules(client: Client): Promise<ScheduleRow[]> {
  const rows: ScheduleRow[] = [];
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith(SCHEDULE_PREFIX)) continue;
    const last = s.info.recentActions[s.info.recentActions.length - 1];
    rows.push({
      scheduleId: s.scheduleId,
      table: memoString(s.memo, 'table'),
      source: memoString(s.memo, 'source'),
      catalog: memoString(s.memo, 'catalog'),
      everySeconds: everySeconds(s.spec),
      paused: s.state.paused,
      note: s.state.note ?? null,
      nextActionAt: s.info.nextActionTimes[0]?.toISOString() ?? null,
      lastActionAt: last?.takenAt.toISOString() ?? null,
    });
  }
  return rows.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}

export interface ScheduleDetails extends ScheduleRow {
  overlap: string;
  pauseOnFailure: boolean;
  actionsTaken: number;
  skippedOverlap: number;
  running: string[];
  recent: { takenAt: string; workflowId: string }[];
  uiLink: string;
}

export async function describeSyncSchedule(
  client: Client,
  env: DeltaSqlEnv,
  scheduleId: string,
): Promise<ScheduleDetails> {
  const d = await withSchedule(scheduleId, () => client.schedule.getHandle(scheduleId).describe());
  return scheduleDetails(env, d);
}

function scheduleDetails(env: DeltaSqlEnv, d: ScheduleDescription): ScheduleDetails {
  const recent = d.info.recentActions.slice(-RECENT_ACTIONS_SHOWN);
  return {
    scheduleId: d.scheduleId,
    table: memoString(d.memo, 'table'),
    source: memoString(d.memo, 'source'),
    catalog: memoString(d.memo, 'catalog'),
    everySeconds: everySeconds(d.spec),
    paused: d.state.paused,
    note: d.state.note ?? null,
    nextActionAt: d.info.nextActionTimes[0]?.toISOString() ?? null,
    lastActionAt: recent[recent.length - 1]?.takenAt.toISOString() ?? null,
    overlap: d.policies.overlap ?? ScheduleOverlapPolicy.SKIP,
    pauseOnFailure: d.policies.pauseOnFailure,
    actionsTaken: d.info.numActionsTaken,
    skippedOverlap: d.info.numActionsSkippedOverlap,
    running: d.info.runningActions.map((a) => a.workflow.workflowId),
    recent: recent.map((a) => ({
      takenAt: a.takenAt.toISOString(),
      workflowId: a.action.workflow.workflowId,
    })),
    uiLink: workflowUiLink(env, 'x').replace(
      /\/workflows\/x$/,
      `/schedules/${encodeURIComponent(d.scheduleId)}`,
    ),
  };
}

export type ScheduleOp = 'pause' | 'unpause' | 'trigger' | 'delete';

export async function scheduleOp(
  client: Client,
  scheduleId: string,
  op: ScheduleOp,
  note?: string,
): Promise<void> {
  const h = client.schedule.getHandle(scheduleId);
  await withSchedule(scheduleId, async () => {
    if (op === 'pause') await h.pause(note ?? 'paused by deltasql sync pause');
    else if (op === 'unpause') await h.unpause(note ?? 'unpaused by deltasql sync unpause');
    else if (op === 'trigger') await h.trigger(ScheduleOverlapPolicy.SKIP);
    else await h.delete();
  });
}

async function withSchedule<T>(scheduleId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ScheduleNotFoundError) {
      throw new DeltaSqlError('InvalidArgument', `no sync schedule ${scheduleId}`, { cause: e });
    }
    throw e;
  }
}

export interface StartedFollow {
  handle: WorkflowHandle<typeof followTableWorkflow>;
  workflowId: string;
  attached: boolean;
  uiLink: string;
}

/**
 * Start the table's follow workflow, or attach to the one already running; the catalog URL enters
 * it without its password (`sendableInput`).
 */
export async function startFollow(
  client: Client,
  env: DeltaSqlEnv,
  given: SyncInput,
  opts: Pick<FollowInput, 'pollIntervalMs' | 'longPollMs' | 'continueAsNewAfterPolls'>,
): Promise<StartedFollow> {
  const input = sendableInput(given);
  const workflowId = followWorkflowId(input.catalog, input.name);
  const uiLink = workflowUiLink(env, workflowId);
  const followInput: FollowInput = { ...input, ...opts };
  try {
    const handle = await client.workflow.start(followTableWorkflow, {
      workflowId,
      taskQueue: env.DELTASQL_TASK_QUEUE,
      args: [followInput],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      workflowTaskTimeout: FOLLOW_WORKFLOW_TASK_TIMEOUT,
      typedSearchAttributes: [{ key: SA_TABLE, value: input.name }],
      staticSummary: `follow ${input.name}`,
      staticDetails: `**source** \`${input.source}\`\n\n**poll interval** ${opts.pollIntervalMs} ms`,
    });
    return { handle, workflowId, attached: false, uiLink };
  } catch (e) {
    if (e instanceof WorkflowExecutionAlreadyStartedError) {
      return {
        handle: client.workflow.getHandle<typeof followTableWorkflow>(workflowId),
        workflowId,
        attached: true,
        uiLink,
      };
    }
    throw e;
  }
}

export function followHandle(client: Client, workflowId: string): WorkflowHandle<typeof followTableWorkflow> {
  return client.workflow.getHandle<typeof followTableWorkflow>(workflowId);
}

export async function followStatus(client: Client, workflowId: string): Promise<FollowStatus> {
  return withFollow(workflowId, () => followHandle(client, workflowId).query(followStatusQuery));
}

export async function stopFollow(client: Client, workflowId: string): Promise<void> {
  await withFollow(workflowId, () => followHandle(client, workflowId).signal(stopFollowSignal));
}

async function withFollow<T>(workflowId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) {
      throw new DeltaSqlError('InvalidArgument', `no follow workflow ${workflowId}`, { cause: e });
    }
    throw e;
  }
}
