/**
 * Export benchmark (issue 15), two measurements in one run:
 *   1. export a generated table's log from PostgreSQL (commits byte for byte + a .crc per version,
 *      checkpoints every 100 versions) vs `cp -r` of the same `_delta_log`: the ratio of wall times;
 *   2. one checkpoint of a many-file table written from SQL vs delta-rs `create_checkpoint` on the
 *      same table: the ratio, and peak RSS of each side (ours sampled in-process, delta-rs from
 *      its `ru_maxrss`).
 * Both go through the export steps directly (the workflow adds one activity per 1000 versions).
 * Sizes are parameters: the full sizes are 10k versions and 1M files.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { exportCheckpoint, exportRange, planExport } from '../activities/export-steps';
import type { CatalogStore } from '../catalog/store';
import { DeltaTable } from '../delta/table';
import { openStore } from '../storage/uri';
import { generateTable } from './generator';

export interface ExportBenchOptions {
  store: CatalogStore;
  python: string;
  versions: number;
  addsPerVersion: number;
  checkpointFiles: number;
}

export interface ExportBenchResult {
  versions: number;
  exportSeconds: number;
  copySeconds: number;
  exportVsCopy: number;
  checkpointFiles: number;
  sqlCheckpointSeconds: number;
  deltaRsCheckpointSeconds: number;
  sqlVsDeltaRs: number;
  sqlPeakRssMb: number;
  deltaRsPeakRssMb: number;
}

async function importAll(store: CatalogStore, root: string, name: string): Promise<string> {
  const table = await DeltaTable.open(root);
  const latest = await table.latestVersion();
  const t = await store.ensureTable({ location: root, name });
  const BATCH = 500;
  for (let from = 0; from <= latest; from += BATCH) {
    const commits = [];
    for await (const c of table.commits(from, Math.min(latest, from + BATCH - 1))) commits.push(c);
    await store.writeVersions(t.tableId, commits);
  }
  return t.tableId;
}

const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

export async function runExportBench(o: ExportBenchOptions): Promise<ExportBenchResult> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-bench-export-'));
  try {
    // 1. Many versions: export vs cp -r.
    const hist = path.join(tmp, 'hist');
    await generateTable({
      dir: hist,
      versions: o.versions,
      addsPerVersion: o.addsPerVersion,
      partitions: true,
      seed: 15,
    });
    const histId = await importAll(o.store, hist, `bench_export_hist_${process.pid}`);
    let t0 = process.hrtime.bigint();
    execFileSync('cp', ['-r', path.join(hist, '_delta_log'), path.join(tmp, 'copied_log')]);
    const copySeconds = seconds(t0);
    const dest = openStore(path.join(tmp, 'exported'));
    t0 = process.hrtime.bigint();
    const plan = await planExport(o.store, {
      catalog: '',
      table: histId,
      dest: dest.root,
      checkpointInterval: 100,
      overwrite: false,
    });
    for (let from = plan.from; from <= plan.to; from += 1000) {
      const to = Math.min(plan.to, from + 999);
      await exportRange(o.store, dest, {
        tableId: histId,
        from,
        to,
        commitFrom: plan.commitFrom,
        overwrite: false,
      });
    }
    for (const v of plan.checkpoints)
      await exportCheckpoint(o.store, dest, { tableId: histId, version: v, overwrite: false });
    const exportSeconds = seconds(t0);

    // 2. Many files: one checkpoint from SQL vs delta-rs create_checkpoint.
    const wide = path.join(tmp, 'wide');
    const perVersion = 50_000;
    const versions = Math.max(1, Math.ceil(o.checkpointFiles / perVersion));
    await generateTable({
      dir: wide,
      versions,
      addsPerVersion: Math.min(perVersion, o.checkpointFiles),
      partitions: true,
      seed: 16,
    });
    const wideId = await importAll(o.store, wide, `bench_export_wide_${process.pid}`);
    const wideDest = openStore(path.join(tmp, 'wide-exported'));
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    t0 = process.hrtime.bigint();
    const cp = await exportCheckpoint(o.store, wideDest, {
      tableId: wideId,
      version: versions - 1,
      overwrite: false,
    });
    const sqlCheckpointSeconds = seconds(t0);
    clearInterval(sampler);
    const py = spawnSync(
      o.python,
      [
        '-c',
        'import sys,time,resource,json\nfrom deltalake import DeltaTable\nt=DeltaTable(sys.argv[1])\nt0=time.perf_counter()\nt.create_checkpoint()\ns=time.perf_counter()-t0\nprint(json.dumps({"seconds":s,"rssKb":resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))',
        wide,
      ],
      { encoding: 'utf8' },
    );
    if (py.status !== 0) throw new Error(`delta-rs create_checkpoint failed: ${py.stderr}`);
    const rs = JSON.parse(py.stdout.trim().split('\n').pop() as string) as { seconds: number; rssKb: number };
    return {
      versions: o.versions,
      exportSeconds,
      copySeconds,
      exportVsCopy: exportSeconds / copySeconds,
      checkpointFiles: cp.numOfAddFiles,
      sqlCheckpointSeconds,
      deltaRsCheckpointSeconds: rs.seconds,
      sqlVsDeltaRs: sqlCheckpointSeconds / rs.seconds,
      sqlPeakRssMb: Math.round(peak / 2 ** 20),
      deltaRsPeakRssMb: Math.round(rs.rssKb / 1024),
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
