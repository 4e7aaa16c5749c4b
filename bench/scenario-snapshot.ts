/**
 * Snapshot latency (issue 10, item 3): the list of data files valid at the latest and at a
 * historical version. The primary comparison is like for like: `CatalogStore.files()` (SQL)
 * against delta-rs `DeltaTable(path, version=v).file_uris()` (timed inside python), both of which
 * return only the file list. Also reported: the full SQL snapshot (`snapshot(...includeFiles)`,
 * stats and partition values included) and our own log replay (`DeltaTable.snapshot`).
 *
 * All four must return exactly the same set of files (delta-rs URIs with the table root stripped,
 * our stored paths percent-decoded once as delta-rs does), or the comparison is void and the
 * harness fails.
 *
 * Index-only scans need a vacuumed table (visibility map). An import leaves that to autovacuum,
 * which reaches a freshly imported catalog within a minute or so; the file list is therefore timed
 * once as the import left it (`filesNoVacuumMedian`) and then, for the headline, after an explicit
 * `VACUUM (ANALYZE)` of the catalog tables (outside every timed section, `vacuumSeconds`).
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { openCatalog } from '../catalog/open';
import { quoteIdent } from '../catalog/sql';
import { DeltaTable } from '../delta/table';
import type { Dataset } from './datasets';
import { median, round, timed } from './measure';
import { analyzeSchema, catalogTables, withSchema } from './pg-admin';

const run = promisify(execFile);
const DeltaRsFilesSchema = z.object({
  seconds: z.array(z.number()),
  numFiles: z.number().int(),
  uris: z.array(z.string()).optional(),
});
/** Differences listed in the error when the file sets disagree. */
const MAX_REPORTED_DIFFERENCES = 5;

type Store = Awaited<ReturnType<typeof openCatalog>>;

export interface VersionLatency {
  version: number;
  numFiles: number;
  /** `CatalogStore.files()` (the primary SQL figure), after VACUUM. */
  sqlSeconds: number[];
  /** `CatalogStore.files()` on the catalog as the import left it (before VACUUM). */
  filesNoVacuumSeconds: number[];
  /** `CatalogStore.snapshot(...includeFiles)`: full file entries, after VACUUM. */
  snapshotSeconds: number[];
  replaySeconds: number[];
  deltaRsSeconds: number[];
  /** One fresh `python deltars.py files` process, interpreter start-up included. */
  deltaRsProcessSeconds: number;
  sqlMedian: number;
  filesNoVacuumMedian: number;
  snapshotMedian: number;
  replayMedian: number;
  deltaRsMedian: number;
  /** delta-rs file list / SQL file list: the goal (>= 5). */
  sqlVsDeltaRs: number;
  /** delta-rs file list / full SQL snapshot. */
  snapshotVsDeltaRs: number;
  /** Log replay / full SQL snapshot (both build full file entries). */
  sqlVsReplay: number;
}

export interface SnapshotResult {
  latest: VersionLatency;
  historical: VersionLatency;
  vacuumSeconds: number;
  /** The smaller of the two speedups (SQL file list vs delta-rs file list, in-python time). */
  sqlVsDeltaRsSpeedup: number;
}

async function deltaRs(
  o: SnapshotOptions,
  version: number,
  iterations: number,
  uris: boolean,
): Promise<z.infer<typeof DeltaRsFilesSchema>> {
  const args = [
    o.script,
    'files',
    o.ds.dir,
    String(version),
    String(iterations),
    ...(uris ? ['--uris'] : []),
  ];
  const { stdout } = await run(o.python, args, { maxBuffer: 256 * 1024 * 1024 });
  return DeltaRsFilesSchema.parse(JSON.parse(stdout.trim().split('\n').pop() ?? '{}'));
}

