/**
 * `npm run bench` (full) / `npm run bench -- --quick`: every benchmark of issue 10 in one run on
 * one machine, written to bench/results/latest.json (and <mode>.json). Run through
 * scripts/bench.sh, which starts the services, builds, and installs delta-rs first.
 *
 * Flags: --quick, --profile (CPU-profile the worker processes; slows them a little),
 * --only=full,checkpoint,snapshot,hundredk,sync,parse (subset, for iterating).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FULL, QUICK } from './config';
import { ensureDataset, type Dataset } from './datasets';
import { p95Seconds, runExternal, type ExternalResult } from './external';
import { machineInfo, round } from './measure';
import { summarizeProfiles, type ProfileSummary } from './profile-summary';
import { ensureDatabase, withDatabase } from './pg-admin';
import {
  checkpointOnlyScenario,
  fullHistoryScenario,
  hundredKScenario,
  type BenchContext,
  type CheckpointOnlyResult,
  type FullHistoryResult,
  type HundredKResult,
} from './scenario-import';
import { snapshotScenario, type SnapshotResult } from './scenario-snapshot';

const ROOT = path.resolve(__dirname, '..', '..');
const DEFAULT_ADMIN_URL = 'postgresql://deltasql:deltasql@127.0.0.1:5432/deltasql_test';
const BENCH_DATABASE = 'deltasql_bench';
const SCENARIOS = ['full', 'checkpoint', 'snapshot', 'hundredk', 'sync', 'parse'] as const;
type Scenario = (typeof SCENARIOS)[number];

const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

function parseArgs(argv: string[]): { quick: boolean; profile: boolean; only: Set<Scenario> } {
  let quick = false;
  let profile = false;
  let only = new Set<Scenario>(SCENARIOS);
  for (const a of argv) {
    if (a === '--quick') quick = true;
    else if (a === '--profile') profile = true;
    else if (a.startsWith('--only=')) {
      const names = a.slice('--only='.length).split(',');
      const bad = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
      if (bad.length > 0)
        throw new Error(`unknown scenario(s) ${bad.join(', ')}; known: ${SCENARIOS.join(', ')}`);
      only = new Set(names as Scenario[]);
    } else throw new Error(`unknown argument ${a} (use --quick, --profile, --only=...)`);
  }
  if (only.has('snapshot')) only.add('full'); // the snapshot runs on the full-history catalog
  return { quick, profile, only };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const cfg = args.quick ? QUICK : FULL;
  const started = new Date();
  const adminUrl = process.env.DELTASQL_BENCH_PG_URL ?? DEFAULT_ADMIN_URL;
  const temporalAddress = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const python = process.env.DELTASQL_BENCH_PYTHON ?? path.join(ROOT, '.venv', 'bin', 'python');
  const deltaRsScript = path.join(ROOT, 'bench', 'deltars.py');
  const dataRoot = path.join(ROOT, '.deltasql', 'bench-data');
  const profileDir = args.profile
    ? path.join(ROOT, '.deltasql', 'bench-profiles', started.toISOString().replace(/[:.]/g, '-'))
    : null;
  const pgVersion = await ensureDatabase(adminUrl, BENCH_DATABASE);
  const dbUrl = withDatabase(adminUrl, BENCH_DATABASE);
  const ctx: BenchContext = { root: ROOT, cfg, dbUrl, temporalAddress, log, profileDir };
  const tools = { python, deltaRsScript };
  const notRun = (why: string): ExternalResult => ({ ran: false, reason: why });
  const datasets: Record<string, Dataset> = {};

  let full: FullHistoryResult | null = null;
  let checkpoint: CheckpointOnlyResult | null = null;
  let checkpointSingle: CheckpointOnlyResult | null = null;
  let snapshot: SnapshotResult | null = null;
  let hundredK: HundredKResult | null = null;
  let sync: ExternalResult = notRun('not selected (--only)');
  let parse: ExternalResult = notRun('not selected (--only)');

  if (args.only.has('full')) {
    const ds = (datasets.fullHistory = await ensureDataset(
      dataRoot,
      `full-${cfg.mode}`,
      cfg.fullHistory,
      tools,
      log,
    ));
    log(`1. full-history import: ${ds.latestVersion + 1} versions, ${ds.actions} actions`);
    full = await fullHistoryScenario(ctx, ds);
    log(
      `   import median ${full.fullImportSeconds}s vs \\copy ${full.copyMedianSeconds}s: ratio ${full.importCopyRatio}`,
    );
    if (args.only.has('snapshot')) {
      log('3. snapshot latency');
      snapshot = await snapshotScenario({
        dbUrl,
        schema: full.schema,
        ds,
        python,
        script: deltaRsScript,
        iterations: cfg.snapshotIterations,
        log,
      });
    }
  }
  if (args.only.has('checkpoint')) {
    const rg = (datasets.checkpointOnlyRowGroups = await ensureDataset(
      dataRoot,
      `checkpoint-rg-${cfg.mode}`,
      cfg.checkpointOnlyRowGroups,
      tools,
      log,
    ));
    log(
      `2. checkpoint-only import: checkpoint ${rg.latestVersion} with ${rg.numFiles} files, ${cfg.checkpointOnlyRowGroups.checkpointRowGroupRows}-row row groups`,
    );
    checkpoint = await checkpointOnlyScenario(
      ctx,
      rg,
      cfg.checkpointOnlyRowGroups.runs,
      'bench_checkpoint_rg',
    );
    log(`   median ${checkpoint.checkpointImportSeconds}s, peak RSS ${checkpoint.peakRssMB} MB`);
    const one = (datasets.checkpointOnly = await ensureDataset(
      dataRoot,
      `checkpoint-${cfg.mode}`,
      cfg.checkpointOnly,
      tools,
      log,
    ));
    log(`2b. checkpoint-only import: the same checkpoint as delta-rs writes it (one row group)`);
    checkpointSingle = await checkpointOnlyScenario(
      ctx,
      one,
      cfg.checkpointOnly.runs,
      'bench_checkpoint_one_rg',
    );
    log(`   median ${checkpointSingle.checkpointImportSeconds}s, peak RSS ${checkpointSingle.peakRssMB} MB`);
  }
  if (args.only.has('hundredk')) {
    const ds = (datasets.hundredK = await ensureDataset(
      dataRoot,
      `versions-${cfg.mode}`,
      cfg.hundredK,
      tools,
      log,
    ));
    log(`4. ${ds.latestVersion + 1}-version import`);
    hundredK = await hundredKScenario(ctx, ds);
    log(`   ${hundredK.hundredKVersionsSeconds}s`);
  }
  if (args.only.has('sync')) {
    log('5. follow-mode sync lag (dist/bench/sync-lag.js)');
    sync = await runExternal(path.join(ROOT, 'dist', 'bench', 'sync-lag.js'), args.quick ? ['--quick'] : [], {
      TEMPORAL_ADDRESS: temporalAddress,
      DELTASQL_BENCH_PG_URL: dbUrl,
      DELTASQL_BENCH_QUICK: args.quick ? '1' : '',
    });
    log(`   ${JSON.stringify(sync)}`);
  }
  if (args.only.has('parse')) {
    log('6. commit-parse throughput (dist/bench/parse-throughput.js)');
    parse = await runExternal(
      path.join(ROOT, 'dist', 'bench', 'parse-throughput.js'),
      [String(cfg.parseAdds)],
      {},
    );
    log(`   ${JSON.stringify(parse)}`);
  }

  const profiles: ProfileSummary[] = profileDir ? summarizeProfiles(profileDir) : [];
  const isFullSize = !args.quick;
  const result = {
    mode: cfg.mode,
    date: started.toISOString(),
    wallSeconds: round((Date.now() - started.getTime()) / 1000, 1),
    scenariosRun: [...args.only],
    machine: machineInfo(python, pgVersion),
    goals: {
      importCopyRatio: '<= 1.5',
      checkpointImportSeconds: '<= 20 (1M files)',
      peakRssMB: '<= 512',
      sqlVsDeltaRsSpeedup: '>= 5',
      hundredKVersionsSeconds: '<= 300',
    },
    importCopyRatio: full?.importCopyRatio ?? null,
    fullImportSeconds: full?.fullImportSeconds ?? null,
    checkpointImportSeconds: checkpoint?.checkpointImportSeconds ?? null,
    peakRssMB: checkpoint?.peakRssMB ?? null,
    sqlVsDeltaRsSpeedup: snapshot?.sqlVsDeltaRsSpeedup ?? null,
    hundredKVersionsSeconds: hundredK?.hundredKVersionsSeconds ?? null,
    syncLagP95Seconds: sync.ran ? p95Seconds(sync.output) : null,
    syncLagNote: sync.ran ? null : sync.reason,
    note: isFullSize ? null : 'quick mode: small sizes, one run each; not comparable with the goals',
    settings: { batchSize: cfg.batchSize, actionsPerActivity: cfg.actionsPerActivity, skipValidation: true },
    checkpointNote:
      checkpoint === null
        ? null
        : 'checkpointImportSeconds/peakRssMB: checkpoint with bounded row groups (Spark-like); raw.checkpointOnlySingleRowGroup: the same checkpoint as delta-rs writes it (one row group)',
    raw: {
      fullHistory: full,
      checkpointOnly: checkpoint,
      checkpointOnlySingleRowGroup: checkpointSingle,
      snapshot,
      hundredK,
      syncLag: sync,
      parseThroughput: parse,
    },
    datasets,
    profiles,
  };
  const dir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const text = JSON.stringify(result, null, 2) + '\n';
  fs.writeFileSync(path.join(dir, 'latest.json'), text);
  fs.writeFileSync(path.join(dir, `${cfg.mode}.json`), text);
  log(`wrote bench/results/latest.json (${result.wallSeconds}s)`);
  process.stdout.write(
    JSON.stringify({
      mode: result.mode,
      importCopyRatio: result.importCopyRatio,
      fullImportSeconds: result.fullImportSeconds,
      checkpointImportSeconds: result.checkpointImportSeconds,
      peakRssMB: result.peakRssMB,
      sqlVsDeltaRsSpeedup: result.sqlVsDeltaRsSpeedup,
      hundredKVersionsSeconds: result.hundredKVersionsSeconds,
      syncLagP95Seconds: result.syncLagP95Seconds,
    }) + '\n',
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`[bench] failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
