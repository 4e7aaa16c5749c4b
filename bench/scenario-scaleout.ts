/**
 * Scale-out (issue 21, no goal on 2 cores): `deltasql discover --import` of many small generated
 * tables, first with 1 and then with 3 worker processes polling the same task queue of the same
 * Temporal server, into a fresh PostgreSQL schema each time. Throughput is tables per second of
 * the CLI's wall time.
 *
 * Nothing may be imported twice. With several workers, two `discover --import` CLIs are started
 * at once on the same root. The second attaches to the running parent workflow, whose id hashes
 * the catalog and the root, and every child runs under its per-table workflow id
 * (client/import-client.ts importWorkflowId). The check: every table was written by exactly one
 * import run, and holds exactly the generated versions and files. `tablesPerWorker` counts, per
 * worker identity, the tables whose activities it ran. A table's activities may spread over
 * several workers, so the counts add up to more than the tables.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { z } from 'zod';
import { importWorkflowId } from '../client/import-client';
import { quoteIdent } from '../catalog/sql';
import { generateTable } from './generator';
import { round, timed } from './measure';
import { dropSchema, withSchema } from './pg-admin';
import type { BenchContext } from './scenario-import';
import { startWorker, type WorkerProcess } from './worker-process';

const run = promisify(execFile);
const SHAPE = { versions: 4, addsPerVersion: 5, removesPerVersion: 1 };
const PARALLELISM = 8;
const ImportOutSchema = z.object({
  import: z.object({
    total: z.number(),
    completed: z.number(),
    failed: z.number(),
    alreadyRunning: z.number(),
    tables: z.array(z.object({ name: z.string(), status: z.string(), versionsImported: z.number() })),
  }),
});

export interface ScaleOutRun {
  workers: number;
  clis: number;
  tables: number;
  seconds: number;
  tablesPerSecond: number;
  /** Tables each worker ran (by Temporal worker identity). */
  tablesPerWorker: number[];
  /** Per CLI: completed / already-running / failed children. */
  cliOutcomes: { completed: number; alreadyRunning: number; failed: number; importedVersions: number }[];
  /** Import runs that wrote versions, per table: all 1 (checked). */
  writingRunsPerTable: number;
}

export interface ScaleOutResult {
  tables: number;
  shape: typeof SHAPE;
  parallelism: number;
  runs: ScaleOutRun[];
}

async function ensureTables(root: string, n: number, log: (l: string) => void): Promise<string[]> {
  const names = Array.from({ length: n }, (_, i) => `t${String(i).padStart(3, '0')}`);
  const marker = path.join(root, '.bench-ready.json');
  if (fs.existsSync(marker)) return names;
  log(`  generating ${n} tables of ${SHAPE.versions} versions under ${root}`);
  fs.rmSync(root, { recursive: true, force: true });
  for (const [i, name] of names.entries()) {
    await generateTable({
      dir: path.join(root, name),
      force: true,
      ...SHAPE,
      checkpointInterval: 0,
      seed: i + 1,
    });
  }
  fs.writeFileSync(marker, JSON.stringify({ n, SHAPE }));
  return names;
}

async function discoverImport(ctx: BenchContext, root: string, catalog: string, taskQueue: string) {
  const { stdout } = await run(
    process.execPath,
    [
      path.join(ctx.root, 'bin', 'deltasql.js'),
      'discover',
      root,
      '--import',
      '--catalog',
      catalog,
      '--parallelism',
      String(PARALLELISM),
      '--skip-validation',
      '--format',
      'json',
    ],
    {
      env: { ...process.env, TEMPORAL_ADDRESS: ctx.temporalAddress, DELTASQL_TASK_QUEUE: taskQueue },
      maxBuffer: 64 * 1024 * 1024,
    },
  ).catch((e: Error & { stdout?: string }) => ({ stdout: e.stdout ?? '' })); // exit 2 when some were already running
  return ImportOutSchema.parse(JSON.parse(stdout)).import;
}

/** Per table: how many import runs wrote versions, and the versions and add rows it holds. */
async function catalogTotals(dbUrl: string, schema: string) {
  const c = new PgClient({ connectionString: dbUrl });
  await c.connect();
  try {
    const s = quoteIdent(schema);
    const r = await c.query<{ name: string; writing: string; versions: string; adds: string }>(
      `SELECT t.name,
         (SELECT count(*) FROM ${s}.dl_import_runs r WHERE r.table_id = t.table_id AND r.versions_imported > 0) AS writing,
         (SELECT count(*) FROM ${s}.dl_table_versions v WHERE v.table_id = t.table_id) AS versions,
         (SELECT count(*) FROM ${s}.dl_add_files a WHERE a.table_id = t.table_id) AS adds
       FROM ${s}.dl_tables t`,
    );
    return r.rows.map((x) => ({
      name: x.name,
      writing: Number(x.writing),
      versions: Number(x.versions),
      adds: Number(x.adds),
    }));
  } finally {
    await c.end();
  }
}

