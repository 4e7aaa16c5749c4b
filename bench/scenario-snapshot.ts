/**
 * Snapshot latency (issue 10 item 3, issue 21): the data files valid at the latest and at a
 * historical version, read from the SQL catalog on PostgreSQL and by delta-rs from the log, on two
 * tables:
 * - `history`: the full-history table (10k versions, ~1M actions, ~20k live files; quick mode 1k
 *   versions, ~2k files), from the catalog the full-history scenario just imported; historical is
 *   halfway plus 50 (the most commits past a checkpoint);
 * - `large`: the sharing benchmark's one-checkpoint table (1M files; quick 100k) in schema
 *   bench_sharing, built and imported by bench/scenario-sharing.ts (`prepareSharingTables`, cached);
 *   historical is halfway (500k files; quick 50k).
 *
 * Two comparisons per version, each interleaved A B A B (bench/interleave.ts) with one warm-up
 * pair (history: `pairs` timed pairs; large: 3, a run takes seconds): `files`, `CatalogStore.files()` against delta-rs `DeltaTable(path, version=v).file_uris()`,
 * and `snapshot`, `CatalogStore.snapshot({includeFiles: true})` (files with stats and partition
 * values) against the same open plus `get_add_actions(flatten=False)`. delta-rs runs in one warm
 * python process (bench/deltars-serve.ts) and is timed inside python. On the history table every
 * run is the median of `SMALL_REPEATS` calls (a call takes milliseconds).
 *
 * Before any timing each version is checked: SQL files(), the SQL snapshot, delta-rs file_uris()
 * (and on the history table our own log replay) must list exactly the same files (URIs with the
 * table root stripped, stored paths percent-decoded once as delta-rs does), and the SQL snapshot's
 * stored paths must equal get_add_actions()' paths; otherwise the harness fails. Every timed run
 * checks its file count.
 *
 * Index-only scans need a vacuumed table (visibility map). The history catalog is as the import
 * left it (autovacuum may or may not have reached it): its file list is timed once as it is
 * (`filesNoVacuumSeconds`), then the catalog is `VACUUM (ANALYZE)`d outside every timed section.
 * The sharing import already ends with that VACUUM.
 */
import * as path from 'node:path';
import { openCatalog } from '../catalog/open';
import { quoteIdent } from '../catalog/sql';
import type { SqlCatalogStore } from '../catalog/sql-catalog';
import { percentDecoded } from '../delta/path-canonical';
import { DeltaTable } from '../delta/table';
import type { Dataset } from './datasets';
import { DeltaRsServer } from './deltars-serve';
import { requireSameFiles } from './file-sets';
import { DEFAULT_PAIRS, interleave, type InterleavedResult } from './interleave';
import { median, round, timed } from './measure';
import { analyzeSchema, catalogTables, withSchema } from './pg-admin';
import { prepareSharingTables } from './scenario-sharing';

/** Differences listed in the error when the file sets disagree. */
/** Calls per timed run on the ~20k-file table (each takes milliseconds; one call is noisy). */
const SMALL_REPEATS = 3;

export interface VersionLatency {
  version: number;
  numFiles: number;
  /** A: SQL `files()`, B: delta-rs `file_uris()`; speedup = B/A. */
  files: InterleavedResult;
  /** A: SQL `snapshot(...includeFiles)`, B: delta-rs `get_add_actions()`. */
  snapshot: InterleavedResult;
  /** `files()` on the catalog as the import left it (history table only, before VACUUM). */
  filesNoVacuumSeconds: number[] | null;
  /** One log replay (`DeltaTable.snapshot`, full file entries; history table only). */
  replaySeconds: number | null;
  /** Median pairwise speedup of the file list (the goal: >= 10). */
  sqlVsDeltaRs: number;
  /** Median pairwise speedup of the full snapshot (goal: >= 3). */
  snapshotVsDeltaRs: number;
}

export interface TableLatency {
  table: string;
  schema: string;
  latest: VersionLatency;
  historical: VersionLatency;
  /** The explicit VACUUM (ANALYZE) before the headline runs (history table only). */
  vacuumSeconds: number | null;
}

export interface SnapshotResult {
  /** The full-history table (~20k files in full mode). */
  history: TableLatency;
  /** The one-checkpoint sharing table (1M files in full mode). */
  large: TableLatency;
  /** The smallest of the four file-list speedups. */
  sqlVsDeltaRsSpeedup: number;
}

