/**
 * `deltasql catalog migrate` / `compare` through the real Temporal workflow and an in-process
 * worker, along the chain sqlite -> postgres -> duckdb -> mysql -> sqlite: five fixtures plus a
 * generated 2,000-version table. After every hop `compare` exits 0 against the previous catalog
 * and the fixtures' snapshots equal the Delta log at every version. Also: dry run writes nothing,
 * refusals (other data, diverged target) write nothing, incremental copies only new versions, and
 * a partly copied table (a crash between batches) resumes without duplicates.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateTable } from '../../bench/generator';
import { copyBatch, copyColumns, ensureTargetTable, planRanges } from '../../catalog/migrate/copy';
import { readSchema } from '../../catalog/migrate/schema';
import { openCatalog } from '../../catalog/open';
import { parseCatalogUrl } from '../../catalog/url';
import { catalogUrl, type Engine } from '../catalog/conformance-support';
import { loadHistory, tempDir } from '../catalog/helpers';
import { fixture } from '../support/env';
import { expectParityAtEveryVersion } from '../support/parity';
import { runCli } from '../support/run-cli';
import { compareCatalogs, loadTable, useMigrateHarness } from './support';

const FIXTURES = [
  'delta-rs/simple_table',
  'delta-rs/simple_table_with_checkpoint',
  'delta-rs/cdf-table-with-cdc-and-dvs',
  'golden/snapshot-data2-deleted',
  'delta-rs/checkpoints_vacuumed',
];
const CHAIN: Engine[] = ['sqlite', 'postgres', 'duckdb', 'mysql', 'sqlite'];
const GENERATED_VERSIONS = 2000;
/** Four hops of 2,000+ versions on a shared 2-core machine. */
const CHAIN_TIMEOUT_MS = 900_000;
const TIMEOUT_MS = 400_000;

let generated: string;
const { drops, migrate } = useMigrateHarness(undefined, async () => {
  generated = path.join(tempDir('deltasql-mig-gen-'), 'gen');
  await generateTable({
    dir: generated,
    versions: GENERATED_VERSIONS,
    addsPerVersion: 2,
    removesPerVersion: 1,
    checkpointInterval: 500,
    seed: 18,
  });
});
const load = loadTable;
const compare = compareCatalogs;

function fresh(engine: Engine, tag: string): string {
  const c = catalogUrl(engine, tag);
  drops.push(c.drop);
  return c.url;
}

test(
  'every hop sqlite -> postgres -> duckdb -> mysql -> sqlite: compare 0, log parity, runs moved',
  async () => {
    const urls = CHAIN.map((e, i) => fresh(e, `mig${i}`));
    const src = await openCatalog(urls[0]);
    const ids: Record<string, string> = {};
    for (const rel of FIXTURES) ids[rel] = await load(src, fixture(rel), rel);
    ids.gen = await load(src, generated, 'generated');
    await src.startRun({
      runId: 'run-1',
      tableId: ids.gen,
      workflowId: 'wf-1',
      temporalRunId: null,
      mode: 'full-history',
      startedAt: 1000,
      fromVersion: 0,
      toVersion: GENERATED_VERSIONS - 1,
      versionsImported: GENERATED_VERSIONS,
      counts: { add: 4000 },
      validation: '{"ok":true}',
      error: null,
    });
    await src.close();
    for (let i = 1; i < urls.length; i++) {
      // The workflow's own log diff at the last version (every version is checked below, and at
      // every version in blue-green.test.ts): 2,000 snapshots per hop would dominate the suite.
      const r = await migrate(urls[i - 1], urls[i], '--batch-size', '3000', '--log-diff', 'latest');
      expect({
        hop: `${CHAIN[i - 1]}->${CHAIN[i]}`,
        code: r.code,
        out: r.code === 0 ? '' : r.stdout,
      }).toEqual({
        hop: `${CHAIN[i - 1]}->${CHAIN[i]}`,
        code: 0,
        out: '',
      });
      const out = JSON.parse(r.stdout) as { tables: { name: string; validation: { equal: boolean } }[] };
      expect(out.tables.map((t) => t.name).sort()).toEqual([...FIXTURES, 'generated'].sort());
      const c = await compare(urls[i - 1], urls[i]);
      expect({ hop: i, code: c.code }).toEqual({ hop: i, code: 0 });
      const dst = await openCatalog(urls[i]);
      try {
        for (const rel of FIXTURES) await expectParityAtEveryVersion(dst, ids[rel], fixture(rel));
        const runs = await dst.listRuns(ids.gen);
        expect(runs).toEqual([
          expect.objectContaining({ runId: 'run-1', counts: { add: 4000 }, validation: '{"ok":true}' }),
        ]);
        // Raw JSON is lossless: the commit lines equal the log's.
        const hist = await loadHistory(fixture(FIXTURES[0]));
        expect(await dst.commitLines(ids[FIXTURES[0]], 2)).toEqual(hist.commits[2].actions.map((a) => a.raw));
      } finally {
        await dst.close();
      }
    }
    // The generated table's log parity on the last hop, at every 50th version and the last.
    const last = await openCatalog(urls[urls.length - 1]);
    try {
      const t = await (await import('../../delta/table')).DeltaTable.open(generated);
      for (let v = 0; v < GENERATED_VERSIONS; v += v >= GENERATED_VERSIONS - 50 ? 1 : 50) {
        expect({ v, s: await last.snapshot(ids.gen, { version: v, includeFiles: true }) }).toEqual({
          v,
          s: await t.snapshot({ version: v }, { includeFiles: true }),
        });
      }
    } finally {
      await last.close();
    }
  },
  CHAIN_TIMEOUT_MS,
);

