/**
 * Snapshot latency (issue 10, item 3): the file list of the latest and of a historical version,
 * from the SQL catalog (CatalogStore.snapshot), by our own log replay (DeltaTable.snapshot) and
 * by delta-rs (DeltaTable(path, version=v).file_uris(), timed inside python). All three must
 * agree on the number of files, or the comparison is void and the harness fails.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { z } from 'zod';
import { openCatalog } from '../catalog/open';
import { DeltaTable } from '../delta/table';
import type { Dataset } from './datasets';
import { median, round, timed } from './measure';
import { analyzeSchema, withSchema } from './pg-admin';

const run = promisify(execFile);
const DeltaRsFilesSchema = z.object({ seconds: z.array(z.number()), numFiles: z.number().int() });

export interface VersionLatency {
  version: number;
  numFiles: number;
  sqlSeconds: number[];
  replaySeconds: number[];
  deltaRsSeconds: number[];
  /** One fresh `python deltars.py files` process, interpreter start-up included. */
  deltaRsProcessSeconds: number;
  sqlMedian: number;
  replayMedian: number;
  deltaRsMedian: number;
  sqlVsDeltaRs: number;
  sqlVsReplay: number;
}

export interface SnapshotResult {
  latest: VersionLatency;
  historical: VersionLatency;
  /** The smaller of the two speedups (SQL vs delta-rs, in-python time). */
  sqlVsDeltaRsSpeedup: number;
}

async function deltaRs(
  python: string,
  script: string,
  dir: string,
  version: number,
  iterations: number,
): Promise<z.infer<typeof DeltaRsFilesSchema>> {
  const { stdout } = await run(python, [script, 'files', dir, String(version), String(iterations)], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return DeltaRsFilesSchema.parse(JSON.parse(stdout.trim().split('\n').pop() ?? '{}'));
}

async function measureVersion(
  o: SnapshotOptions,
  store: Awaited<ReturnType<typeof openCatalog>>,
  tableId: string,
  version: number,
): Promise<VersionLatency> {
  const n = o.iterations;
  const sqlSeconds: number[] = [];
  const replaySeconds: number[] = [];
  let sqlFiles = -1;
  let replayFiles = -1;
  // One untimed warm-up each (connection pool, page cache, JIT).
  await store.snapshot(tableId, { version, includeFiles: true });
  await (await DeltaTable.open(o.ds.dir)).snapshot({ version }, { includeFiles: true });
  for (let i = 0; i < n; i++) {
    const s = await timed(() => store.snapshot(tableId, { version, includeFiles: true }));
    sqlSeconds.push(round(s.seconds, 4));
    sqlFiles = s.value.numFiles;
    const r = await timed(async () =>
      (await DeltaTable.open(o.ds.dir)).snapshot({ version }, { includeFiles: true }),
    );
    replaySeconds.push(round(r.seconds, 4));
    replayFiles = r.value.numFiles;
  }
  const d = await deltaRs(o.python, o.script, o.ds.dir, version, n + 1);
  const deltaRsSeconds = d.seconds.slice(1).map((x) => round(x, 4));
  const proc = await timed(() => deltaRs(o.python, o.script, o.ds.dir, version, 1));
  if (sqlFiles !== replayFiles || sqlFiles !== d.numFiles) {
    throw new Error(
      `snapshot of ${o.ds.name}@${version} disagrees: SQL ${sqlFiles} files, replay ${replayFiles}, delta-rs ${d.numFiles}`,
    );
  }
  const sqlMedian = median(sqlSeconds);
  const replayMedian = median(replaySeconds);
  const deltaRsMedian = median(deltaRsSeconds);
  o.log(
    `  v${version} (${sqlFiles} files): SQL ${sqlMedian.toFixed(4)}s, replay ${replayMedian.toFixed(4)}s, delta-rs ${deltaRsMedian.toFixed(4)}s (process ${proc.seconds.toFixed(2)}s)`,
  );
  return {
    version,
    numFiles: sqlFiles,
    sqlSeconds,
    replaySeconds,
    deltaRsSeconds,
    deltaRsProcessSeconds: round(proc.seconds),
    sqlMedian,
    replayMedian,
    deltaRsMedian,
    sqlVsDeltaRs: round(deltaRsMedian / sqlMedian, 2),
    sqlVsReplay: round(replayMedian / sqlMedian, 2),
  };
}

export interface SnapshotOptions {
  dbUrl: string;
  schema: string;
  ds: Dataset;
  python: string;
  script: string;
  iterations: number;
  log: (line: string) => void;
}

/** Runs against the catalog the full-history scenario left behind (same rows as its imports). */
export async function snapshotScenario(o: SnapshotOptions): Promise<SnapshotResult> {
  await analyzeSchema(o.dbUrl, o.schema);
  const store = await openCatalog(withSchema(o.dbUrl, o.schema));
  try {
    const t = await store.findTable(o.ds.name);
    if (!t) throw new Error(`table ${o.ds.name} is not in catalog schema ${o.schema}`);
    const latest = await measureVersion(o, store, t.tableId, o.ds.latestVersion);
    // Halfway, and halfway between two checkpoints: the replay has the most commits to apply.
    const historical = await measureVersion(o, store, t.tableId, Math.floor(o.ds.latestVersion / 2) + 50);
    return {
      latest,
      historical,
      sqlVsDeltaRsSpeedup: Math.min(latest.sqlVsDeltaRs, historical.sqlVsDeltaRs),
    };
  } finally {
    await store.close();
  }
}
