/**
 * Export benchmark (issue 15), two side-by-side measurements, each interleaved A B A B after a
 * warm-up pair (bench/interleave.ts), on tables imported into PostgreSQL once and reused:
 *   1. export the bench table's `_delta_log` from SQL (commits byte for byte, a `.crc` per
 *      version, checkpoints every 100 versions, `_last_checkpoint`) vs `cp -r` of the same log;
 *   2. one checkpoint of a many-file table written from SQL vs delta-rs `create_checkpoint` on
 *      the same table, with the peak RSS of each side (ours sampled in-process over the run,
 *      delta-rs from the python process's `ru_maxrss`, which includes loading the table).
 * At full size the warm-up pair is skipped (a full export is minutes; the first timed pair
 * warms the same caches and counts). Both go through the export steps in-process (the workflow adds one activity per 1000 versions
 * and one per checkpoint). Every run checks its output before its time counts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  exportCheckpoint,
  exportRange,
  finishExport,
  planExport,
  type CheckpointExportResult,
} from '../activities/export-steps';
import { openCatalog } from '../catalog/open';
import type { CatalogStore } from '../catalog/store';
import { DeltaTable } from '../delta/table';
import { openStore } from '../storage/uri';
import type { TableShape } from './config';
import { ensureDataset, type Dataset } from './datasets';
import { interleave, type InterleavedResult } from './interleave';
import { withSchema } from './pg-admin';

/** The many-file table: the 1M files at full size, 20k in quick mode (< 2 minutes). */
export const EXPORT_WIDE: Record<'quick' | 'full', TableShape> = {
  quick: {
    versions: 2,
    addsPerVersion: 10_000,
    removesPerVersion: 0,
    checkpointEvery: 0,
    checkpointLatest: false,
  },
  full: {
    versions: 10,
    addsPerVersion: 100_000,
    removesPerVersion: 0,
    checkpointEvery: 0,
    checkpointLatest: false,
  },
};

const SCHEMA = 'bench_export';
const CHECKPOINT_INTERVAL = 100;
const RANGE_VERSIONS = 1000;

export interface ExportScenarioOptions {
  mode: 'quick' | 'full';
  dbUrl: string;
  dataRoot: string;
  tools: { python: string; deltaRsScript: string };
  /** The many-version table (the full-history bench table). */
  history: TableShape;
  pairs: number;
  log: (line: string) => void;
}

export interface ExportScenarioResult {
  versions: number;
  checkpointsPerExport: number;
  /** Export seconds / `cp -r` seconds. */
  exportVsCopy: InterleavedResult;
  checkpointFiles: number;
  /** Our checkpoint seconds / delta-rs `create_checkpoint` seconds. */
  checkpointVsDeltaRs: InterleavedResult;
  sqlCheckpointPeakRssMb: number;
  deltaRsCheckpointPeakRssMb: number;
  note: string;
}

const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

/** The dataset's table in the catalog, imported through the library once (reused while complete). */
async function imported(store: CatalogStore, ds: Dataset, log: (l: string) => void): Promise<string> {
  const name = `bench_export_${ds.name}`;
  const have = await store.findTable(name);
  if (have && have.lastVersion === ds.latestVersion) return have.tableId;
  if (have) await store.dropTable(have.tableId);
  log(`   importing ${ds.name} (${ds.latestVersion + 1} versions) into PostgreSQL schema ${SCHEMA}`);
  const table = await DeltaTable.open(ds.dir);
  const t = await store.ensureTable({ location: ds.dir, name });
  const BATCH = 200;
  for (let from = 0; from <= ds.latestVersion; from += BATCH) {
    const commits = [];
    for await (const c of table.commits(from, Math.min(ds.latestVersion, from + BATCH - 1))) commits.push(c);
    await store.writeVersions(t.tableId, commits);
  }
  return t.tableId;
}

/** A whole export as the workflow runs it: plan, ranges, checkpoints, `_last_checkpoint`. */
async function exportOnce(store: CatalogStore, tableId: string, dir: string): Promise<number> {
  const dest = openStore(dir);
  const plan = await planExport(store, {
    catalog: '',
    table: tableId,
    dest: dir,
    checkpointInterval: CHECKPOINT_INTERVAL,
    overwrite: false,
  });
  const base = { tableId, overwrite: false };
  for (let from = plan.from; from <= plan.to; from += RANGE_VERSIONS) {
    const to = Math.min(plan.to, from + RANGE_VERSIONS - 1);
    await exportRange(store, dest, { ...base, from, to, commitFrom: plan.commitFrom });
  }
  let newest: CheckpointExportResult | null = null;
  for (const v of plan.checkpoints)
    newest = await exportCheckpoint(store, dest, { ...base, version: v, nowMs: plan.nowMs });
  await finishExport(dest, newest, false);
  return plan.checkpoints.length;
}

function commitNames(dir: string): string[] {
  return fs
    .readdirSync(path.join(dir, '_delta_log'))
    .filter((n) => /^\d{20}\.json$/.test(n))
    .sort();
}

/** The exported commits are the source's, byte for byte (checked outside the timed part). */
function verifyExport(src: string, out: string): void {
  const want = commitNames(src);
  const got = commitNames(out);
  if (got.length !== want.length)
    throw new Error(`export wrote ${got.length} commits, source has ${want.length}`);
  for (const n of [want[0], want[want.length >> 1], want[want.length - 1]]) {
    const a = fs.readFileSync(path.join(src, '_delta_log', n));
    if (!a.equals(fs.readFileSync(path.join(out, '_delta_log', n)))) throw new Error(`${n} differs`);
  }
}

