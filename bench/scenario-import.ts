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
import { importRunner } from './import-runner';
import { median, round } from './measure';
import { dropSchema, exportRows, rowCounts, timeCopyLoad, truncateSchema, withSchema } from './pg-admin';
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

async function withWorker<T>(
  ctx: BenchContext,
  label: string,
  fn: (w: WorkerProcess) => Promise<T>,
  profile = false,
): Promise<{ value: T; peakRssMB: number | null }> {
  const w = await startWorker({
    root: ctx.root,
    taskQueue: `deltasql-bench-${label}-${process.pid}-${Date.now()}`,
    temporalAddress: ctx.temporalAddress,
    cpuProfileDir: profile && ctx.profileDir ? path.join(ctx.profileDir, label) : undefined,
  });
  try {
    const value = await fn(w);
    return { value, peakRssMB: w.peakRssMB() };
  } finally {
    await w.stop();
  }
}

async function importRuns(
  ctx: BenchContext,
  w: WorkerProcess,
  ds: Dataset,
  schema: string,
  mode: 'full-history' | 'checkpoint-only',
  runs: number,
): Promise<{
  seconds: number[];
  actions: number;
  versions: number;
  activities: Record<string, ActivityTiming>;
}> {
  const runner = await importRunner(ctx.temporalAddress, w.taskQueue, w.exited);
  const catalog = withSchema(ctx.dbUrl, schema);
  const seconds: number[] = [];
  let actions = 0;
  let versions = 0;
  let activities: Record<string, ActivityTiming> = {};
  try {
    for (let i = 0; i < runs; i++) {
      await truncateSchema(ctx.dbUrl, schema);
      const r = await runner.run({
        source: ds.dir,
        catalog,
        name: ds.name,
        mode,
        batchSize: ctx.cfg.batchSize,
        actionsPerActivity: ctx.cfg.actionsPerActivity,
        skipValidation: true,
      });
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
  } finally {
    await runner.close();
  }
  return { seconds, actions, versions, activities };
}

export interface FullHistoryResult {
  importSeconds: number[];
  fullImportSeconds: number;
  copySeconds: number[];
  copyMedianSeconds: number;
  importCopyRatio: number;
  actions: number;
  versions: number;
  rows: Record<string, number>;
  copyBytes: number;
  actionsPerSecond: number;
  workerPeakRssMB: number | null;
  schema: string;
  activities: Record<string, ActivityTiming>;
}

/** Item 1: full-history import vs `psql \copy` of the same rows into the same (indexed) tables. */
export async function fullHistoryScenario(ctx: BenchContext, ds: Dataset): Promise<FullHistoryResult> {
  const schema = 'bench_full_history';
  await dropSchema(ctx.dbUrl, schema);
  const { value: imp, peakRssMB } = await withWorker(
    ctx,
    'full',
    (w) => importRuns(ctx, w, ds, schema, 'full-history', ctx.cfg.fullHistory.runs),
    true,
  );
  const rows = await rowCounts(ctx.dbUrl, schema);
  const exp = await exportRows(ctx.dbUrl, schema, path.join(os.tmpdir(), 'deltasql-bench-copy'));
  const copySeconds: number[] = [];
  for (let i = 0; i < ctx.cfg.copyRuns; i++) {
    const s = await timeCopyLoad(ctx.dbUrl, schema, exp);
    copySeconds.push(round(s));
    ctx.log(`  psql \\copy of the same rows run ${i + 1}/${ctx.cfg.copyRuns}: ${s.toFixed(2)}s`);
  }
  fs.rmSync(exp.dir, { recursive: true, force: true }); // GBs of TSV at full size
  const after = await rowCounts(ctx.dbUrl, schema);
  for (const [t, n] of Object.entries(rows)) {
    if (after[t] !== n) throw new Error(`\\copy reloaded ${after[t]} rows into ${t}, the import wrote ${n}`);
  }
  const fullImportSeconds = median(imp.seconds);
  const copyMedianSeconds = median(copySeconds);
  return {
    importSeconds: imp.seconds,
    fullImportSeconds,
    copySeconds,
    copyMedianSeconds,
    importCopyRatio: round(fullImportSeconds / copyMedianSeconds, 2),
    actions: imp.actions,
    versions: imp.versions,
    rows,
    copyBytes: exp.bytes,
    actionsPerSecond: Math.round(imp.actions / fullImportSeconds),
    workerPeakRssMB: peakRssMB,
    schema,
    activities: imp.activities,
  };
}

export interface CheckpointOnlyResult {
  importSeconds: number[];
  checkpointImportSeconds: number | null;
  peakRssMBPerRun: (number | null)[];
  peakRssMB: number | null;
  checkpointVersion: number;
  actions: number;
  rowsPerSecond: number | null;
  activities: Record<string, ActivityTiming>;
  errors: string[];
}

/**
 * Item 2: checkpoint-only import; a fresh worker per run so VmHWM is that import's peak. A run
 * whose worker dies (e.g. V8 heap exhaustion) is recorded with its error and the peak it reached.
 */
export async function checkpointOnlyScenario(
  ctx: BenchContext,
  ds: Dataset,
  runs: number,
  schema: string,
): Promise<CheckpointOnlyResult> {
  await dropSchema(ctx.dbUrl, schema);
  const seconds: number[] = [];
  const rss: (number | null)[] = [];
  const errors: string[] = [];
  let actions = 0;
  let activities: Record<string, ActivityTiming> = {};
  for (let i = 0; i < runs; i++) {
    const w = await startWorker({
      root: ctx.root,
      taskQueue: `deltasql-bench-checkpoint-${i}-${process.pid}-${Date.now()}`,
      temporalAddress: ctx.temporalAddress,
      cpuProfileDir: ctx.profileDir && i === 0 ? path.join(ctx.profileDir, schema) : undefined,
    });
    try {
      const value = await importRuns(ctx, w, ds, schema, 'checkpoint-only', 1);
      seconds.push(value.seconds[0]);
      actions = value.actions;
      activities = value.activities;
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      errors.push(msg);
      ctx.log(`  checkpoint-only run ${i + 1} failed: ${msg}`);
    } finally {
      rss.push(w.peakRssMB());
      await w.stop();
    }
    ctx.log(`  worker peak RSS (VmHWM): ${rss[rss.length - 1]} MB`);
    if (errors.length > 0) break; // a crash repeats; do not spend the time twice
  }
  const checkpointImportSeconds = seconds.length > 0 ? median(seconds) : null;
  const known = rss.filter((x): x is number => x !== null);
  return {
    importSeconds: seconds,
    checkpointImportSeconds,
    peakRssMBPerRun: rss,
    peakRssMB: known.length > 0 ? Math.max(...known) : null,
    checkpointVersion: ds.latestVersion,
    actions,
    rowsPerSecond: checkpointImportSeconds ? Math.round(actions / checkpointImportSeconds) : null,
    activities,
    errors,
  };
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
    (w) => importRuns(ctx, w, ds, schema, 'full-history', ctx.cfg.hundredK.runs),
    true,
  );
  const s = median(value.seconds);
  return {
    importSeconds: value.seconds,
    hundredKVersionsSeconds: s,
    versions: value.versions,
    actions: value.actions,
    versionsPerSecond: Math.round(value.versions / s),
    workerPeakRssMB: peakRssMB,
    activities: value.activities,
  };
}
