/**
 * Exported checkpoints expire tombstones against the writer's clock, as Spark and delta-kernel-rs
 * do: a `remove` is kept while its `deletionTimestamp` is newer than now minus
 * `delta.deletedFileRetentionDuration` (default 7 days). The generated table spans 9 days (one
 * commit every 12 hours, ending an hour ago), so its first removes have expired and its last ones
 * have not. pyarrow, reading the checkpoint files, is the judge of which removes they hold.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateTable } from '../../bench/generator';
import { loadHistory, tempDir } from '../catalog/helpers';
import { freshCatalog } from '../catalog/conformance-support';
import { runPython } from '../support/python';
import { exportAll, logFile } from './helpers';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const VERSIONS = 19;

const READ_REMOVES = `
import json, sys
import pyarrow.parquet as pq
out = {}
for f in json.load(sys.stdin):
    t = pq.read_table(f, columns=["add", "remove"]).to_pylist()
    out[f] = {"adds": sum(1 for r in t if r["add"] is not None),
              "removes": sorted(r["remove"]["path"] for r in t if r["remove"] is not None)}
print(json.dumps(out))`;

test('a checkpoint keeps the removes newer than now minus the retention, and only those', async () => {
  const src = path.join(tempDir(), 'table');
  const start = Date.now() - HOUR - (VERSIONS - 1) * 12 * HOUR;
  await generateTable({
    dir: src,
    versions: VERSIONS,
    addsPerVersion: 4,
    removesPerVersion: 2,
    partitions: false,
    checkpointInterval: 0,
    baseTimestamp: start,
    commitIntervalMs: 12 * HOUR,
    seed: 7,
  });
  const h = await loadHistory(src);
  const cat = await freshCatalog('postgres', 'export_tombstones');
  try {
    const t = await cat.store.ensureTable({ location: src, name: 'tomb' });
    await cat.store.writeVersions(t.tableId, h.commits);
    const dest = path.join(tempDir(), 'out');
    const plan = await exportAll(cat.store, 'tomb', dest, { checkpointInterval: 6 });
    expect(plan.checkpoints).toEqual([6, 12, 18]);
    expect(Math.abs(plan.nowMs - Date.now())).toBeLessThan(60_000);

    // The expected tombstones at V, from the source commits themselves.
    const removes: { v: number; path: string; ts: number }[] = [];
    for (let v = 0; v < VERSIONS; v++) {
      const lines = fs.readFileSync(logFile(src, `${String(v).padStart(20, '0')}.json`), 'utf8').split('\n');
      for (const l of lines.filter(Boolean)) {
        const a = JSON.parse(l) as { remove?: { path: string; deletionTimestamp: number } };
        if (a.remove) removes.push({ v, path: a.remove.path, ts: a.remove.deletionTimestamp });
      }
    }
    const cutoff = plan.nowMs - 7 * DAY;
    const expected = (v: number): string[] =>
      removes
        .filter((r) => r.v <= v && r.ts > cutoff)
        .map((r) => r.path)
        .sort();
    const files = plan.checkpoints.map((v) =>
      logFile(dest, `${String(v).padStart(20, '0')}.checkpoint.parquet`),
    );
    const seen = await runPython<Record<string, { adds: number; removes: string[] }>>(READ_REMOVES, files);
    const got = files.map((f) => seen[f].removes.length);
    // Before the fix every remove was kept (its version's own time was the reference).
    expect(got).toEqual(plan.checkpoints.map((v) => expected(v).length));
    plan.checkpoints.forEach((v, i) => expect(seen[files[i]].removes).toEqual(expected(v)));
    // Some expired and some did not, so the test tells the two rules apart.
    expect(expected(18).length).toBeGreaterThan(0);
    expect(expected(18).length).toBeLessThan(removes.filter((r) => r.v <= 18).length);
  } finally {
    await cat.drop();
  }
});