const DELTA_RS_CHECKPOINT = `import sys,time,resource,json
from deltalake import DeltaTable
t=DeltaTable(sys.argv[1])
t0=time.perf_counter()
t.create_checkpoint()
s=time.perf_counter()-t0
print(json.dumps({"seconds":s,"rssKb":resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))`;

export async function exportScenario(o: ExportScenarioOptions): Promise<ExportScenarioResult> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-bench-export-'));
  const store = await openCatalog(withSchema(o.dbUrl, SCHEMA));
  try {
    const hist = await ensureDataset(o.dataRoot, `full-${o.mode}`, o.history, o.tools, o.log);
    const histId = await imported(store, hist, o.log);
    o.log(
      `   export of ${hist.latestVersion + 1} versions (checkpoints every ${CHECKPOINT_INTERVAL}) vs cp -r of the log`,
    );
    let checkpointsPerExport = 0;
    const exportVsCopy = await interleave({
      a: {
        name: 'export',
        run: async (i) => {
          const dir = path.join(tmp, `export-${i}`);
          const t0 = process.hrtime.bigint();
          checkpointsPerExport = await exportOnce(store, histId, dir);
          const s = seconds(t0);
          verifyExport(hist.dir, dir);
          fs.rmSync(dir, { recursive: true, force: true });
          return s;
        },
      },
      b: {
        name: 'cp -r',
        run: async (i) => {
          const dir = path.join(tmp, `copy-${i}`);
          fs.mkdirSync(dir);
          const t0 = process.hrtime.bigint();
          execFileSync('cp', ['-r', path.join(hist.dir, '_delta_log'), path.join(dir, '_delta_log')]);
          const s = seconds(t0);
          verifyExport(hist.dir, dir);
          fs.rmSync(dir, { recursive: true, force: true });
          return s;
        },
      },
      pairs: o.pairs,
      warmup: o.mode === 'full' ? 0 : 1,
      log: o.log,
    });

    const wide = await ensureDataset(
      o.dataRoot,
      `export-wide-${o.mode}`,
      EXPORT_WIDE[o.mode],
      o.tools,
      o.log,
    );
    const wideId = await imported(store, wide, o.log);
    // delta-rs writes its checkpoint into the table: give it a private copy of the log, and put
    // the copy back as it was before each run.
    const rsTable = path.join(tmp, 'rs-table');
    fs.mkdirSync(rsTable);
    execFileSync('cp', ['-r', path.join(wide.dir, '_delta_log'), path.join(rsTable, '_delta_log')]);
    const original = new Set(fs.readdirSync(path.join(rsTable, '_delta_log')));
    o.log(`   one checkpoint of ${wide.numFiles} files at version ${wide.latestVersion}: SQL vs delta-rs`);
    let sqlPeak = 0;
    let rsPeak = 0;
    let files = 0;
    const checkpointVsDeltaRs = await interleave({
      a: {
        name: 'checkpoint from SQL',
        run: async (i) => {
          const dest = openStore(path.join(tmp, `cp-${i}`));
          let peak = process.memoryUsage().rss;
          const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
          const t0 = process.hrtime.bigint();
          const r = await exportCheckpoint(store, dest, {
            tableId: wideId,
            version: wide.latestVersion,
            overwrite: false,
          });
          const s = seconds(t0);
          clearInterval(sampler);
          if (r.numOfAddFiles !== wide.numFiles)
            throw new Error(`checkpoint holds ${r.numOfAddFiles} files, the table ${wide.numFiles}`);
          files = r.numOfAddFiles;
          sqlPeak = Math.max(sqlPeak, peak);
          fs.rmSync(dest.root, { recursive: true, force: true });
          return s;
        },
      },
      b: {
        name: 'delta-rs create_checkpoint',
        run: async () => {
          const log = path.join(rsTable, '_delta_log');
          for (const n of fs.readdirSync(log)) if (!original.has(n)) fs.rmSync(path.join(log, n));
          const py = spawnSync(o.tools.python, ['-c', DELTA_RS_CHECKPOINT, rsTable], { encoding: 'utf8' });
          if (py.status !== 0) throw new Error(`delta-rs create_checkpoint failed: ${py.stderr}`);
          const rs = JSON.parse(py.stdout.trim().split('\n').pop() as string) as {
            seconds: number;
            rssKb: number;
          };
          rsPeak = Math.max(rsPeak, rs.rssKb * 1024);
          return rs.seconds;
        },
      },
      pairs: o.pairs,
      warmup: o.mode === 'full' ? 0 : 1,
      log: o.log,
    });
    return {
      versions: hist.latestVersion + 1,
      checkpointsPerExport,
      exportVsCopy,
      checkpointFiles: files,
      checkpointVsDeltaRs,
      sqlCheckpointPeakRssMb: Math.round(sqlPeak / 2 ** 20),
      deltaRsCheckpointPeakRssMb: Math.round(rsPeak / 2 ** 20),
      note: 'sqlCheckpointPeakRssMb is the whole bench process (its baseline included); delta-rs includes loading the table',
    };
  } finally {
    await store.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
