/**
 * One measured run of the commit benchmark: W writer processes (bench/commit-writer.ts for the SQL
 * catalogs, bench/commits-deltars.py for delta-rs) each commit C blind appends to one fresh table;
 * they connect first, then start together on one `go`, so only committing is timed. The run then
 * checks that no commit was lost: W*C new contiguous versions with W*C distinct adds.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTable } from '../catalog/commit/create';
import { readMode } from '../catalog/commit/table-mode';
import type { SqlCatalogStore } from '../catalog/sql-catalog';
import { openStore } from '../storage/uri';
import type { WriterReport } from './commit-writer';
import { round } from './measure';

export const SCHEMA = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'name', type: 'string', nullable: true, metadata: {} },
    { name: 'score', type: 'double', nullable: true, metadata: {} },
  ],
};

const RUN_TIMEOUT_MS = 10 * 60_000;

export interface RunSummary {
  writers: number;
  commits: number;
  failures: number;
  /** First failure message, if any. */
  failure: string | null;
  seconds: number;
  commitsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxAttempts: number;
  latencies: number[];
  reports: WriterReport[];
}

export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** Spawn the writers, release them together, collect their reports. */
export async function runWriters(
  cmd: string,
  argsFor: (k: number) => string[],
  n: number,
): Promise<WriterReport[]> {
  const procs = Array.from({ length: n }, (_, k) => {
    const child = spawn(cmd, argsFor(k), { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let onReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (onReady = resolve));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('ready\n')) onReady();
    });
    child.stderr.on('data', (d: Buffer) => void (err = (err + d.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    const done = new Promise<WriterReport>((resolve, reject) =>
      child.once('close', (code) => {
        clearTimeout(timer);
        const last = out.trim().split('\n').pop() ?? '';
        if (code !== 0) reject(new Error(`writer ${k} exited ${code}: ${err.trim().slice(-800)}`));
        else resolve(JSON.parse(last) as WriterReport);
      }),
    );
    // A writer that dies before `ready` must not hang the run.
    const readyOrDead = Promise.race([ready, done.then(() => undefined)]);
    return { child, readyOrDead, done };
  });
  await Promise.all(procs.map((p) => p.readyOrDead));
  for (const p of procs) p.child.stdin.end('go\n');
  return Promise.all(procs.map((p) => p.done));
}

export function summarize(reports: WriterReport[]): RunSummary {
  const latencies = reports.flatMap((r) => r.latencies);
  const failures = reports.flatMap((r) => r.failures);
  const seconds =
    (Math.max(...reports.map((r) => r.endedAt)) - Math.min(...reports.map((r) => r.startedAt))) / 1000;
  return {
    writers: reports.length,
    commits: latencies.length,
    failures: failures.length,
    failure: failures[0] ?? null,
    seconds: round(seconds),
    commitsPerSecond: round(latencies.length / seconds, 1),
    p50Ms: round(quantile(latencies, 0.5) * 1000, 2),
    p99Ms: round(quantile(latencies, 0.99) * 1000, 2),
    maxAttempts: Math.max(...reports.map((r) => r.maxAttempts)),
    latencies,
    reports,
  };
}

/** The SQL side: a fresh sql-primary table in `store`, W commit-writer processes on it. */
export async function sqlRun(o: {
  root: string;
  store: SqlCatalogStore;
  url: string;
  dir: string;
  name: string;
  writers: number;
  commits: number;
  temporal?: { address: string; taskQueue: string } | null;
}): Promise<RunSummary> {
  const location = path.join(o.dir, o.name);
  fs.mkdirSync(location, { recursive: true });
  await createTable(o.store.driver, openStore(location), { name: o.name, location, schema: SCHEMA });
  const script = path.join(o.root, 'dist', 'bench', 'commit-writer.js');
  const reports = await runWriters(
    process.execPath,
    (k) => [
      script,
      JSON.stringify({
        catalog: o.url,
        table: o.name,
        writer: k,
        commits: o.commits,
        temporal: o.temporal ?? null,
      }),
    ],
    o.writers,
  );
  const s = summarize(reports);
  const state = await readMode(o.store.driver, o.name);
  const adds = await o.store.driver.query(
    `SELECT COUNT(DISTINCT path) AS n FROM {T:dl_add_files} WHERE table_id = ?`,
    [state.tableId],
  );
  if (state.lastVersion !== s.commits || Number(adds[0].n) !== s.commits)
    throw new Error(
      `${o.name}: ${s.commits} commits returned but the catalog holds version ${state.lastVersion} and ${String(adds[0].n)} adds`,
    );
  return s;
}

/** The delta-rs side: a copy of the empty template table, W commits-deltars.py processes on it. */
export async function deltaRsRun(o: {
  root: string;
  python: string;
  template: string;
  dir: string;
  name: string;
  writers: number;
  commits: number;
}): Promise<RunSummary> {
  const location = path.join(o.dir, o.name);
  fs.cpSync(o.template, location, { recursive: true });
  const script = path.join(o.root, 'bench', 'commits-deltars.py');
  const reports = await runWriters(
    o.python,
    (k) => [script, JSON.stringify({ loc: location, writer: k, commits: o.commits })],
    o.writers,
  );
  const s = summarize(reports);
  const versions = fs.readdirSync(path.join(location, '_delta_log')).filter((f) => /^\d{20}\.json$/.test(f));
  if (versions.length !== s.commits + 1)
    throw new Error(
      `${o.name}: delta-rs returned ${s.commits} commits but the log holds ${versions.length - 1}`,
    );
  return s;
}