test(
  '--dry-run reports per table and writes nothing; other data and diverged targets are refused before writing',
  async () => {
    const from = fresh('sqlite', 'dry');
    const src = await openCatalog(from);
    const id = await load(src, fixture('delta-rs/simple_table'), 'simple');
    const dir = tempDir();
    const dryTarget = `duckdb:///${dir}/never.duckdb`;
    const r = await runCli([
      'catalog',
      'migrate',
      '--from',
      from,
      '--to',
      dryTarget,
      '--dry-run',
      '--format',
      'json',
    ]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.tables).toEqual([
      expect.objectContaining({ name: 'simple', firstVersion: 0, lastVersion: 4, versionsToCopy: 5 }),
    ]);
    expect(report.tables[0].rows.dl_table_versions).toBe(5);
    expect(report.tables[0].estimatedBytes).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(dir, 'never.duckdb'))).toBe(false);

    // A target holding another table: refused, and the target is left as it was.
    const other = fresh('postgres', 'other');
    const o = await openCatalog(other);
    await load(o, fixture('delta-rs/simple_table_with_checkpoint'), 'unrelated');
    await o.close();
    const refused = await migrate(from, other);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).error.type).toBe('InvalidArgument');
    expect(refused.stdout).toContain('unrelated');
    const o2 = await openCatalog(other);
    expect((await o2.listTables()).map((t) => t.name)).toEqual(['unrelated']);
    await o2.close();

    // Diverged: the target's version 2 differs from the source's.
    const to = fresh('mysql', 'div');
    expect((await migrate(from, to)).code).toBe(0);
    const dst = await openCatalog(to);
    await dst.driver.query(
      `UPDATE {T:dl_table_versions} SET content_hash = 'x' WHERE table_id = ? AND version = 2`,
      [id],
    );
    await dst.close();
    const div = await migrate(from, to, '--incremental');
    expect(div.code).toBe(1);
    expect(JSON.parse(div.stdout).error).toMatchObject({ type: 'VersionConflict' });
    expect(JSON.parse(div.stdout).error.message).toContain('version 2');
    const again = await migrate(from, to);
    expect(JSON.parse(again.stdout).error.message).toContain('--incremental');
    await src.close();
  },
  TIMEOUT_MS,
);

test(
  '--incremental copies only the new versions (closing validity ranges); a partial copy resumes without duplicates',
  async () => {
    const from = fresh('postgres', 'inc');
    const to = fresh('duckdb', 'inc');
    const src = await openCatalog(from);
    const id = await load(src, generated, 'gen', 299);
    const first = await migrate(from, to, '--batch-size', '200');
    expect({ code: first.code, out: first.code === 0 ? '' : first.stdout + first.stderr }).toEqual({
      code: 0,
      out: '',
    });
    // New versions arrive in the source (their removes close rows copied by the first run).
    const hist = await loadHistory(generated);
    await src.writeVersions(
      id,
      hist.commits.filter((c) => c.version >= 300 && c.version < 400),
    );
    const r = await migrate(from, to, '--incremental', '--batch-size', '200');
    expect(r.code).toBe(0);
    const t = JSON.parse(r.stdout).tables[0];
    const newRows = hist.commits
      .filter((c) => c.version >= 300 && c.version < 400)
      .reduce((n, c) => n + c.actions.length + 1, 0);
    expect(t.copy).toMatchObject({ lastVersion: 399, rows: newRows });
    expect((await compare(from, to)).code).toBe(0);

    // A crash between batches: the first two batches of the next versions are in the target only.
    await src.writeVersions(
      id,
      hist.commits.filter((c) => c.version >= 400 && c.version < 600),
    );
    const dst = await openCatalog(to);
    const [sa, sb] = [
      await readSchema(src.driver, parseCatalogUrl(from)),
      await readSchema(dst.driver, parseCatalogUrl(to)),
    ];
    const cols = copyColumns(sa, sb);
    await ensureTargetTable(src.driver, dst.driver, id, cols);
    const ranges = await planRanges(src.driver, id, 400, 599, 200);
    expect(ranges.length).toBeGreaterThan(2);
    for (const [lo, hi] of ranges.slice(0, 2)) await copyBatch(src.driver, dst.driver, id, lo, hi, cols);
    // Replaying a committed batch (a retried activity) is a no-op.
    expect(await copyBatch(src.driver, dst.driver, id, ranges[0][0], ranges[0][1], cols)).toMatchObject({
      skipped: true,
    });
    await dst.close();
    expect((await compare(from, to)).code).toBe(2);
    const resumed = await migrate(from, to, '--incremental', '--batch-size', '200');
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout).tables[0].copy.lastVersion).toBe(599);
    expect((await compare(from, to)).code).toBe(0);
    await src.close();
  },
  TIMEOUT_MS,
);
