/**
 * Import scenarios (issue 10, items 1, 2 and 4): full-history imports through Temporal against a
 * raw `psql \copy` of the very rows they wrote, the checkpoint-only import of a 1M-file
 * checkpoint with the worker's peak RSS, and the 100k-version import. Every import runs on a
 * separate worker process (bench/worker-process.ts) into a fresh schema of the bench database.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ActivityTiming } from './activity-timings';
import type { BenchConfig } from './config';
import type { Dataset } from './datasets';
import { importRunner, type ImportRunner } from './import-runner';
import { interleave, type InterleavedResult } from './interleave';
import { median, round } from './measure';
import {
  dropSchema,
  exportRows,
  rowCounts,
  timeCopyLoad,
  truncateSchema,
  withSchema,
  type CopyExport,
} from './pg-admin';
import { startWorker, type WorkerProcess } from './worker-process';

export interface BenchContext {
  root: string;
  cfg: BenchConfig;
  dbUrl: string;
  temporalAddress: string;
  log: (line: string) => void;
  /** Directory for worker CPU profiles, when profiling. */
  profileDir: string | null;
}

/** One import of a bench table with the harness's settings (validation skipped). */
export function benchImport(
  ctx: BenchContext,
  runner: ImportRunner,
  ds: Dataset,
  catalog: string,
  mode: 'full-history' | 'checkpoint-only',
): ReturnType<ImportRunner['run']> {
  return runner.run({
    source: ds.dir,
    catalog,
    name: ds.name,
    mode,
    batchSize: ctx.cfg.batchSize,
    actionsPerActivity: ctx.cfg.actionsPerActivity,
    skipValidation: true,
  });
}

export async function withWorker<T>(
  ctx: BenchContext,
  label: string,
  fn: (w: WorkerProcess) => Promise<T>,
  profile = false,
): Promise<{ value: T; peakRssMB: number | null }> {
  const w = await startWorker({
    root: ctx.root,
    taskQueue: `deltasql-bench-${label}-${process.pid}-${Date.now()}`,
    temporalAddress: ctx.temporalAddress,
    catalogs: [ctx.dbUrl],
    cpuProfileDir: profile && ctx.profileDir ? path.join(ctx.profileDir, label) : undefined,
  });
  try {
    const value = await fn(w);
    return { value, peakRssMB: w.peakRssMB() };
  } finally {
    await w.stop();
  }
}

/** `runs` imports into the emptied schema, each logged with its activity phases. */
async function importRuns(
  ctx: BenchContext,
  runner: ImportRunner,
  ds: Dataset,
  schema: string,
  mode: 'full-history' | 'checkpoint-only',
  runs: number,
): Promise<{
  seconds: number;
  allSeconds: number[];
  actions: number;
  versions: number;
  activities: Record<string, ActivityTiming>;
}> {
  const catalog = withSchema(ctx.dbUrl, schema);
  const seconds: number[] = [];
  let actions = 0;
  let versions = 0;
  let activities: Record<string, ActivityTiming> = {};
  for (let i = 0; i < runs; i++) {
    await truncateSchema(ctx.dbUrl, schema);
    const r = await benchImport(ctx, runner, ds, catalog, mode);
    seconds.push(round(r.seconds));
    actions = r.actions;
    versions = r.result.versionsImported;
    activities = r.activities;
    const phases = Object.entries(r.activities)
      .map(([k, t]) => `${k}×${t.count} ${t.runSeconds.toFixed(2)}s`)
      .join(', ');
    ctx.log(
      `  ${mode} import of ${ds.name} run ${i + 1}/${runs}: ${r.seconds.toFixed(2)}s (${versions} versions, ${actions} actions; ${phases})`,
    );
  }
  return { seconds: seconds[seconds.length - 1], allSeconds: seconds, actions, versions, activities };
}

