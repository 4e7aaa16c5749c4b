/**
 * Commit benchmark (issue 16): blind appends committed through SQL (PostgreSQL and SQLite, the
 * package API in separate writer processes) against delta-rs committing the same adds to the same
 * kind of local table, with 1 and 8 concurrent writers. Goal: at least 5x delta-rs's commit
 * throughput with 8 writers, never losing a commit (every run checks its versions and adds).
 *
 * The sides are interleaved: one warm-up round of every side (discarded), then `rounds` rounds of
 * PostgreSQL, SQLite, delta-rs (the order rotates each round); each round gives one ratio per SQL
 * engine (its commits/s over delta-rs's in that round). Reported: the median ratio and its min-max,
 * commits/s and the commit latency p50/p99 pooled over the measured rounds.
 *
 * The throughput runs do not wake a publisher (commits only). Publish lag is measured afterwards:
 * 8 PostgreSQL writers commit while a worker process runs the publisher, each commit wakes it (coalesced: one signal in flight per writer),
 * and a watcher records when each version appears in `_delta_log`; lag = that instant minus the
 * instant the writer's commit returned (one clock, one machine).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { publisherWorkflowId } from '../api/publisher-client';
import { openCatalog } from '../catalog/open';
import type { SqlCatalogStore } from '../catalog/sql-catalog';
import { commitPath } from '../delta/log-path';
import { deltaRsRun, quantile, SCHEMA, sqlRun, type RunSummary } from './commit-runs';
import { median, round } from './measure';
import { dropSchema, withSchema } from './pg-admin';
import { startWorker } from './worker-process';

export interface CommitsBenchOptions {
  root: string;
  /** Bench database URL (a schema of its own is used). */
  dbUrl: string;
  python: string;
  temporalAddress: string;
  quick: boolean;
  log: (line: string) => void;
}

type Side = 'postgres' | 'sqlite' | 'deltaRs';
const SIDES: readonly Side[] = ['postgres', 'sqlite', 'deltaRs'];

export interface SideFigures {
  commitsPerSecond: { median: number; min: number; max: number };
  p50Ms: number;
  p99Ms: number;
  maxAttempts: number;
  failures: number;
}

export interface Ratio {
  median: number;
  min: number;
  max: number;
  perRound: number[];
}

export interface WritersResult {
  writers: number;
  commitsPerWriter: number;
  rounds: number;
  sides: Record<Side, SideFigures>;
  postgresVsDeltaRs: Ratio;
  sqliteVsDeltaRs: Ratio;
}

export interface PublishLagResult {
  writers: number;
  commits: number;
  commitsPerSecondWithSignals: number;
  commitP50Ms: number;
  commitP99Ms: number;
  lagP50Seconds: number;
  lagP95Seconds: number;
  lagMaxSeconds: number;
}

export interface CommitsBenchResult {
  note: string;
  oneWriter: WritersResult;
  eightWriters: WritersResult;
  publishLag: PublishLagResult;
}

const SCHEMA_NAME = 'bench_commits';
const PUBLISH_TIMEOUT_MS = 180_000;

function ratio(xs: number[]): Ratio {
  return {
    median: round(median(xs), 2),
    min: round(Math.min(...xs), 2),
    max: round(Math.max(...xs), 2),
    perRound: xs.map((x) => round(x, 2)),
  };
}

function figures(runs: RunSummary[]): SideFigures {
  const cps = runs.map((r) => r.commitsPerSecond);
  const lat = runs.flatMap((r) => r.latencies);
  return {
    commitsPerSecond: { median: round(median(cps), 1), min: Math.min(...cps), max: Math.max(...cps) },
    p50Ms: round(quantile(lat, 0.5) * 1000, 2),
    p99Ms: round(quantile(lat, 0.99) * 1000, 2),
    maxAttempts: Math.max(...runs.map((r) => r.maxAttempts)),
    failures: runs.reduce((n, r) => n + r.failures, 0),
  };
}

