/**
 * One writer process of the commit benchmark (bench/scenario-commits.ts): blind appends through the
 * package API (`openCatalog(url).table(name).commit`), exactly what a user's writer calls. It prints
 * `ready` once connected and starts on the harness's `go` line (stdin), so every writer starts at
 * once and process start-up is not measured. It commits `commits` single-add
 * versions on top of the last version it knows (a loser rebases inside `commit`), and prints one
 * JSON line: every commit's latency and the version and wall-clock instant it returned with (the
 * publish-lag watcher compares the latter with the instant the version appears in `_delta_log`).
 *
 * Input: one JSON argument, see WriterArgs. With `temporal` set, commits wake the publisher.
 */
import * as fs from 'node:fs';
import { z } from 'zod';
import { openCatalog, type Catalog } from '../api';

const WriterArgs = z.object({
  catalog: z.string(),
  table: z.string(),
  writer: z.number().int().nonnegative(),
  commits: z.number().int().positive(),
  temporal: z.object({ address: z.string(), taskQueue: z.string() }).nullable(),
});

/** The add of commit `i` of writer `k`; bench/commits-deltars.py writes the same one. */
function blindAppend(k: number, i: number): Record<string, unknown> {
  return {
    add: {
      path: `w${k}-${i}.parquet`,
      partitionValues: {},
      size: 1000 + i,
      modificationTime: Date.now(),
      dataChange: true,
      stats: '{"numRecords":1}',
    },
  };
}

export interface WriterReport {
  writer: number;
  /** Seconds per commit, in order. */
  latencies: number[];
  /** [version, epoch ms when commit() returned] per commit. */
  committed: [number, number][];
  maxAttempts: number;
  failures: string[];
  startedAt: number;
  endedAt: number;
  /** CPU this writer process spent (user + system) between `go` and its last commit, ms. */
  cpuMs: number;
  /** The same for its PostgreSQL backend (the pool's first connection, same machine); else null. */
  backendCpuMs: number | null;
}

/** The PostgreSQL backend serving this process's (sequential) queries, or null on other engines. */
async function backendPid(cat: Catalog): Promise<number | null> {
  if (cat.store.driver.dialect !== 'postgres') return null;
  const rows = await cat.store.driver.query('SELECT pg_backend_pid() AS pid');
  return Number(rows[0]?.pid);
}

/** utime + stime of a local process (/proc/PID/stat, clock ticks of 10 ms), in ms; null if unreadable. */
function processCpuMs(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const a = WriterArgs.parse(JSON.parse(process.argv[2] ?? '{}'));
  const cat = await openCatalog(a.catalog, {
    temporal: a.temporal && { address: a.temporal.address, taskQueue: a.temporal.taskQueue },
  });
  const t = await cat.table(a.table);
  let known = (await t.state()).lastVersion ?? 0;
  const report: WriterReport = {
    writer: a.writer,
    latencies: [],
    committed: [],
    maxAttempts: 0,
    failures: [],
    startedAt: 0,
    endedAt: 0,
    cpuMs: 0,
    backendCpuMs: null,
  };
  const backend = await backendPid(cat);
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.pause();
  report.startedAt = Date.now();
  const cpu0 = process.cpuUsage();
  const backend0 = processCpuMs(backend);
  for (let i = 0; i < a.commits; i++) {
    const t0 = process.hrtime.bigint();
    try {
      const r = await t.commit({ readVersion: known, actions: [blindAppend(a.writer, i)] });
      report.latencies.push(Number(process.hrtime.bigint() - t0) / 1e9);
      report.committed.push([r.version, Date.now()]);
      report.maxAttempts = Math.max(report.maxAttempts, r.attempts);
      known = r.version;
    } catch (e) {
      report.failures.push(e instanceof Error ? e.message : String(e));
    }
  }
  report.endedAt = Date.now();
  const cpu = process.cpuUsage(cpu0);
  report.cpuMs = (cpu.user + cpu.system) / 1000;
  const backend1 = processCpuMs(backend);
  report.backendCpuMs = backend0 === null || backend1 === null ? null : backend1 - backend0;
  await cat.close();
  process.stdout.write(JSON.stringify(report) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`commit-writer: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