export interface FullHistoryResult {
  importSeconds: number[];
  fullImportSeconds: number;
  copySeconds: number[];
  copyMedianSeconds: number;
  /** Median of the pairwise import/\copy ratios (interleaved runs). */
  importCopyRatio: number;
  interleaved: InterleavedResult;
  actions: number;
  versions: number;
  rows: Record<string, number>;
  copyBytes: number;
  actionsPerSecond: number;
  workerPeakRssMB: number | null;
  schema: string;
  activities: Record<string, ActivityTiming>;
}

/**
 * An import (A) against `psql \copy` of the rows that import wrote (B), interleaved A B A B. The
 * rows are exported once, after the warm-up import; every \copy must reload exactly as many rows
 * per table as the import wrote. `importOnce` runs one import into the (emptied) schema.
 */
async function importVsCopy(
  ctx: BenchContext,
  schema: string,
  pairs: number,
  importOnce: () => Promise<ImportRunOutcome>,
): Promise<{
  interleaved: InterleavedResult;
  last: ImportRunOutcome;
  rows: Record<string, number>;
  copyBytes: number;
}> {
  let exp: CopyExport | null = null;
  let rows: Record<string, number> = {};
  let last: ImportRunOutcome | null = null;
  try {
    const interleaved = await interleave({
      pairs,
      log: ctx.log,
      a: {
        name: 'import',
        run: async () => {
          await truncateSchema(ctx.dbUrl, schema);
          last = await importOnce();
          rows = await rowCounts(ctx.dbUrl, schema);
          return last.seconds;
        },
      },
      b: {
        name: '\\copy',
        run: async () => {
          exp ??= await exportRows(
            ctx.dbUrl,
            schema,
            path.join(os.tmpdir(), `deltasql-bench-copy-${schema}`),
          );
          const s = await timeCopyLoad(ctx.dbUrl, schema, exp);
          const after = await rowCounts(ctx.dbUrl, schema);
          for (const [t, n] of Object.entries(rows)) {
            if (after[t] !== n)
              throw new Error(`\\copy reloaded ${after[t]} rows into ${t}, the import wrote ${n}`);
          }
          return s;
        },
      },
    });
    if (last === null || exp === null) throw new Error('no import ran');
    return { interleaved, last, rows, copyBytes: (exp as CopyExport).bytes };
  } finally {
    if (exp !== null) fs.rmSync((exp as CopyExport).dir, { recursive: true, force: true }); // GBs of TSV at full size
  }
}

interface ImportRunOutcome {
  seconds: number;
  actions: number;
  versions: number;
  activities: Record<string, ActivityTiming>;
  peakRssMB: number | null;
}

/** Item 1: full-history import vs `psql \copy` of the same rows into the same (indexed) tables. */
export async function fullHistoryScenario(ctx: BenchContext, ds: Dataset): Promise<FullHistoryResult> {
  const schema = 'bench_full_history';
  await dropSchema(ctx.dbUrl, schema);
  const { value, peakRssMB } = await withWorker(
    ctx,
    'full',
    async (w) => {
      const runner = await importRunner(ctx.temporalAddress, w.taskQueue, w.exited);
      try {
        return await importVsCopy(ctx, schema, ctx.cfg.fullHistory.runs, async () => ({
          ...(await importRuns(ctx, runner, ds, schema, 'full-history', 1)),
          peakRssMB: null,
        }));
      } finally {
        await runner.close();
      }
    },
    true,
  );
  const il = value.interleaved;
  return {
    importSeconds: il.a.seconds,
    fullImportSeconds: il.a.median,
    copySeconds: il.b.seconds,
    copyMedianSeconds: il.b.median,
    importCopyRatio: round(il.ratioMedian, 2),
    interleaved: il,
    actions: value.last.actions,
    versions: value.last.versions,
    rows: value.rows,
    copyBytes: value.copyBytes,
    actionsPerSecond: Math.round(value.last.actions / il.a.median),
    workerPeakRssMB: peakRssMB,
    schema,
    activities: value.last.activities,
  };
}

export interface CheckpointOnlyResult {
  importSeconds: number[];
  checkpointImportSeconds: number | null;
  /** Median of the pairwise import/\copy ratios (interleaved runs). */
  checkpointCopyRatio: number | null;
  interleaved: InterleavedResult | null;
  peakRssMBPerRun: (number | null)[];
  peakRssMB: number | null;
  checkpointVersion: number;
  actions: number;
  rowsPerSecond: number | null;
  activities: Record<string, ActivityTiming>;
  errors: string[];
}

