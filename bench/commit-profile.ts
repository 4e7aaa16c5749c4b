/**
 * Where an 8-writer PostgreSQL commit's time goes (issue 16), outside the interleaved benchmark:
 * `node dist/bench/commit-profile.js [--writers=8] [--commits=25] [--runs=3] [--deltars]` (needs
 * `npm run build`: the writers are dist/bench/commit-writer.js). Each run is a fresh sql-primary
 * table in the schema `bench_commit_profile`; per run it prints commits/s, latency p50/p99, and the
 * CPU per commit of the writer processes and of their PostgreSQL backends (same machine, from
 * /proc), so the wall time per commit can be set against the CPU it costs on a shared machine.
 * With --deltars a delta-rs run of the same shape follows each run, for the ratio. With
 * --compare=DIR (another build: DIR/dist/bench/commit-writer.js) each run is a pair, this build's
 * writers and DIR's in alternating order, for an interleaved before/after of a change.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openCatalog } from '../catalog/open';
import { deltaRsRun, SCHEMA, sqlRun, type RunSummary } from './commit-runs';
import { round } from './measure';
import { dropSchema, withSchema } from './pg-admin';

/** The repository root: this file runs as dist/bench/commit-profile.js. */
const ROOT = path.resolve(__dirname, '..', '..');
const SCHEMA_NAME = 'bench_commit_profile';

function flag(name: string, fallback: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? fallback : Number(a.slice(name.length + 3));
}

function perCommit(run: RunSummary, key: 'cpuMs' | 'backendCpuMs'): number | null {
  let sum = 0;
  for (const r of run.reports) {
    const v = r[key];
    if (v === null || v === undefined) return null;
    sum += v;
  }
  return round(sum / run.commits, 2);
}

async function main(): Promise<void> {
  const writers = flag('writers', 8);
  const commits = flag('commits', 25);
  const runs = flag('runs', 3);
  const withDeltaRs = process.argv.includes('--deltars');
  const compare = process.argv.find((x) => x.startsWith('--compare='))?.slice('--compare='.length);
  const dbUrl =
    process.env.DELTASQL_BENCH_PG_URL ?? 'postgresql://deltasql:deltasql@127.0.0.1:5432/deltasql_test';
  const python = process.env.DELTASQL_BENCH_PYTHON ?? path.join(ROOT, '.venv', 'bin', 'python');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-commit-profile-'));
  await dropSchema(dbUrl, SCHEMA_NAME);
  const url = withSchema(dbUrl, SCHEMA_NAME);
  const store = await openCatalog(url);
  const template = path.join(dir, 'template');
  if (withDeltaRs)
    execFileSync(python, [
      '-c',
      `import sys
from deltalake import DeltaTable, Schema
DeltaTable.create(sys.argv[1], schema=Schema.from_json(sys.argv[2]))`,
      template,
      JSON.stringify(SCHEMA),
    ]);
  try {
    for (let i = 0; i < runs; i++) {
      const builds = compare === undefined ? [ROOT] : i % 2 === 0 ? [ROOT, compare] : [compare, ROOT];
      for (const [j, root] of builds.entries()) {
        const s = await sqlRun({ root, store, url, dir, name: `p${i}-${j}`, writers, commits });
        const line = {
          run: i + 1,
          build: root === ROOT ? 'this' : root,
          load1: round(os.loadavg()[0], 2),
          commitsPerSecond: s.commitsPerSecond,
          p50Ms: s.p50Ms,
          p99Ms: s.p99Ms,
          maxAttempts: s.maxAttempts,
          failures: s.failures,
          wallMsPerCommit: round((s.seconds * 1000) / s.commits, 2),
          writerCpuMsPerCommit: perCommit(s, 'cpuMs'),
          backendCpuMsPerCommit: perCommit(s, 'backendCpuMs'),
        };
        process.stdout.write(JSON.stringify(line) + '\n');
      }
      if (withDeltaRs) {
        const d = await deltaRsRun({ root: ROOT, python, template, dir, name: `d${i}`, writers, commits });
        process.stdout.write(
          JSON.stringify({ run: i + 1, deltaRsCommitsPerSecond: d.commitsPerSecond }) + '\n',
        );
      }
    }
  } finally {
    await store.close();
    await dropSchema(dbUrl, SCHEMA_NAME);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`commit-profile: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
