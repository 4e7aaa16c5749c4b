/**
 * `npm run bench` (full) / `npm run bench -- --quick`: every benchmark of issue 10 in one run on
 * one machine, written to bench/results/latest.json (and <mode>.json). Run through
 * scripts/bench.sh, which starts the services, builds, and installs delta-rs first.
 *
 * Flags: --quick, --profile (CPU-profile the worker processes; slows them a little),
 * --only=full,checkpoint,snapshot,hundredk,sync,parse,d2d,sqliteraw,scaleout,formats,export,largecommit (subset, for iterating).
 * Every import-vs-baseline figure is interleaved A B A B (bench/interleave.ts).
 * The snapshot figures (SQL files()/snapshot vs delta-rs) are measured on two tables, the
 * full-history one (~20k files) and the sharing bench's 1M-file one: `sqlFilesSpeedupLatest`,
 * `sqlFilesSpeedupHistorical` and `sqlSnapshotSpeedup` are the minimum over both sizes (and, for
 * the snapshot, both versions); each cell is also kept under its own key (`…20k`, `…1M`).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FULL, QUICK } from './config';
import { ensureDataset, type Dataset } from './datasets';
import { p95Seconds, runExternal, type ExternalResult } from './external';
import { describeRatio } from './interleave';
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
import { scaleOutScenario, type ScaleOutResult } from './scenario-scaleout';
import { snapshotScenario, type SnapshotResult } from './scenario-snapshot';
import { d2dScenario, sqliteRawScenario, type D2dResult, type SqliteRawResult } from './scenario-peers';
import { FORMATS_FULL, FORMATS_QUICK, formatsScenario, type FormatsResult } from './scenario-formats';
import { exportScenario, type ExportScenarioResult } from './scenario-export';
import { sharingKeys, sharingScenario, type SharingResult } from './scenario-sharing';
import { migrateScenario, type MigrateBenchResult } from './scenario-migrate';
import { commitsScenario, type CommitsBenchResult } from './scenario-commits';
import { largeCommitScenario, type LargeCommitResult } from './scenario-largecommit';

const ROOT = path.resolve(__dirname, '..', '..');
const DEFAULT_ADMIN_URL = 'postgresql://deltasql:deltasql@127.0.0.1:5432/deltasql_test';
const BENCH_DATABASE = 'deltasql_bench';
const SCENARIOS = [
  'full',
  'checkpoint',
  'snapshot',
  'hundredk',
  'sync',
  'parse',
  'd2d',
  'sqliteraw',
  'scaleout',
  'formats',
  'export',
  'sharing',
  'migrate',
  'commits',
  'largecommit',
] as const;
type Scenario = (typeof SCENARIOS)[number];

/** The issue-21 goals, each a ratio measured side by side (interleaved) in one run. */
const GOALS = {
  importCopyRatio: '<= 1.2',
  sqliteRawRatio: '<= 1.3',
  d2dSpeedupSqlite: '>= 1.5',
  d2dSpeedupPostgres: '> 1',
  checkpointCopyRatio: '<= 1.3 (1M files)',
  peakRssMB: '<= 384',
  sqlFilesSpeedupLatest: '>= 10',
  sqlFilesSpeedupHistorical: '>= 10',
  sqlSnapshotSpeedup: '>= 3',
  commitReaderRatio: '>= 0.9',
  hundredKVersionsSeconds: '<= 300',
} as const;
/** The keys a script checks in bench/results/latest.json (issue 21), in the order reported. */
export const HEADLINE_KEYS = [...Object.keys(GOALS), 'syncLagP95Seconds'] as (
  keyof typeof GOALS | 'syncLagP95Seconds'
)[];

const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