/** A stored add path as delta-rs reports it relative to the root: percent-decoded once. */
function decodedPath(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

/** delta-rs URIs relative to the table root (local tables give plain absolute paths). */
function relativeUris(root: string, uris: readonly string[]): string[] {
  const base = path.resolve(root).replace(/\/$/, '') + '/';
  return uris.map((u) => {
    const p = u.startsWith('file://') ? u.slice('file://'.length) : u;
    return p.startsWith(base) ? p.slice(base.length) : p;
  });
}

/** Throws unless every list holds exactly the same files, each once. */
function requireSameFiles(where: string, lists: Record<string, readonly string[]>): void {
  const [[refName, ref], ...rest] = Object.entries(lists);
  const refSet = new Set(ref);
  for (const [name, other] of rest) {
    const otherSet = new Set(other);
    const missing = ref.filter((f) => !otherSet.has(f));
    const extra = other.filter((f) => !refSet.has(f));
    if (other.length !== ref.length || refSet.size !== ref.length || missing.length > 0 || extra.length > 0) {
      throw new Error(
        `${where}: ${name} (${other.length} files) disagrees with ${refName} (${ref.length} files); ` +
          `only in ${refName}: ${JSON.stringify(missing.slice(0, MAX_REPORTED_DIFFERENCES))}, ` +
          `only in ${name}: ${JSON.stringify(extra.slice(0, MAX_REPORTED_DIFFERENCES))}`,
      );
    }
  }
}

async function timeFiles(store: Store, tableId: string, version: number, n: number): Promise<number[]> {
  await store.files(tableId, { version });
  const out: number[] = [];
  for (let i = 0; i < n; i++)
    out.push(round((await timed(() => store.files(tableId, { version }))).seconds, 4));
  return out;
}

async function measureVersion(
  o: SnapshotOptions,
  store: Store,
  tableId: string,
  version: number,
  filesNoVacuumSeconds: number[],
): Promise<VersionLatency> {
  const n = o.iterations;
  const sqlSeconds: number[] = [];
  const snapshotSeconds: number[] = [];
  const replaySeconds: number[] = [];
  // One untimed warm-up each (connection pool, page cache, JIT); their results are compared below.
  const sqlFiles = await store.files(tableId, { version });
  const sqlSnap = await store.snapshot(tableId, { version, includeFiles: true });
  const replay = await (await DeltaTable.open(o.ds.dir)).snapshot({ version }, { includeFiles: true });
  for (let i = 0; i < n; i++) {
    sqlSeconds.push(round((await timed(() => store.files(tableId, { version }))).seconds, 4));
    snapshotSeconds.push(
      round((await timed(() => store.snapshot(tableId, { version, includeFiles: true }))).seconds, 4),
    );
    const r = await timed(async () =>
      (await DeltaTable.open(o.ds.dir)).snapshot({ version }, { includeFiles: true }),
    );
    replaySeconds.push(round(r.seconds, 4));
  }
  const d = await deltaRs(o, version, n + 1, true);
  const deltaRsSeconds = d.seconds.slice(1).map((x) => round(x, 4));
  const proc = await timed(() => deltaRs(o, version, 1, false));
  requireSameFiles(`snapshot of ${o.ds.name}@${version}`, {
    'SQL files()': sqlFiles.map(decodedPath),
    'delta-rs file_uris()': relativeUris(o.ds.dir, d.uris ?? []),
    'SQL snapshot': (sqlSnap.files ?? []).map((f) => decodedPath(f.path)),
    'log replay': (replay.files ?? []).map((f) => decodedPath(f.path)),
  });
  const sqlMedian = median(sqlSeconds);
  const snapshotMedian = median(snapshotSeconds);
  const replayMedian = median(replaySeconds);
  const deltaRsMedian = median(deltaRsSeconds);
  const filesNoVacuumMedian = median(filesNoVacuumSeconds);
  o.log(
    `  v${version} (${sqlFiles.length} files): SQL files ${sqlMedian.toFixed(4)}s (before VACUUM ` +
      `${filesNoVacuumMedian.toFixed(4)}s), delta-rs ${deltaRsMedian.toFixed(4)}s (process ` +
      `${proc.seconds.toFixed(2)}s); SQL snapshot ${snapshotMedian.toFixed(4)}s, replay ${replayMedian.toFixed(4)}s`,
  );
  return {
    version,
    numFiles: sqlFiles.length,
    sqlSeconds,
    filesNoVacuumSeconds,
    snapshotSeconds,
    replaySeconds,
    deltaRsSeconds,
    deltaRsProcessSeconds: round(proc.seconds),
    sqlMedian,
    filesNoVacuumMedian,
    snapshotMedian,
    replayMedian,
    deltaRsMedian,
    sqlVsDeltaRs: round(deltaRsMedian / sqlMedian, 2),
    snapshotVsDeltaRs: round(deltaRsMedian / snapshotMedian, 2),
    sqlVsReplay: round(replayMedian / snapshotMedian, 2),
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
    const versions = {
      latest: o.ds.latestVersion,
      // Halfway, and halfway between two checkpoints: the replay has the most commits to apply.
      historical: Math.floor(o.ds.latestVersion / 2) + 50,
    };
    const noVacuum = {
      latest: await timeFiles(store, t.tableId, versions.latest, o.iterations),
      historical: await timeFiles(store, t.tableId, versions.historical, o.iterations),
    };
    const vacuum = await timed(async () => {
      for (const table of await catalogTables(o.dbUrl, o.schema)) {
        await store.driver.exec(`VACUUM (ANALYZE) ${quoteIdent(o.schema)}.${quoteIdent(table)}`);
      }
    });
    o.log(`  VACUUM (ANALYZE) of the catalog: ${vacuum.seconds.toFixed(1)}s`);
    const latest = await measureVersion(o, store, t.tableId, versions.latest, noVacuum.latest);
    const historical = await measureVersion(o, store, t.tableId, versions.historical, noVacuum.historical);
    return {
      latest,
      historical,
      vacuumSeconds: round(vacuum.seconds, 1),
      sqlVsDeltaRsSpeedup: Math.min(latest.sqlVsDeltaRs, historical.sqlVsDeltaRs),
    };
  } finally {
    await store.close();
  }
}
