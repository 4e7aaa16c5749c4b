/**
 * The import's units of work. Each is thin: it opens the table and the catalog through injected
 * deps, does one thing, heartbeats on long loops, and returns counts only. Every write goes
 * through CatalogStore.writeVersions/writeBaseline, which are idempotent per version, so a retry
 * (or a worker killed mid-range) can always start the range again safely.
 */
import { Context } from '@temporalio/activity';
import { DeltaSqlError } from '../common/errors';
import { addCounts, emptyCounts, type ActionCounts } from '../delta/action-counts';
import type { Commit, LogAction } from '../delta/actions';
import { recordListedCheckpoints } from '../catalog/source-checkpoints';
import { SqlCatalogStore } from '../catalog/sql-catalog';
import type { CatalogStore, PreparedVersions, RunStatus } from '../catalog/store';
import { isStreamed, type StreamedCommit } from '../delta/commit-stream';
import { mergePathMismatches, noPathMismatches } from '../delta/path-mismatches';
import { STREAM_COMMIT_BYTES, type CheckpointRef, type DeltaTable } from '../delta/table';
import { checkedCheckpoint } from '../delta/table-features';
import type { ImportInput, ImportPlan, RangeResult, ValidationResult } from '../workflows/types';
import type { ActivityDeps } from './deps';
import { guarded } from './failures';
import { keepingAlive } from './keep-alive';
import { planStart, resolveTarget } from './plan';
import { validateAgainstLog } from './validate';

/** Heartbeat at most this often from inside streaming loops (the SDK throttles too). */
const HEARTBEAT_EVERY_ROWS = 10_000;
/**
 * A batch (one catalog transaction) also ends once its actions' raw JSON reaches this size, so a
 * table with very wide actions (large stats) cannot turn `batchSize` actions into gigabytes.
 */
export const BATCH_MAX_RAW_CHARS = 96 * 1024 * 1024;

export interface RangeArgs {
  source: string;
  catalog: string;
  tableId: string;
  from: number;
  to: number;
  batchSize: number;
}

export interface CheckpointArgs {
  source: string;
  catalog: string;
  tableId: string;
  version: number;
  batchSize: number;
}

/** While a statement that cannot report progress runs (VACUUM), heartbeat at this interval. */
const OPTIMIZE_HEARTBEAT_MS = 10_000;

export interface FinishArgs {
  catalog: string;
  runId: string;
  status: RunStatus;
  toVersion: number | null;
  versionsImported: number;
  counts: ActionCounts;
  validation: string | null;
  error: string | null;
  /** The import's notes (plan remarks, path mismatches), stored one per line. */
  notes?: string[];
}

/** A checkpoint and the short tail of commits after it, loaded by one activity. */
export interface CheckpointTailArgs extends CheckpointArgs {
  /** The tail's last version (the import's target), after `version`. */
  to: number;
}

export function createImportActivities(deps: ActivityDeps) {
  const acts = createSteps(deps);
  return {
    ...acts,
    /**
     * `loadCheckpoint`, then `importRange` of versions version+1..to, in one activity: for a
     * checkpoint-only import with a short tail the Temporal round trip of a second activity cost
     * about as much as the tail itself (issue 21). Both steps are idempotent, so a retry resumes.
     */
    async loadCheckpointAndTail(
      args: CheckpointTailArgs,
    ): Promise<{ checkpoint: RangeResult; tail: RangeResult | null }> {
      const checkpoint = await acts.loadCheckpoint(args);
      if (args.to <= args.version) return { checkpoint, tail: null };
      const { version, to, ...rest } = args;
      const tail = await acts.importRange({ ...rest, from: version + 1, to });
      return { checkpoint, tail };
    },
  };
}