function parseArgs(argv: string[]): {
  quick: boolean;
  profile: boolean;
  merge: boolean;
  only: Set<Scenario>;
} {
  let quick = false;
  let merge = false;
  let profile = false;
  let only = new Set<Scenario>(SCENARIOS);
  for (const a of argv) {
    if (a === '--quick') quick = true;
    else if (a === '--profile') profile = true;
    else if (a === '--merge') merge = true;
    else if (a.startsWith('--only=')) {
      const names = a.slice('--only='.length).split(',');
      const bad = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
      if (bad.length > 0)
        throw new Error(`unknown scenario(s) ${bad.join(', ')}; known: ${SCENARIOS.join(', ')}`);
      only = new Set(names as Scenario[]);
    } else throw new Error(`unknown argument ${a} (use --quick, --profile, --merge, --only=...)`);
  }
  if (only.has('snapshot')) only.add('full'); // the snapshot runs on the full-history catalog
  return { quick, profile, merge, only };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const cfg = args.quick ? QUICK : FULL;
  const started = new Date();
  const loadAtStart = os.loadavg()[0];
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
  let d2d: D2dResult | null = null;
  let sqliteRaw: SqliteRawResult | null = null;
  let formats: FormatsResult | null = null;
  let scaleOut: ScaleOutResult | null = null;
  let exportBench: ExportScenarioResult | null = null;
  let sharing: SharingResult | null = null;
  let migrate: MigrateBenchResult | null = null;
  let commits: CommitsBenchResult | null = null;
  let largeCommit: LargeCommitResult | null = null;

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
        quick: args.quick,
        dataRoot,
        pairs: cfg.snapshotIterations,
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
  }
  // The one-row-group variant (delta-rs's layout) only at full size: in quick mode it would double
  // the scenario's time for a figure no goal names.
  if (args.only.has('checkpoint') && !args.quick) {
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

  if (args.only.has('d2d') || args.only.has('sqliteraw')) {
    const ds = (datasets.fullHistory ??= await ensureDataset(
      dataRoot,
      `full-${cfg.mode}`,
      cfg.fullHistory,
      tools,
      log,
    ));
    if (args.only.has('d2d')) {
      log(`7. latest-state import vs delta2ducklake copy_table (${ds.name}, SQLite and PostgreSQL)`);
      d2d = await d2dScenario(ctx, ds, {
        python,
        d2dScript: path.join(ROOT, 'bench', 'd2d.py'),
        pairs: cfg.peerPairs,
        adminUrl,
        // DELTASQL_BENCH_D2D_POSTGRES=0 runs the SQLite pair only (delta2ducklake on PostgreSQL takes minutes).
        postgres: process.env.DELTASQL_BENCH_D2D_POSTGRES !== '0',
      });
      log(`   speedup SQLite ${describeRatio(d2d.sqlite, 'speedup')}`);
      if (d2d.postgres) log(`   speedup PostgreSQL ${describeRatio(d2d.postgres, 'speedup')}`);
    }
    if (args.only.has('sqliteraw')) {
      log(`8. full-history import into SQLite vs raw better-sqlite3 insert of the same rows`);
      sqliteRaw = await sqliteRawScenario(ctx, ds, cfg.peerPairs);
      log(`   ratio ${describeRatio(sqliteRaw)}`);
    }
  }

  if (args.only.has('scaleout')) {
    log(`9. scale-out: discover --import of ${cfg.scaleOutTables} tables with 1, then 3 workers`);
    scaleOut = await scaleOutScenario(ctx, dataRoot, cfg.scaleOutTables);
  }

  if (args.only.has('formats')) {
    log('10. formats: parquet -> Delta vs delta-rs, Delta -> Iceberg vs pyiceberg add_files');
    formats = await formatsScenario(
      { root: ROOT, python, dataRoot, temporalAddress, log },
      args.quick ? FORMATS_QUICK : FORMATS_FULL,
    );
  }

  if (args.only.has('export')) {
    log(
      `11. export (issue 15): the ${cfg.fullHistory.versions}-version table vs cp -r, one checkpoint vs delta-rs`,
    );
    exportBench = await exportScenario({
      mode: cfg.mode,
      dbUrl,
      dataRoot,
      tools,
      history: cfg.fullHistory,
      pairs: cfg.peerPairs,
      log,
    });
    log(`   export/cp -r ${describeRatio(exportBench.exportVsCopy)}`);
    log(`   checkpoint/delta-rs ${describeRatio(exportBench.checkpointVsDeltaRs)}`);
  }

  if (args.only.has('sharing')) {
    log('12. Delta Sharing (issue 17): query latency vs delta-rs file listing, 8 concurrent clients');
    sharing = await sharingScenario({ quick: args.quick, dbUrl, dataRoot, python, deltaRsScript, log });
  }

  if (args.only.has('migrate')) {
    log('13. catalog migrate (issue 18): SQLite -> PostgreSQL and PostgreSQL -> DuckDB vs raw dump and load');
    migrate = await migrateScenario({ quick: args.quick, dbUrl, dataRoot, log });
    log(`   sqlite->postgres migrate/\\copy ${describeRatio(migrate.sqliteToPostgres)}`);
    log(`   postgres->duckdb migrate/COPY ${describeRatio(migrate.postgresToDuckdb)}`);
  }

  if (args.only.has('commits')) {
    log('SQL commits vs delta-rs, 1 and 8 writers; publish lag (issue 16)');
    commits = await commitsScenario({ root: ROOT, dbUrl, python, temporalAddress, quick: args.quick, log });
  }

  if (args.only.has('largecommit')) {
    log('a >600 MB commit imported with bounded worker memory (issue 14), PostgreSQL and SQLite');
    largeCommit = await largeCommitScenario({ root: ROOT, dbUrl, temporalAddress, log });
  }

  const profiles: ProfileSummary[] = profileDir ? summarizeProfiles(profileDir) : [];
  const isFullSize = !args.quick;
  const result = {
    mode: cfg.mode,
    date: started.toISOString(),
    wallSeconds: round((Date.now() - started.getTime()) / 1000, 1),
    scenariosRun: [...args.only],
    machine: machineInfo(python, pgVersion),
    goals: GOALS,
    /** 1-minute load averages: the machine is often shared, and this says how busy it was. */
    loadAverage: { start: round(loadAtStart, 2), end: round(os.loadavg()[0], 2) },
    importCopyRatio: full?.importCopyRatio ?? null,
    sqliteRawRatio: sqliteRaw?.ratioMedian ?? null,
    d2dSpeedupSqlite: d2d?.sqlite.speedupMedian ?? null,
    d2dSpeedupPostgres: d2d?.postgres?.speedupMedian ?? null,
    checkpointCopyRatio: checkpoint?.checkpointCopyRatio ?? null,
    ...snapshotKeys(snapshot),
    // The figure: against JSON.parse of every line, each value dropped (as first measured).
    commitReaderRatio:
      parse.ran && typeof parse.output.ratioVsDropped === 'number' ? parse.output.ratioVsDropped : null,
    // Against JSON.parse keeping every value, as a reader must (reported beside it, not instead).
    commitReaderRatioVsKept: parse.ran && typeof parse.output.ratio === 'number' ? parse.output.ratio : null,
    fullImportSeconds: full?.fullImportSeconds ?? null,
    checkpointImportSeconds: checkpoint?.checkpointImportSeconds ?? null,
    peakRssMB: checkpoint?.peakRssMB ?? null,
    sqlVsDeltaRsSpeedup: snapshot?.sqlVsDeltaRsSpeedup ?? null,
    hundredKVersionsSeconds: hundredK?.hundredKVersionsSeconds ?? null,
    syncLagP95Seconds: sync.ran ? p95Seconds(sync.output) : null,
    syncLagNote: sync.ran ? null : sync.reason,
    parquetToDeltaFooterReadsPerSecond: formats?.parquetToDelta.footerReadsPerSecond ?? null,
    parquetToDeltaVsDeltaRsRatio: formats?.parquetToDelta.ratioMedian ?? null,
    icebergVsPyicebergAddFilesSpeedup: formats?.deltaToIceberg.speedupMedian ?? null,
    exportCopyRatio: exportBench?.exportVsCopy.ratioMedian ?? null,
    exportCheckpointVsDeltaRsRatio: exportBench?.checkpointVsDeltaRs.ratioMedian ?? null,
    exportCheckpointPeakRssMB: exportBench?.sqlCheckpointPeakRssMb ?? null,
    sharingRequestsPerSecond8Clients: sharing?.requestsPerSecond8Clients ?? null,
    ...sharingKeys(sharing),
    migrateSqliteToPostgresRatio: migrate?.sqliteToPostgres.ratioMedian ?? null,
    migratePostgresToDuckdbRatio: migrate?.postgresToDuckdb.ratioMedian ?? null,
    largeCommitPeakRssMB: largeCommit ? Math.max(...largeCommit.runs.map((r) => r.peakRssMB ?? 0)) : null,
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
      d2d,
      sqliteRaw,
      scaleOut,
      formats,
      export: exportBench,
      sharing,
      migrate,
      commits,
      largeCommit,
    },
    datasets,
    profiles,
  };
  const dir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const text =
    JSON.stringify(args.merge ? mergeWithPrevious(path.join(dir, 'latest.json'), result) : result, null, 2) +
    '\n';
  fs.writeFileSync(path.join(dir, 'latest.json'), text);
  fs.writeFileSync(path.join(dir, `${cfg.mode}.json`), text);
  log(`wrote bench/results/latest.json (${result.wallSeconds}s)`);
  process.stdout.write(
    JSON.stringify({
      mode: result.mode,
      ...Object.fromEntries(HEADLINE_KEYS.map((k) => [k, result[k]])),
      fullImportSeconds: result.fullImportSeconds,
      checkpointImportSeconds: result.checkpointImportSeconds,
      peakRssMB: result.peakRssMB,
      sqlVsDeltaRsSpeedup: result.sqlVsDeltaRsSpeedup,
      hundredKVersionsSeconds: result.hundredKVersionsSeconds,
      syncLagP95Seconds: result.syncLagP95Seconds,
    }) + '\n',
  );
}