export interface SnapshotOptions {
  quick: boolean;
  dbUrl: string;
  /** Catalog schema of the full-history import. */
  schema: string;
  ds: Dataset;
  dataRoot: string;
  python: string;
  script: string;
  /** Timed pairs per comparison (after one warm-up pair). */
  pairs: number;
  log: (line: string) => void;
}

/** delta-rs URIs relative to the table root (local tables give plain absolute paths). */
function relativeUris(root: string, uris: readonly string[]): string[] {
  const base = path.resolve(root).replace(/\/$/, '') + '/';
  return uris.map((u) => {
    const p = u.startsWith('file://') ? u.slice('file://'.length) : u;
    return p.startsWith(base) ? p.slice(base.length) : p;
  });
}

interface TableCase {
  label: string;
  store: SqlCatalogStore;
  tableId: string;
  ds: Dataset;
  deltaRs: DeltaRsServer;
  repeats: number;
  /** Timed pairs per comparison. */
  pairs: number;
  /** Also replay the log with our own reader (the history table: a few seconds at most). */
  replay: boolean;
}

/** Median seconds of `repeats` calls of `fn`, each checked to list `expected` files. */
async function medianOf(
  repeats: number,
  fn: () => Promise<{ seconds: number; numFiles: number }>,
  expected: number,
  who: string,
): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const r = await fn();
    if (r.numFiles !== expected) throw new Error(`${who} listed ${r.numFiles} files, expected ${expected}`);
    xs.push(r.seconds);
  }
  return median(xs);
}

/**
 * The untimed check before the timed runs (see the file comment); returns the number of files and
 * the replay's seconds. A function of its own so that its million-entry lists are garbage before
 * the timed runs start, rather than a live heap the SQL side's garbage collector walks.
 */
async function checkVersion(
  c: TableCase,
  version: number,
): Promise<{ n: number; replaySeconds: number | null }> {
  const where = `snapshot of ${c.ds.name}@${version}`;
  const sqlFiles = await c.store.files(c.tableId, { version });
  const sqlSnap = await c.store.snapshot(c.tableId, { version, includeFiles: true });
  const uris = await c.deltaRs.request({ op: 'files', version, paths: true });
  const adds = await c.deltaRs.request({ op: 'adds', version, paths: true });
  let replaySeconds: number | null = null;
  const lists: Record<string, readonly string[]> = {
    'SQL files()': sqlFiles.map(percentDecoded),
    'delta-rs file_uris()': relativeUris(c.ds.dir, uris.paths ?? []),
    'SQL snapshot': (sqlSnap.files ?? []).map((f) => percentDecoded(f.path)),
  };
  if (c.replay) {
    const r = await timed(async () =>
      (await DeltaTable.open(c.ds.dir)).snapshot({ version }, { includeFiles: true }),
    );
    replaySeconds = round(r.seconds, 4);
    lists['log replay'] = (r.value.files ?? []).map((f) => percentDecoded(f.path));
  }
  requireSameFiles(where, lists);
  requireSameFiles(where, {
    'SQL snapshot (stored paths)': (sqlSnap.files ?? []).map((f) => f.path),
    'delta-rs get_add_actions()': adds.paths ?? [],
  });
  return { n: sqlFiles.length, replaySeconds };
}

async function measureVersion(
  o: SnapshotOptions,
  c: TableCase,
  version: number,
  filesNoVacuumSeconds: number[] | null,
): Promise<VersionLatency> {
  const where = `snapshot of ${c.ds.name}@${version}`;
  const { n, replaySeconds } = await checkVersion(c, version);
  const sqlTimed = async (fn: () => Promise<number>): Promise<{ seconds: number; numFiles: number }> => {
    const t0 = process.hrtime.bigint();
    const numFiles = await fn();
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, numFiles };
  };
  const pair = (
    what: string,
    sql: () => Promise<number>,
    op: 'files' | 'adds',
  ): Promise<InterleavedResult> => {
    o.log(`  ${c.label} v${version} (${n} files): ${what}`);
    return interleave({
      pairs: c.pairs,
      log: o.log,
      a: {
        name: `SQL ${what}`,
        run: () => medianOf(c.repeats, () => sqlTimed(sql), n, `SQL ${what} of ${where}`),
      },
      b: {
        name: op === 'files' ? 'delta-rs file_uris()' : 'delta-rs get_add_actions()',
        run: () =>
          medianOf(c.repeats, () => c.deltaRs.request({ op, version }), n, `delta-rs ${op} of ${where}`),
      },
    });
  };
  const files = await pair(
    'files()',
    async () => (await c.store.files(c.tableId, { version })).length,
    'files',
  );
  const snapshot = await pair(
    'snapshot(includeFiles)',
    async () => (await c.store.snapshot(c.tableId, { version, includeFiles: true })).files?.length ?? -1,
    'adds',
  );
  o.log(
    `  ${c.label} v${version}: files() ${files.a.median}s vs delta-rs ${files.b.median}s, speedup ` +
      `${files.speedupMedian} (${files.speedupMin}–${files.speedupMax}); snapshot ${snapshot.a.median}s vs ` +
      `${snapshot.b.median}s, speedup ${snapshot.speedupMedian} (${snapshot.speedupMin}–${snapshot.speedupMax})`,
  );
  return {
    version,
    numFiles: n,
    files,
    snapshot,
    filesNoVacuumSeconds,
    replaySeconds,
    sqlVsDeltaRs: files.speedupMedian,
    snapshotVsDeltaRs: snapshot.speedupMedian,
  };
}