function createSteps(deps: ActivityDeps) {
  return {
    async planImport(input: ImportInput, workflowId: string, temporalRunId: string): Promise<ImportPlan> {
      return guarded(async () => {
        const [store, table] = await Promise.all([deps.catalog(input.catalog), deps.table(input.source)]);
        let existing = await store.findTable(input.tableId ?? input.name);
        if (existing && input.force) {
          await store.dropTable(existing.tableId);
          existing = null;
        }
        if (existing && existing.location !== input.source) {
          throw new DeltaSqlError(
            'InvalidArgument',
            `catalog table "${existing.name}" was imported from ${existing.location}, not ${input.source}; use --force to replace it or --name to import under another name`,
          );
        }
        const row =
          existing ??
          (await store.ensureTable({ location: input.source, name: input.name, tableId: input.tableId }));
        const target = await resolveTarget(table, input.upToVersion);
        const start = await planStart(table, row, input.mode, target);
        await store.startRun({
          runId: input.runId,
          tableId: row.tableId,
          workflowId,
          temporalRunId,
          mode: input.mode,
          startedAt: Date.now(),
          fromVersion: start.startVersion,
          toVersion: target,
          versionsImported: 0,
          counts: {},
          validation: null,
          error: null,
        });
        return { tableId: row.tableId, ...start };
      });
    },

    async loadCheckpoint(args: CheckpointArgs): Promise<RangeResult> {
      return guardedAlive(async () => {
        const [store, table] = await Promise.all([deps.catalog(args.catalog), deps.table(args.source)]);
        const existing = await store.findTable(args.tableId);
        if (
          existing?.lastVersion !== null &&
          existing?.lastVersion !== undefined &&
          existing.lastVersion >= args.version
        ) {
          await recordCheckpoints(store, table, args.tableId, args.version, args.version);
          return {
            firstVersion: args.version,
            lastVersion: args.version,
            versionsWritten: 0,
            versionsSkipped: 1,
            counts: emptyCounts(),
          };
        }
        const newest = await table.newestCheckpoint(args.version);
        const ref = newest?.version === args.version ? newest : null;
        if (!ref) {
          throw new DeltaSqlError(
            'VersionNotFound',
            `checkpoint ${args.version} is no longer complete in ${table.root}/_delta_log`,
            {
              file: `${table.root}/_delta_log`,
            },
          );
        }
        const timestamp = await checkpointVersionTimestamp(table, ref);
        const file =
          ref.files[0]?.path ?? `_delta_log/${String(args.version).padStart(20, '0')}.checkpoint.parquet`;
        const r = await store.writeBaseline(
          args.tableId,
          { version: args.version, timestamp, file, raw: await table.wholeCommitRaw(args.version) },
          heartbeating(checkedCheckpoint(table.checkpointActions(ref), args.version, file), args.version),
        );
        await recordCheckpoints(store, table, args.tableId, args.version, args.version);
        return { firstVersion: args.version, lastVersion: args.version, ...r };
      });
    },

    async importRange(args: RangeArgs): Promise<RangeResult> {
      return guardedAlive(async () => {
        const ctx = Context.current();
        const [store, table] = await Promise.all([deps.catalog(args.catalog), deps.table(args.source)]);
        const done = (await store.findTable(args.tableId))?.lastVersion ?? -1;
        const result: RangeResult = {
          firstVersion: args.from,
          lastVersion: Math.min(done, args.to),
          versionsWritten: 0,
          versionsSkipped: 0,
          counts: emptyCounts(),
        };
        const start = Math.max(args.from, done + 1);
        if (start > args.to) {
          // A retry after an attempt that wrote the whole range but died before recording.
          await recordCheckpoints(store, table, args.tableId, args.from, args.to);
          result.versionsSkipped = args.to - args.from + 1;
          result.lastVersion = args.to;
          return result;
        }
        result.versionsSkipped = start - args.from;
        // Pipelined: while one batch is being written (PostgreSQL busy), the next one is read,
        // parsed and turned into rows (Node busy). At most one write is in flight, so versions
        // still land in order.
        let inflight: Promise<void> | null = null;
        const write = async (batch: PreparedVersions): Promise<void> => {
          const w = await store.writeVersions(args.tableId, batch);
          result.versionsWritten += w.versionsWritten;
          result.versionsSkipped += w.versionsSkipped;
          addCounts(result.counts, w.counts);
          if (w.pathMismatches?.count)
            mergePathMismatches((result.pathMismatches ??= noPathMismatches()), w.pathMismatches);
          result.lastVersion = batch.commits[batch.commits.length - 1].version;
          ctx.heartbeat({ lastVersion: result.lastVersion });
        };
        const submit = async (batch: Commit[]): Promise<void> => {
          const prepared = batch.length === 0 ? null : store.prepareVersions(args.tableId, batch);
          if (inflight) await inflight;
          if (!prepared) return;
          inflight = write(prepared);
          // Surfaced by the next submit (or the final await); never an unhandled rejection meanwhile.
          inflight.catch(() => undefined);
        };
        let batch: Commit[] = [];
        let batchActions = 0;
        let batchChars = 0;
        // A version that cannot be read (corrupt, missing) ends the range, but every version before
        // it is whole: it is written before the error is rethrown, so a partial import is kept and
        // the next import resumes at the bad version (seed 001: "partial import is valid").
        let readFailure: { error: unknown } | null = null;
        async function* readable(): AsyncGenerator<Commit | StreamedCommit> {
          try {
            yield* table.commits(start, args.to, { streamAbove: STREAM_COMMIT_BYTES });
          } catch (e) {
            readFailure = { error: e };
          }
        }
        try {
          for await (const commit of readable()) {
            if (ctx.cancellationSignal.aborted) break;
            if (isStreamed(commit)) {
              // Too large to hold: the batch so far lands first, then this version alone, streamed
              // in bounded chunks inside its own transaction.
              await submit(batch);
              batch = [];
              batchActions = 0;
              batchChars = 0;
              if (inflight) await inflight;
              inflight = null;
              const w = await store.writeVersionStream(args.tableId, heartbeatingStream(commit));
              result.versionsWritten += w.versionsWritten;
              result.versionsSkipped += w.versionsSkipped;
              addCounts(result.counts, w.counts);
              result.lastVersion = commit.version;
              ctx.heartbeat({ lastVersion: result.lastVersion });
              continue;
            }
            batch.push(commit);
            batchActions += commit.actions.length;
            for (const a of commit.actions) batchChars += a.raw.length;
            if (batchActions >= args.batchSize || batchChars >= BATCH_MAX_RAW_CHARS) {
              await submit(batch);
              batch = [];
              batchActions = 0;
              batchChars = 0;
            }
          }
          await submit(batch);
        } finally {
          // Never leave a write running behind a failed read.
          if (inflight) await (inflight as Promise<void>).catch(() => undefined);
        }
        await inflight;
        if (result.lastVersion >= start) {
          await recordCheckpoints(store, table, args.tableId, args.from, result.lastVersion);
        }
        if (readFailure) throw (readFailure as { error: unknown }).error;
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason ?? new Error('cancelled');
        return result;
      });
    },

    /** `CatalogStore.optimize` after a large import; heartbeats while the statement runs. */
    async optimizeCatalog(args: { catalog: string }): Promise<void> {
      return guarded(async () => {
        const ctx = Context.current();
        const store = await deps.catalog(args.catalog);
        const timer = setInterval(() => ctx.heartbeat(), OPTIMIZE_HEARTBEAT_MS);
        try {
          await store.optimize();
        } finally {
          clearInterval(timer);
        }
      });
    },

    async validateImport(args: {
      source: string;
      catalog: string;
      tableId: string;
      version: number;
    }): Promise<ValidationResult> {
      return guardedAlive(async () => {
        const [store, table] = await Promise.all([deps.catalog(args.catalog), deps.table(args.source)]);
        return validateAgainstLog(store, table, args.tableId, args.version, () =>
          Context.current().heartbeat(),
        );
      });
    },

    async finishRun(args: FinishArgs): Promise<void> {
      return guarded(async () => {
        const store = await deps.catalog(args.catalog);
        await store.finishRun(args.runId, {
          status: args.status,
          finishedAt: Date.now(),
          toVersion: args.toVersion,
          versionsImported: args.versionsImported,
          counts: args.counts,
          validation: args.validation,
          error: args.error,
          ...(args.notes?.length ? { notes: args.notes.join('\n') } : {}),
        });
      });
    },
  };
}

