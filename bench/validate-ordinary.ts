/**
 * Validation speed on ordinary bench tables (issue 14): the import's validation as it is now
 * (activities/validate.ts: one aggregate query, then the whole-snapshot diff for a table whose
 * files fit the budget, or the path-range diff above it) against the validation before it (both
 * whole snapshots and one diff), interleaved A B A B on the same catalog, median of pairwise
 * ratios. Tables: the cached bench datasets (.deltasql/bench-data), imported once into a SQLite
 * catalog in a temp dir (untimed). Usage, under the bench lock:
 *   flock /work/team/bench.lock node dist/bench/validate-ordinary.js [dataset-dir ...]
 * Writes bench/results/validate-ordinary.json.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateAgainstLog, type ValidationPlan } from '../activities/validate';
import { openCatalog } from '../catalog/open';
import type { CatalogStore } from '../catalog/store';
import type { Commit } from '../delta/actions';
import { DeltaTable } from '../delta/table';
import { diffSnapshots } from '../parity/diff-engine';
import { interleave, type InterleavedResult } from './interleave';
import { round } from './measure';

const ROOT = path.resolve(__dirname, '..', '..');
const DEFAULT_SETS = [
  'full-quick-8e8c115ff0',
  'sharing-small-full-29c73071a6',
  'sharing-large-full-30810ce730',
];

/** Write the table's readable history (a checkpoint baseline when commit 0 is gone) into `store`. */
async function load(
  store: CatalogStore,
  dir: string,
): Promise<{ id: string; version: number; table: DeltaTable }> {
  const table = await DeltaTable.open(dir);
  const latest = await table.latestVersion();
  const oldest = await table.oldestReconstructableVersion();
  const id = (await store.ensureTable({ location: dir, name: path.basename(dir) })).tableId;
  let from = 0;
  if (oldest > 0) {
    const cp = (await table.checkpoints(oldest)).find((c) => c.version === oldest);
    if (!cp) throw new Error(`no checkpoint at ${oldest} in ${dir}`);
    const snap = await table.snapshot({ version: oldest }, { includeFiles: false });
    await store.writeBaseline(
      id,
      { version: oldest, timestamp: snap.timestamp, file: cp.files[0].path },
      table.checkpointActions(cp),
    );
    from = oldest + 1;
  }
  let batch: Commit[] = [];
  for await (const c of table.commits(from, latest)) {
    batch.push(c);
    if (batch.length >= 200) {
      await store.writeVersions(id, batch);
      batch = [];
    }
  }
  if (batch.length > 0) await store.writeVersions(id, batch);
  return { id, version: latest, table };
}

async function timeIt(fn: () => Promise<boolean>, what: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  const ok = await fn();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (!ok) throw new Error(`${what}: validation did not pass`);
  return s;
}

async function main(): Promise<void> {
  const sets = process.argv.slice(2).length > 0 ? process.argv.slice(2) : DEFAULT_SETS;
  const out: Record<string, unknown>[] = [];
  for (const set of sets) {
    const dir = path.isAbsolute(set) ? set : path.join(ROOT, '.deltasql', 'bench-data', set);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-bench-validate-'));
    const store = await openCatalog(`sqlite:///${path.join(tmp, 'catalog.db')}`);
    try {
      const t0 = Date.now();
      const { id, version, table } = await load(store, dir);
      console.log(
        `[validate] ${set}: imported to version ${version} in ${round((Date.now() - t0) / 1000, 1)} s`,
      );
      let plan: ValidationPlan | null = null;
      const r: InterleavedResult = await interleave({
        a: {
          name: 'validate now',
          run: () =>
            timeIt(
              async () =>
                (
                  await validateAgainstLog(store, table, id, version, () => undefined, {
                    onPlan: (p) => (plan = p),
                  })
                ).passed,
              set,
            ),
        },
        b: {
          name: 'whole snapshots (before)',
          run: () =>
            timeIt(async () => {
              const sql = await store.snapshot(id, { version, includeFiles: true });
              const log = await table.snapshot({ version }, { includeFiles: true });
              return diffSnapshots(log, sql, { maxListedFiles: 20 }).ok;
            }, set),
        },
        pairs: 3,
        log: (l) => console.log(`[validate]   ${l}`),
      });
      const row = {
        dataset: set,
        version,
        plan,
        nowMedianSeconds: round(r.a.median, 3),
        beforeMedianSeconds: round(r.b.median, 3),
        ratioMedian: round(r.ratioMedian, 3),
        ratioMin: round(r.ratioMin, 3),
        ratioMax: round(r.ratioMax, 3),
        loadAverages: r.pairs.map((p) => round(p.loadAvg, 1)),
      };
      console.log(`[validate] ${JSON.stringify(row)}`);
      out.push(row);
    } finally {
      await store.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  const file = path.join(ROOT, 'bench', 'results', 'validate-ordinary.json');
  fs.writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), runs: out }, null, 2) + '\n');
  console.log(`[validate] wrote ${file}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