async function timeFiles(c: TableCase, version: number, n: number): Promise<number[]> {
  await c.store.files(c.tableId, { version });
  const out: number[] = [];
  for (let i = 0; i < n; i++)
    out.push(round((await timed(() => c.store.files(c.tableId, { version }))).seconds, 4));
  return out;
}

/** The full-history table: timed as imported, VACUUMed, then compared. */
async function historyTable(o: SnapshotOptions): Promise<TableLatency> {
  await analyzeSchema(o.dbUrl, o.schema);
  const store = await openCatalog(withSchema(o.dbUrl, o.schema));
  const deltaRs = new DeltaRsServer(o.python, o.script, o.ds.dir);
  try {
    const t = await store.findTable(o.ds.name);
    if (!t) throw new Error(`table ${o.ds.name} is not in catalog schema ${o.schema}`);
    const c: TableCase = {
      label: 'history',
      store,
      tableId: t.tableId,
      ds: o.ds,
      deltaRs,
      repeats: SMALL_REPEATS,
      pairs: o.pairs,
      replay: true,
    };
    const versions = { latest: o.ds.latestVersion, historical: Math.floor(o.ds.latestVersion / 2) + 50 };
    const noVacuum = {
      latest: await timeFiles(c, versions.latest, o.pairs),
      historical: await timeFiles(c, versions.historical, o.pairs),
    };
    const vacuum = await timed(async () => {
      for (const table of await catalogTables(o.dbUrl, o.schema)) {
        await store.driver.exec(`VACUUM (ANALYZE) ${quoteIdent(o.schema)}.${quoteIdent(table)}`);
      }
    });
    o.log(`  VACUUM (ANALYZE) of the catalog: ${vacuum.seconds.toFixed(1)}s`);
    return {
      table: o.ds.name,
      schema: o.schema,
      latest: await measureVersion(o, c, versions.latest, noVacuum.latest),
      historical: await measureVersion(o, c, versions.historical, noVacuum.historical),
      vacuumSeconds: round(vacuum.seconds, 1),
    };
  } finally {
    await deltaRs.close();
    await store.close();
  }
}

/** The sharing benchmark's 1M-file table (imported there once, then cached in bench_sharing). */
async function largeTable(o: SnapshotOptions): Promise<TableLatency> {
  const { large, store, tables } = await prepareSharingTables({
    quick: o.quick,
    dbUrl: o.dbUrl,
    dataRoot: o.dataRoot,
    python: o.python,
    deltaRsScript: o.script,
    log: o.log,
  });
  const deltaRs = new DeltaRsServer(o.python, o.script, large.dir);
  try {
    const c: TableCase = {
      label: 'large',
      store,
      tableId: tables.large.tableId,
      ds: large,
      deltaRs,
      repeats: 1,
      // A run takes seconds on each side: the minimum of interleaved pairs.
      pairs: DEFAULT_PAIRS,
      replay: false,
    };
    return {
      table: tables.large.name,
      schema: 'bench_sharing',
      latest: await measureVersion(o, c, large.latestVersion, null),
      historical: await measureVersion(o, c, Math.floor(large.latestVersion / 2), null),
      vacuumSeconds: null,
    };
  } finally {
    await deltaRs.close();
    await store.close();
  }
}

export async function snapshotScenario(o: SnapshotOptions): Promise<SnapshotResult> {
  const history = await historyTable(o);
  const large = await largeTable(o);
  return {
    history,
    large,
    sqlVsDeltaRsSpeedup: Math.min(
      history.latest.sqlVsDeltaRs,
      history.historical.sqlVsDeltaRs,
      large.latest.sqlVsDeltaRs,
      large.historical.sqlVsDeltaRs,
    ),
  };
}