/** Record which of the imported versions the source had checkpoints at, so export can rebuild them (migration 6). */
async function recordCheckpoints(
  store: CatalogStore,
  table: DeltaTable,
  tableId: string,
  from: number,
  to: number,
): Promise<void> {
  if (store instanceof SqlCatalogStore)
    await recordListedCheckpoints(store.driver, table.store, tableId, from, to);
}

/** `guarded`, heartbeating on a timer meanwhile (activities/keep-alive.ts says why): ranges, checkpoints, validation. */
const guardedAlive = <T>(fn: () => Promise<T>): Promise<T> => guarded(() => keepingAlive(fn));

/** The checkpoint version's timestamp, as the log reader computes it: its commit when still present, else the checkpoint file's mtime. */
async function checkpointVersionTimestamp(table: DeltaTable, ref: CheckpointRef): Promise<number> {
  try {
    for await (const c of table.commits(ref.version, ref.version, { streamAbove: STREAM_COMMIT_BYTES })) {
      if (!isStreamed(c)) return c.timestamp;
      // Too large to hold: read through (its ICT settings may be in any line), bounded memory.
      for await (const _ of c.actions) void _;
      return c.finish().timestamp;
    }
  } catch (e) {
    if (!(e instanceof DeltaSqlError && (e.type === 'LogGap' || e.type === 'VersionNotFound'))) throw e;
  }
  return ref.files[0].lastModified;
}

/** A streamed version's actions with progress heartbeats, ended by a cancellation the heartbeats deliver. */
function heartbeatingStream(commit: StreamedCommit): StreamedCommit {
  const ctx = Context.current();
  const actions = commit.actions;
  async function* beating(): AsyncGenerator<LogAction> {
    let n = 0;
    for await (const a of actions) {
      if (++n % HEARTBEAT_EVERY_ROWS === 0) {
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason ?? new Error('cancelled');
        ctx.heartbeat({ version: commit.version, rows: n });
      }
      yield a;
    }
  }
  return { ...commit, actions: { [Symbol.asyncIterator]: beating } };
}

async function* heartbeating(actions: AsyncIterable<LogAction>, version: number): AsyncIterable<LogAction> {
  const ctx = Context.current();
  let n = 0;
  for await (const a of actions) {
    if (++n % HEARTBEAT_EVERY_ROWS === 0) ctx.heartbeat({ checkpoint: version, rows: n });
    yield a;
  }
}