/** The identity of the worker that ran each table's import activities (from the histories). */
async function workerOfTables(address: string, ids: string[]): Promise<Map<string, number>> {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const perWorker = new Map<string, number>();
  try {
    for (const id of ids) {
      const history = await client.workflow.getHandle(id).fetchHistory();
      const identities = new Set(
        (history.events ?? [])
          .map((e) => e.activityTaskStartedEventAttributes?.identity)
          .filter((x): x is string => typeof x === 'string' && x !== ''),
      );
      for (const who of identities) perWorker.set(who, (perWorker.get(who) ?? 0) + 1);
    }
  } finally {
    await connection.close();
  }
  return perWorker;
}

async function oneRun(
  ctx: BenchContext,
  root: string,
  names: string[],
  workers: number,
  clis: number,
): Promise<ScaleOutRun> {
  const schema = `bench_scaleout_${workers}`;
  await dropSchema(ctx.dbUrl, schema);
  // The CLI refuses a catalog URL with a password (secrets never enter Temporal): the workers and
  // the CLI get it as PGPASSWORD, as a deployment would.
  const u = new URL(withSchema(ctx.dbUrl, schema));
  const password = decodeURIComponent(u.password);
  u.password = '';
  const catalog = u.toString();
  if (password !== '') process.env.PGPASSWORD ??= password;
  const taskQueue = `deltasql-bench-scaleout-${workers}-${process.pid}-${Date.now()}`;
  const procs: WorkerProcess[] = [];
  try {
    for (let i = 0; i < workers; i++)
      procs.push(await startWorker({ root: ctx.root, taskQueue, temporalAddress: ctx.temporalAddress }));
    const { seconds, value: outs } = await timed(() =>
      Promise.all(Array.from({ length: clis }, () => discoverImport(ctx, root, catalog, taskQueue))),
    );
    const totals = await catalogTotals(ctx.dbUrl, schema);
    if (totals.length !== names.length)
      throw new Error(`scale-out: ${totals.length} tables in the catalog, expected ${names.length}`);
    const ref = totals[0];
    for (const t of totals) {
      if (t.writing !== 1)
        throw new Error(`scale-out: table ${t.name} was written by ${t.writing} import runs`);
      if (t.versions !== SHAPE.versions || t.adds !== ref.adds)
        throw new Error(
          `scale-out: table ${t.name} holds ${t.versions} versions / ${t.adds} adds, expected ${SHAPE.versions} / ${ref.adds}`,
        );
    }
    for (const o of outs) {
      if (o.failed > 0) throw new Error(`scale-out: ${o.failed} child imports failed`);
    }
    const perWorker = await workerOfTables(
      ctx.temporalAddress,
      names.map((n) => importWorkflowId(catalog, n)),
    );
    const r: ScaleOutRun = {
      workers,
      clis,
      tables: names.length,
      seconds: round(seconds, 2),
      tablesPerSecond: round(names.length / seconds, 2),
      tablesPerWorker: [...perWorker.values()].sort((a, b) => b - a),
      cliOutcomes: outs.map((o) => ({
        completed: o.completed,
        alreadyRunning: o.alreadyRunning,
        failed: o.failed,
        importedVersions: o.tables.reduce((s, t) => s + t.versionsImported, 0),
      })),
      writingRunsPerTable: 1,
    };
    ctx.log(
      `  ${workers} worker(s), ${clis} CLI(s): ${names.length} tables in ${r.seconds}s (${r.tablesPerSecond} tables/s); per worker ${r.tablesPerWorker.join('/')}; CLIs ${JSON.stringify(r.cliOutcomes)}`,
    );
    return r;
  } finally {
    for (const p of procs) await p.stop();
  }
}

export async function scaleOutScenario(
  ctx: BenchContext,
  dataRoot: string,
  tables: number,
): Promise<ScaleOutResult> {
  const root = path.join(dataRoot, `scaleout-${tables}`);
  const names = await ensureTables(root, tables, ctx.log);
  const runs = [await oneRun(ctx, root, names, 1, 1), await oneRun(ctx, root, names, 3, 2)];
  return { tables, shape: SHAPE, parallelism: PARALLELISM, runs };
}