/** The snapshot cells of issue 21 (see the file comment): the minimum over both sizes, and each cell. */
function snapshotKeys(s: SnapshotResult | null) {
  const h = s?.history;
  const l = s?.large;
  const cells = {
    sqlFilesSpeedupLatest20k: h?.latest.sqlVsDeltaRs ?? null,
    sqlFilesSpeedupHistorical20k: h?.historical.sqlVsDeltaRs ?? null,
    sqlSnapshotSpeedupLatest20k: h?.latest.snapshotVsDeltaRs ?? null,
    sqlSnapshotSpeedupHistorical20k: h?.historical.snapshotVsDeltaRs ?? null,
    sqlFilesSpeedupLatest1M: l?.latest.sqlVsDeltaRs ?? null,
    sqlFilesSpeedupHistorical1M: l?.historical.sqlVsDeltaRs ?? null,
    sqlSnapshotSpeedupLatest1M: l?.latest.snapshotVsDeltaRs ?? null,
    sqlSnapshotSpeedupHistorical1M: l?.historical.snapshotVsDeltaRs ?? null,
  };
  const min = (...xs: (number | null)[]): number | null =>
    xs.some((x) => x === null) ? null : Math.min(...(xs as number[]));
  return {
    sqlFilesSpeedupLatest: min(cells.sqlFilesSpeedupLatest20k, cells.sqlFilesSpeedupLatest1M),
    sqlFilesSpeedupHistorical: min(cells.sqlFilesSpeedupHistorical20k, cells.sqlFilesSpeedupHistorical1M),
    sqlSnapshotSpeedup: min(
      cells.sqlSnapshotSpeedupLatest20k,
      cells.sqlSnapshotSpeedupHistorical20k,
      cells.sqlSnapshotSpeedupLatest1M,
      cells.sqlSnapshotSpeedupHistorical1M,
    ),
    ...cells,
  };
}