interface Env {
  o: CommitsBenchOptions;
  dir: string;
  template: string;
  postgres: { store: SqlCatalogStore; url: string };
  sqlite: { store: SqlCatalogStore; url: string };
  seq: number;
}

async function runSide(e: Env, side: Side, writers: number, commits: number): Promise<RunSummary> {
  const name = `c${++e.seq}-${side}-w${writers}`;
  if (side === 'deltaRs')
    return deltaRsRun({
      root: e.o.root,
      python: e.o.python,
      template: e.template,
      dir: e.dir,
      name,
      writers,
      commits,
    });
  const cat = e[side];
  return sqlRun({ root: e.o.root, store: cat.store, url: cat.url, dir: e.dir, name, writers, commits });
}

async function writersScenario(
  e: Env,
  writers: number,
  commits: number,
  rounds: number,
): Promise<WritersResult> {
  for (const side of SIDES) await runSide(e, side, writers, commits); // warm-up
  const runs: Record<Side, RunSummary[]> = { postgres: [], sqlite: [], deltaRs: [] };
  const pgRatio: number[] = [];
  const liteRatio: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = SIDES.map((_, i) => SIDES[(i + r) % SIDES.length]);
    const got = {} as Record<Side, RunSummary>;
    for (const side of order) {
      got[side] = await runSide(e, side, writers, commits);
      runs[side].push(got[side]);
    }
    pgRatio.push(got.postgres.commitsPerSecond / got.deltaRs.commitsPerSecond);
    liteRatio.push(got.sqlite.commitsPerSecond / got.deltaRs.commitsPerSecond);
    e.o.log(
      `   ${writers} writer(s) round ${r + 1}: postgres ${got.postgres.commitsPerSecond}/s, sqlite ${got.sqlite.commitsPerSecond}/s, delta-rs ${got.deltaRs.commitsPerSecond}/s`,
    );
  }
  return {
    writers,
    commitsPerWriter: commits,
    rounds,
    sides: { postgres: figures(runs.postgres), sqlite: figures(runs.sqlite), deltaRs: figures(runs.deltaRs) },
    postgresVsDeltaRs: ratio(pgRatio),
    sqliteVsDeltaRs: ratio(liteRatio),
  };
}

/** Poll `_delta_log` for versions 1..n and record when each file appears (epoch ms). */
async function watchLog(location: string, n: number): Promise<Map<number, number>> {
  const seen = new Map<number, number>();
  const deadline = Date.now() + PUBLISH_TIMEOUT_MS;
  let v = 1;
  while (v <= n) {
    if (fs.existsSync(path.join(location, commitPath(v)))) {
      seen.set(v, Date.now());
      v++;
      continue;
    }
    if (Date.now() > deadline)
      throw new Error(`publish lag: version ${v} of ${n} never appeared in ${location}/_delta_log`);
    await sleep(2);
  }
  return seen;
}

/** The publisher would otherwise keep polling a task queue nobody serves once the worker stops. */
async function endPublisher(address: string, catalog: string, table: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    await new Client({ connection }).workflow
      .getHandle(publisherWorkflowId(catalog, table))
      .terminate('benchmark done');
  } finally {
    await connection.close();
  }
}