/**
 * Item 2: checkpoint-only import vs `\copy` of the same rows, interleaved; a fresh worker per
 * import so VmHWM is that import's peak. A run whose worker dies (e.g. V8 heap exhaustion) ends
 * the scenario with its error and the peak it reached.
 */
export async function checkpointOnlyScenario(
  ctx: BenchContext,
  ds: Dataset,
  pairs: number,
  schema: string,
): Promise<CheckpointOnlyResult> {
  await dropSchema(ctx.dbUrl, schema);
  const rss: (number | null)[] = [];
  let i = 0;
  const importOnce = async (): Promise<ImportRunOutcome> => {
    const w = await startWorker({
      root: ctx.root,
      taskQueue: `deltasql-bench-checkpoint-${i}-${process.pid}-${Date.now()}`,
      temporalAddress: ctx.temporalAddress,
      catalogs: [ctx.dbUrl],
      cpuProfileDir: ctx.profileDir && i === 0 ? path.join(ctx.profileDir, schema) : undefined,
    });
    i++;
    const runner = await importRunner(ctx.temporalAddress, w.taskQueue, w.exited);
    try {
      return { ...(await importRuns(ctx, runner, ds, schema, 'checkpoint-only', 1)), peakRssMB: null };
    } finally {
      await runner.close();
      rss.push(w.peakRssMB());
      await w.stop();
      ctx.log(`  worker peak RSS (VmHWM): ${rss[rss.length - 1]} MB`);
    }
  };
  const known = (): number[] => rss.filter((x): x is number => x !== null);
  try {
    const { interleaved: il, last } = await importVsCopy(ctx, schema, pairs, importOnce);
    return {
      importSeconds: il.a.seconds,
      checkpointImportSeconds: il.a.median,
      checkpointCopyRatio: round(il.ratioMedian, 2),
      interleaved: il,
      peakRssMBPerRun: rss,
      peakRssMB: Math.max(...known()),
      checkpointVersion: ds.latestVersion,
      actions: last.actions,
      rowsPerSecond: Math.round(last.actions / il.a.median),
      activities: last.activities,
      errors: [],
    };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    ctx.log(`  checkpoint-only scenario failed: ${msg}`);
    return {
      importSeconds: [],
      checkpointImportSeconds: null,
      checkpointCopyRatio: null,
      interleaved: null,
      peakRssMBPerRun: rss,
      peakRssMB: known().length > 0 ? Math.max(...known()) : null,
      checkpointVersion: ds.latestVersion,
      actions: 0,
      rowsPerSecond: null,
      activities: {},
      errors: [msg],
    };
  }
}

export interface HundredKResult {
  importSeconds: number[];
  hundredKVersionsSeconds: number;
  versions: number;
  actions: number;
  versionsPerSecond: number;
  workerPeakRssMB: number | null;
  activities: Record<string, ActivityTiming>;
}

/** Item 4: many small versions (per-version overhead dominates). */
export async function hundredKScenario(ctx: BenchContext, ds: Dataset): Promise<HundredKResult> {
  const schema = 'bench_hundred_k';
  await dropSchema(ctx.dbUrl, schema);
  const { value, peakRssMB } = await withWorker(
    ctx,
    'hundredk',
    async (w) => {
      const runner = await importRunner(ctx.temporalAddress, w.taskQueue, w.exited);
      try {
        return await importRuns(ctx, runner, ds, schema, 'full-history', ctx.cfg.hundredK.runs);
      } finally {
        await runner.close();
      }
    },
    true,
  );
  const s = median(value.allSeconds);
  return {
    importSeconds: value.allSeconds,
    hundredKVersionsSeconds: s,
    versions: value.versions,
    actions: value.actions,
    versionsPerSecond: Math.round(value.versions / s),
    workerPeakRssMB: peakRssMB,
    activities: value.activities,
  };
}
