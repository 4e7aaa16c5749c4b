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
import { z } from 'zod';
import { openCatalog } from '../api';

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
  };
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.pause();
  report.startedAt = Date.now();
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
  await cat.close();
  process.stdout.write(JSON.stringify(report) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`commit-writer: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