async function publishLagScenario(e: Env, writers: number, commits: number): Promise<PublishLagResult> {
  const taskQueue = `bench-commits-${process.pid}-${Date.now()}`;
  // The workflow input carries the catalog URL without its password; the worker gets it as PGPASSWORD.
  const worker = await startWorker({
    root: e.o.root,
    taskQueue,
    temporalAddress: e.o.temporalAddress,
    catalogs: [e.postgres.url],
  });
  try {
    // The publisher's workflow id derives from catalog and table name: a name reused from an earlier
    // run would signal that run's publisher (on its worker's task queue), so the name is unique.
    const name = `lag-${process.pid}-${Date.now()}`;
    const location = path.join(e.dir, name);
    const total = writers * commits;
    const watching = watchLog(location, total);
    const run = await sqlRun({
      root: e.o.root,
      store: e.postgres.store,
      url: e.postgres.url,
      dir: e.dir,
      name,
      writers,
      commits,
      temporal: { address: e.o.temporalAddress, taskQueue },
    });
    const seen = await Promise.race([watching, worker.exited.then((why) => Promise.reject(new Error(why)))]);
    await endPublisher(e.o.temporalAddress, e.postgres.url, name);
    const lags = run.reports.flatMap((r) =>
      r.committed.map(([v, at]) => ((seen.get(v) ?? Number.NaN) - at) / 1000),
    );
    return {
      writers,
      commits: total,
      commitsPerSecondWithSignals: run.commitsPerSecond,
      commitP50Ms: run.p50Ms,
      commitP99Ms: run.p99Ms,
      lagP50Seconds: round(Math.max(0, quantile(lags, 0.5))),
      lagP95Seconds: round(Math.max(0, quantile(lags, 0.95))),
      lagMaxSeconds: round(Math.max(0, ...lags)),
    };
  } finally {
    await worker.stop();
  }
}

export async function commitsScenario(o: CommitsBenchOptions): Promise<CommitsBenchResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-bench-commits-'));
  const template = path.join(dir, 'template');
  execFileSync(o.python, [
    '-c',
    `import sys, json
from deltalake import DeltaTable, Schema
DeltaTable.create(sys.argv[1], schema=Schema.from_json(sys.argv[2]))`,
    template,
    JSON.stringify(SCHEMA),
  ]);
  await dropSchema(o.dbUrl, SCHEMA_NAME);
  const pgUrl = withSchema(o.dbUrl, SCHEMA_NAME);
  const liteUrl = `sqlite:///${path.join(dir, 'commits.db')}`;
  const e: Env = {
    o,
    dir,
    template,
    postgres: { store: await openCatalog(pgUrl), url: pgUrl },
    sqlite: { store: await openCatalog(liteUrl), url: liteUrl },
    seq: 0,
  };
  try {
    const rounds = 3;
    const [c1, c8] = o.quick ? [16, 8] : [50, 25];
    o.log(`   1 writer x ${c1} commits, ${rounds} rounds + warm-up`);
    const oneWriter = await writersScenario(e, 1, c1, rounds);
    o.log(`   8 writers x ${c8} commits, ${rounds} rounds + warm-up`);
    const eightWriters = await writersScenario(e, 8, c8, rounds);
    o.log(`   publish lag: 8 PostgreSQL writers x ${c8} commits, publisher on a worker process`);
    const publishLag = await publishLagScenario(e, 8, c8);
    return {
      note: 'taken on a shared 2-core machine under load from other sessions; ratios are interleaved medians',
      oneWriter,
      eightWriters,
      publishLag,
    };
  } finally {
    await e.postgres.store.close();
    await e.sqlite.store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `node dist/bench/scenario-commits.js [--quick]`: this scenario alone (bench/run.ts runs it as `commits`). */
if (require.main === module) {
  const ROOT = path.resolve(__dirname, '..', '..');
  commitsScenario({
    root: ROOT,
    dbUrl: process.env.DELTASQL_BENCH_PG_URL ?? 'postgresql://deltasql:deltasql@127.0.0.1:5432/deltasql_test',
    python: process.env.DELTASQL_BENCH_PYTHON ?? path.join(ROOT, '.venv', 'bin', 'python'),
    temporalAddress: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    quick: process.argv.includes('--quick'),
    log: (line) => void process.stderr.write(`[bench] ${line}\n`),
  }).then(
    (r) =>
      void process.stdout.write(
        JSON.stringify(r, (k, v: unknown) => (k === 'latencies' || k === 'reports' ? undefined : v)) + '\n',
      ),
    (e: unknown) => {
      process.stderr.write(
        `[bench] commits failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
      process.exit(1);
    },
  );
}
