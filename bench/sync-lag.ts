/**
 * Follow-mode lag benchmark (issue 9 goal: p95 ≤ 2 s on a local table). A writer appends one
 * commit every 200–500 ms to a generated table while followTableWorkflow runs on an in-process
 * worker; a watcher polls the catalog every few milliseconds and records, per commit, the wall
 * time from the commit's write to the catalog reporting that version. Prints
 * `{samples, p50, p95, max}` in seconds (plus the workflow's own estimate).
 *
 *   TEMPORAL_ADDRESS=127.0.0.1:7233 node dist/bench/sync-lag.js [--commits 40] [--poll-interval 500ms]
 *     [--min-gap-ms 200] [--max-gap-ms 500] [--skip-validation]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { z } from 'zod';
import { openCatalog } from '../catalog/open';
import { readEnv } from '../common/config';
import { followStatus, parseDuration, startFollow, stopFollow, syncInput } from '../client/sync-client';
import { createImportWorker, installQuietRuntime } from '../workers/worker';
import { generateTable, writeCommits } from './generator';

const WATCH_MS = 5;
/** The dev server address scripts/services/temporal.sh starts. */
const LOCAL_TEMPORAL = '127.0.0.1:7233';
const INITIAL_VERSIONS = 20;
const SHAPE = { addsPerVersion: 10, removesPerVersion: 2, checkpointInterval: 10, seed: 42 } as const;
const CONVERGE_TIMEOUT_MS = 60_000;

const Args = z.object({
  commits: z.coerce.number().int().min(1).default(40),
  pollInterval: z.string().default('500ms'),
  minGapMs: z.coerce.number().int().min(0).default(200),
  maxGapMs: z.coerce.number().int().min(0).default(500),
  skipValidation: z.boolean().default(false),
});

function parseArgs(argv: string[]): z.infer<typeof Args> {
  const raw: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)$/.exec(argv[i]);
    if (!m) throw new Error(`unexpected argument ${argv[i]}`);
    const key = m[1].replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (key === 'skipValidation') raw[key] = true;
    else raw[key] = argv[++i] ?? '';
  }
  return Args.parse(raw);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const pollIntervalMs = parseDuration('--poll-interval', args.pollInterval, 10);
  const address = process.env.TEMPORAL_ADDRESS || LOCAL_TEMPORAL;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-sync-lag-'));
  const dir = path.join(tmp, 'table');
  await generateTable({ dir, versions: INITIAL_VERSIONS, ...SHAPE });
  const catalog = `sqlite:///${path.join(tmp, 'catalog.db')}`;
  const input = syncInput({ source: dir, catalog, name: 'lag', skipValidation: args.skipValidation });

  installQuietRuntime();
  const connection = await Connection.connect({ address });
  const native = await NativeConnection.connect({ address });
  const client = new Client({ connection });
  const env = { ...readEnv(), TEMPORAL_ADDRESS: address, DELTASQL_TASK_QUEUE: `sync-lag-${randomUUID()}` };
  const { worker, close } = await createImportWorker({
    connection: native,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.DELTASQL_TASK_QUEUE,
  });
  const store = await openCatalog(catalog);
  const imported = async (): Promise<number> => (await store.findTable('lag'))?.lastVersion ?? -1;

  const result = await worker.runUntil(async () => {
    const f = await startFollow(client, env, input, { pollIntervalMs });
    const t0 = Date.now();
    while ((await imported()) < INITIAL_VERSIONS - 1) {
      if (Date.now() - t0 > CONVERGE_TIMEOUT_MS) throw new Error('initial import did not finish');
      await sleep(50);
    }
    const writtenAt = new Map<number, number>();
    const lags: number[] = [];
    let writing = true;
    const watcher = (async () => {
      let seen = INITIAL_VERSIONS - 1;
      while (writing || writtenAt.size > 0) {
        const v = await imported();
        const now = Date.now();
        for (let x = seen + 1; x <= v; x++) {
          const t = writtenAt.get(x);
          if (t !== undefined) {
            lags.push((now - t) / 1000);
            writtenAt.delete(x);
          }
        }
        seen = Math.max(seen, v);
        await sleep(WATCH_MS);
      }
    })();
    let latest = INITIAL_VERSIONS - 1;
    for (let i = 0; i < args.commits; i++) {
      await sleep(args.minGapMs + Math.random() * Math.max(0, args.maxGapMs - args.minGapMs));
      // conservative: the clock starts before the write (the file appears a little later)
      writtenAt.set(latest + 1, Date.now());
      latest = (await writeCommits(dir, latest + 1, 1, SHAPE)).lastVersion;
    }
    writing = false;
    const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
    while (writtenAt.size > 0 && Date.now() < deadline) await sleep(50);
    writing = false;
    const pending = writtenAt.size;
    writtenAt.clear();
    await watcher;
    const st = await followStatus(client, f.workflowId);
    await stopFollow(client, f.workflowId);
    await f.handle.result();
    const sorted = [...lags].sort((a, b) => a - b);
    return {
      samples: sorted.length,
      p50: percentile(sorted, 0.5),
      p95: percentile(sorted, 0.95),
      max: sorted[sorted.length - 1],
      notImported: pending,
      pollIntervalMs,
      validation: !args.skipValidation,
      rounds: st.rounds,
      workflowEstimate: {
        p50: st.wallLag.p50Seconds,
        p95: st.wallLag.p95Seconds,
        max: st.wallLag.maxSeconds,
      },
    };
  });
  await store.close();
  await close();
  await native.close();
  await connection.close();
  fs.rmSync(tmp, { recursive: true, force: true });
  process.stdout.write(JSON.stringify(result) + '\n');
}

void main().catch((e) => {
  process.stderr.write(`sync-lag failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
