/**
 * The fault suite (issue 14): a 2,000-version generated table on S3 (moto) is imported into
 * PostgreSQL by the real Temporal pipeline while everything around the import fails: the worker
 * process is SIGKILLed 10 times at seeded random points and restarted, PostgreSQL restarts once
 * with `-m immediate`, the Temporal server restarts once, and a proxy in front of moto fails 20%
 * of the S3 requests with 500/503/SlowDown/429. The catalog must then equal, row for row, a clean
 * import of the same table: nothing lost, nothing duplicated.
 *
 * PostgreSQL, Temporal and the S3 proxy are the suite's own (services.ts), so restarting them
 * never touches the shared services other test files use concurrently. The clean import runs at
 * the same time, on the shared PostgreSQL and Temporal (their own schema and task queue), where no
 * fault reaches it; the two catalogs are then compared across the two servers. Figures are printed
 * and written to .deltasql/faults/results.json.
 *
 * Cost (issue 14 wants the suite in CI): two workers poll the chaos queue, and each kill hits the
 * one running the in-flight activity (its identity is the activity's last worker), so the retry
 * starts on the standby as soon as the heartbeat times out (5 s; 3 s gave spurious heartbeat
 * timeouts at load ~27), while the replacement starts in the background.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import pLimit from 'p-limit';
import { Pool } from 'pg';
import { generateTable } from '../../bench/generator';
import { Rng } from '../../bench/generator/prng';
import { awaitImport, startImport, type StartedImport } from '../../client/import-client';
import type { TemporalSession } from '../../client/temporal';
import { readEnv } from '../../common/config';
import type { ImportResult } from '../../workflows/types';
import { PG_URL, S3_ENDPOINT } from '../support/env';
import { importInput } from '../support/import';
import { createBucket, filesUnder, useMotoEnv } from '../support/s3';
import { s3ClientFromEnv, S3Store } from '../../storage/s3-store';
import { compareSchemas, type TableDiff } from './catalog-rows';
import { startFaultProxy, type FaultProxy } from './fault-proxy';
import { retryFigures } from './history';
import {
  startPgCluster,
  startTemporalServer,
  withClient,
  type PgCluster,
  type TemporalServer,
} from './services';
import { startWorkerProcess, type WorkerProcess } from './worker-process';

const SEED = 14;
/** Issue 14 asks for 2,000; DELTASQL_FAULTS_VERSIONS (>= 200) trades coverage for CI time. */
const VERSIONS = Math.max(200, Number(process.env.DELTASQL_FAULTS_VERSIONS ?? 2000));
const KILLS = 10;
const S3_FAULT_RATE = 0.2;
const PG_PORT = Number(process.env.DELTASQL_FAULTS_PG_PORT ?? 5439);
const TEMPORAL_PORT = Number(process.env.DELTASQL_FAULTS_TEMPORAL_PORT ?? 7250);
/** Faults fire once the catalog holds these versions: one seeded point in each equal slot. */
const FAULT_WINDOW: [number, number] = [Math.round(VERSIONS * 0.05), Math.round(VERSIONS * 0.95)];
/** Bounds, generous for a loaded machine (a 2-core box under load ~20 needed ~8 min; CI far less). */
const CHAOS_DEADLINE_MS = 900_000;
const POLL_MS = 50;
const TABLE_ID = '0f5a1c3e-1400-4000-8000-000000000014';
/** Workers polling the chaos task queue at once: the one a kill hits, and a standby. */
const CHAOS_WORKERS = 2;
/** The clean import's schema on the shared PostgreSQL (faults never reach it). */
const CLEAN_SCHEMA = `faults_clean_${process.pid}`;
const REPO = path.resolve(__dirname, '..', '..');
const OUT_DIR = path.join(REPO, '.deltasql', 'faults');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-faults-'));
const bucket = `faults-${randomUUID().slice(0, 8)}`;
let pg: PgCluster | undefined;
let temporal: TemporalServer | undefined;
let connection: Connection | undefined;
let proxy: FaultProxy | undefined;
const workers = new Set<WorkerProcess>();
const figures: Record<string, unknown> = { seed: SEED, versions: VERSIONS };