/**
 * `--merge`: keep the previous latest.json's figures for every key (and raw entry) this run left
 * null, so partial runs (`--only=…`) build up one file; `mergedFrom` names what came from where.
 */
function mergeWithPrevious(file: string, next: Record<string, unknown>): Record<string, unknown> {
  if (!fs.existsSync(file)) return next;
  const prev = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  const taken: string[] = [];
  const out: Record<string, unknown> = { ...next };
  for (const [k, v] of Object.entries(prev)) {
    if ((out[k] === null || out[k] === undefined) && v !== null) {
      out[k] = v;
      taken.push(k);
    }
  }
  const prevRaw = (prev.raw ?? {}) as Record<string, unknown>;
  const raw: Record<string, unknown> = { ...(next.raw as Record<string, unknown>) };
  for (const [k, v] of Object.entries(prevRaw)) {
    const cur = raw[k] as { ran?: boolean } | null | undefined;
    if ((cur === null || cur === undefined || cur.ran === false) && v !== null) {
      raw[k] = v;
      taken.push(`raw.${k}`);
    }
  }
  out.raw = raw;
  const earlier = Array.isArray(prev.mergedFrom) ? prev.mergedFrom : [];
  out.mergedFrom = [...earlier, { date: prev.date, scenariosRun: prev.scenariosRun, keys: taken }];
  return out;
}

main().catch((e: unknown) => {
  process.stderr.write(`[bench] failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