const elapsed = (t0: number): number => Math.round(Date.now() - t0);
/** A timestamped line in .deltasql/faults/progress.log, to follow a long run (`tail -f`). */
const note = (line: string): void =>
  fs.appendFileSync(path.join(OUT_DIR, 'progress.log'), `${new Date().toISOString()} ${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  useMotoEnv();
  const t0 = Date.now();
  [pg, temporal] = await Promise.all([startPgCluster(PG_PORT), startTemporalServer(TEMPORAL_PORT)]);
  figures.servicesStartMs = elapsed(t0);
  connection = await Connection.connect({ address: temporal.address });
  await withClient(pg.url, (c) => c.query(`DROP SCHEMA IF EXISTS faults_chaos CASCADE`));
  await withClient(PG_URL, (c) => c.query(`DROP SCHEMA IF EXISTS ${CLEAN_SCHEMA} CASCADE`));
  proxy = await startFaultProxy({ target: S3_ENDPOINT, rate: S3_FAULT_RATE, seed: SEED });
}, 180_000);

afterAll(async () => {
  // Also after a failure: the figures so far are the post-mortem.
  const report = JSON.stringify(figures, null, 2);
  fs.writeFileSync(path.join(OUT_DIR, 'results.json'), report);
  console.log(`fault suite figures (also in ${path.relative(REPO, OUT_DIR)}/results.json):\n${report}`);
  const steps: Array<() => Promise<unknown>> = [
    ...[...workers].map((w) => () => w.stop()),
    async () => proxy?.close(),
    async () => connection?.close(),
    async () => temporal?.stop(),
    async () => pg?.stop(),
    () => withClient(PG_URL, (c) => c.query(`DROP SCHEMA IF EXISTS ${CLEAN_SCHEMA} CASCADE`)),
  ];
  for (const step of steps) await step().catch((e: unknown) => console.error('teardown:', e));
  fs.rmSync(tmp, { recursive: true, force: true });
}, 120_000);

function session(conn: Connection = connection!): TemporalSession {
  return {
    client: new TemporalClient({ connection: conn }),
    target: { address: temporal!.address, started: false, embedded: false },
    runsWorker: false,
    withWorker: (work) => work(),
    close: async () => undefined,
  };
}

function workerEnv(s3Endpoint: string, temporalAddress: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: temporalAddress,
    AWS_ENDPOINT_URL_S3: s3Endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
  };
}

async function spawnWorker(
  taskQueue: string,
  s3Endpoint: string,
  n: number,
  temporalAddress = temporal!.address,
): Promise<WorkerProcess> {
  const w = await startWorkerProcess({
    taskQueue,
    env: workerEnv(s3Endpoint, temporalAddress),
    logFile: path.join(OUT_DIR, `worker-${n}.log`),
  });
  workers.add(w);
  return w;
}

/** The shared PostgreSQL without its password (the worker gets it as PGPASSWORD). */
function sharedCatalog(schema: string): string {
  const u = new URL(PG_URL);
  u.password = '';
  u.searchParams.set('schema', schema);
  return u.href;
}

/**
 * A clean import: one worker straight to moto, default batching, on the shared PostgreSQL and
 * Temporal, so it runs while the chaos import is failed around (none of its faults reach it).
 */
async function cleanImport(source: string): Promise<ImportResult> {
  const taskQueue = `faults-clean-${randomUUID()}`;
  const shared = readEnv().TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const w = await spawnWorker(taskQueue, S3_ENDPOINT, 0, shared);
  const conn = await Connection.connect({ address: shared });
  try {
    const input = importInput(source, sharedCatalog(CLEAN_SCHEMA), { name: 'faults', tableId: TABLE_ID });
    const env = { ...readEnv(), TEMPORAL_ADDRESS: shared, DELTASQL_TASK_QUEUE: taskQueue };
    return await awaitImport(await startImport(session(conn), env, input), null);
  } finally {
    await w.stop();
    workers.delete(w);
    await conn.close();
  }
}

/** Upload the table's log straight to moto (no faults), 16 objects at a time. */
async function uploadParallel(dir: string, bkt: string, prefix: string): Promise<string> {
  const store = new S3Store({ bucket: bkt, prefix }, s3ClientFromEnv());
  const limit = pLimit(16);
  await Promise.all(
    filesUnder(dir, '_delta_log').map((rel) =>
      limit(() => store.put(rel, fs.readFileSync(path.join(dir, rel)))),
    ),
  );
  return store.root;
}

type FaultKind = 'kill' | 'pg-restart' | 'temporal-restart';
interface FaultEvent {
  kind: FaultKind;
  at: number;
}

/** 10 kills and one restart of each server, shuffled, each at a seeded point of its own slot. */
function faultSchedule(rng: Rng): FaultEvent[] {
  const kinds: FaultKind[] = [...Array<FaultKind>(KILLS).fill('kill'), 'pg-restart', 'temporal-restart'];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [kinds[i], kinds[j]] = [kinds[j], kinds[i]];
  }
  const width = (FAULT_WINDOW[1] - FAULT_WINDOW[0]) / kinds.length;
  return kinds.map((kind, i) => ({
    kind,
    at: Math.floor(FAULT_WINDOW[0] + i * width + rng.float() * width * 0.8),
  }));
}

/** Wait, bounded, until the workflow is closed; tolerates the server being away meanwhile. */
async function waitClosed(started: StartedImport, deadline: number): Promise<ImportResult> {
  while (Date.now() < deadline) {
    const status = await started.handle
      .describe()
      .then((d) => d.status.name)
      .catch(() => 'UNREACHABLE');
    if (status !== 'RUNNING' && status !== 'UNREACHABLE') return awaitImport(started, null);
    await sleep(250);
  }
  throw new Error(`the import workflow is still running after the deadline`);
}

test('under worker kills, PostgreSQL and Temporal restarts and S3 errors, the catalog equals a clean import', async () => {
  const rng = new Rng(SEED, 0xfa);
  const dir = path.join(tmp, 'table');
  let t0 = Date.now();
  await generateTable({
    dir,
    versions: VERSIONS,
    addsPerVersion: 2,
    removesPerVersion: 1,
    checkpointInterval: 1000,
    crcInterval: 0,
    seed: SEED,
  });
  figures.generateMs = elapsed(t0);
  note(`generated ${VERSIONS} versions in ${figures.generateMs} ms`);
  t0 = Date.now();
  await createBucket(bucket);
  const source = await uploadParallel(dir, bucket, 'tables/faults');
  figures.uploadMs = elapsed(t0);
  note(`uploaded in ${figures.uploadMs} ms`);

  // The clean import runs alongside the chaos import, on the shared services.
  const cleanT0 = Date.now();
  const cleanRun = cleanImport(source).then((r) => {
    figures.cleanImportMs = elapsed(cleanT0);
    note(`clean import in ${figures.cleanImportMs} ms`);
    return r;
  });
  cleanRun.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile

  // The chaos import: small transactions and ranges, so faults land inside batches and ranges.
  const taskQueue = `faults-chaos-${randomUUID()}`;
  const catalog = `${pg!.url}?schema=faults_chaos`;
  const input = importInput(source, catalog, {
    name: 'faults',
    tableId: TABLE_ID,
    batchSize: 12,
    actionsPerActivity: 2000,
    heartbeatTimeout: '5s',
  });
  const env = { ...readEnv(), TEMPORAL_ADDRESS: temporal!.address, DELTASQL_TASK_QUEUE: taskQueue };
  const monitor = new Pool({ connectionString: pg!.url, max: 1, connectionTimeoutMillis: 2_000 });
  monitor.on('error', () => undefined);
  let lastVersion = -1;
  const readProgress = async (): Promise<number> => {
    const r = await monitor
      .query<{ v: string | null }>(`SELECT max(last_version)::text AS v FROM faults_chaos.dl_tables`)
      .catch(() => null);
    if (r?.rows[0]?.v != null) lastVersion = Number(r.rows[0].v);
    return lastVersion;
  };

  const schedule = faultSchedule(rng);
  const fired: Array<FaultEvent & { seenVersion: number; ms: number; hitActivity?: boolean }> = [];
  figures.faults = fired;
  figures.s3 = proxy!.stats;
  let workerN = 1;
  let unexpectedExits = 0;
  // The chaos workers; a replacement being started in the background counts as one of them.
  const pool: WorkerProcess[] = [];
  let starting: Promise<void> = Promise.resolve();
  const replace = (): void => {
    const n = workerN++;
    const spawnOne = (): Promise<WorkerProcess> => spawnWorker(taskQueue, proxy!.url, n);
    // One more try when a start fails (a loaded machine): the suite is about the import's faults.
    starting = starting.then(async () => void pool.push(await spawnOne().catch(spawnOne)));
  };
  for (let i = 0; i < CHAOS_WORKERS; i++) replace();
  await starting;
  t0 = Date.now();
  const deadline = t0 + CHAOS_DEADLINE_MS;
  const started = await startImport(session(), env, input);
  /** The worker running the in-flight activity (its identity is `pid@host`), else the oldest. */
  const victim = async (): Promise<{ worker: WorkerProcess; hitActivity: boolean }> => {
    const d = await started.handle.describe().catch(() => null);
    const identity = d?.raw.pendingActivities?.[0]?.lastWorkerIdentity ?? '';
    const pid = Number(identity.split('@')[0]);
    const w = pool.find((x) => x.pid === pid);
    return { worker: w ?? pool[0], hitActivity: w !== undefined };
  };
  try {
    for (const ev of schedule) {
      while ((await readProgress()) < ev.at) {
        if (Date.now() % 5000 < POLL_MS) note(`catalog at version ${lastVersion}`);
        if (Date.now() > deadline)
          throw new Error(`no progress to version ${ev.at} before the deadline (at ${lastVersion})`);
        for (const w of pool.filter((x) => !x.alive())) {
          unexpectedExits++;
          workers.delete(w);
          pool.splice(pool.indexOf(w), 1);
          replace();
        }
        await sleep(POLL_MS);
      }
      await sleep(rng.int(0, 150));
      const seenVersion = await readProgress();
      // Every fault must hit an import still in flight.
      expect(seenVersion).toBeLessThan(VERSIONS - 1);
      const f0 = Date.now();
      let hitActivity: boolean | undefined;
      if (ev.kind === 'kill') {
        // Never hold the schedule for a replacement still starting (a start took ~55 s at load
        // ~27); only when every worker is gone is one waited for.
        if (pool.length === 0) await starting;
        const v = await victim();
        hitActivity = v.hitActivity;
        await v.worker.kill();
        workers.delete(v.worker);
        pool.splice(pool.indexOf(v.worker), 1);
        replace();
      } else if (ev.kind === 'pg-restart') {
        await pg!.restartImmediate();
      } else {
        await temporal!.restart();
      }
      fired.push({
        ...ev,
        seenVersion,
        ms: elapsed(f0),
        ...(hitActivity === undefined ? {} : { hitActivity }),
      });
      note(`${ev.kind} at version ${seenVersion} (${elapsed(f0)} ms)`);
    }
    const result = await waitClosed(started, deadline);
    figures.chaosImportMs = elapsed(t0);
    expect(result.targetVersion).toBe(VERSIONS - 1);
    expect(result.validation?.passed).toBe(true);
  } finally {
    await monitor.end();
    await starting.catch(() => undefined);
    for (const w of pool) {
      await w.stop();
      workers.delete(w);
    }
    const client = new TemporalClient({ connection: connection! });
    figures.temporal = await retryFigures(client, started.workflowId).catch((e: unknown) => String(e));
  }
  const clean = await cleanRun;
  expect(clean.targetVersion).toBe(VERSIONS - 1);
  expect(clean.validation?.passed).toBe(true);

  figures.kills = fired.filter((e) => e.kind === 'kill').length;
  figures.killsThatHitTheRunningActivity = fired.filter((e) => e.hitActivity === true).length;
  figures.unexpectedWorkerExits = unexpectedExits;
  figures.s3FaultRate = +(proxy!.stats.injected / proxy!.stats.requests).toFixed(3);

  const runColumns = 'status, validation, versions_imported, counts';
  figures.chaosRun = await withClient(
    pg!.url,
    async (c) => (await c.query(`SELECT ${runColumns} FROM faults_chaos.dl_import_runs`)).rows,
  );
  figures.cleanRun = await withClient(
    PG_URL,
    async (c) => (await c.query(`SELECT ${runColumns} FROM ${CLEAN_SCHEMA}.dl_import_runs`)).rows,
  );
  t0 = Date.now();
  const diffs: TableDiff[] = await withClient(PG_URL, (expected) =>
    withClient(pg!.url, (actual) =>
      compareSchemas({ client: expected, schema: CLEAN_SCHEMA }, { client: actual, schema: 'faults_chaos' }),
    ),
  );
  figures.compareMs = elapsed(t0);
  figures.rowsCompared = Object.fromEntries(diffs.map((d) => [d.table, d.rows[1]]));
  figures.rowsComparedTotal = diffs.reduce((n, d) => n + d.rows[1], 0);

  expect(fired.map((e) => e.kind).sort()).toEqual(
    [...Array<string>(KILLS).fill('kill'), 'pg-restart', 'temporal-restart'].sort(),
  );
  expect(unexpectedExits).toBe(0);
  // Most kills hit the worker that ran the in-flight activity (between two activities none runs).
  expect(figures.killsThatHitTheRunningActivity).toBeGreaterThanOrEqual(KILLS / 2);
  expect(proxy!.stats.injected).toBeGreaterThan(0);
  expect(diffs.map((d) => d.table)).toEqual(
    expect.arrayContaining(['dl_add_files', 'dl_table_versions', 'dl_import_runs']),
  );
  expect(diffs.filter((d) => d.missingCount + d.extraCount > 0)).toEqual([]);
  expect(figures.rowsCompared).toMatchObject({ dl_table_versions: VERSIONS });
}, 1_200_000);
