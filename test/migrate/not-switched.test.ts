/**
 * The direct strategy's "not switched" marker (migration 8, catalog/migrate/state.ts), through the
 * real workflow and an in-process worker, into each of the four engines (the whole story into
 * PostgreSQL; fail, then repair and switch, into the other three). A failed validation
 * fails the migration with `ValidationFailed` and leaves the target marked failed: `status` and
 * `compare` say it is not switched, and it is refused as a migration source
 * (`CatalogNotSwitched`). Re-running the same command repairs it: the tables whose validation
 * failed are copied afresh, the others resume; a table tampered with in the target is caught by
 * the catalog comparison (the first failure is caught by the log diff: a corrupted source row
 * that both catalogs agree on). The repaired target is switched, `compare` is 0 and every
 * version equals the Delta log.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCatalog } from '../../catalog/open';
import { catalogUrl, type Engine } from '../catalog/conformance-support';
import { tempDir } from '../catalog/helpers';
import { fixture } from '../support/env';
import { expectParityAtEveryVersion } from '../support/parity';
import { runCli } from '../support/run-cli';
import { loadTable, useMigrateHarness } from './support';

const TIMEOUT_MS = 300_000;
const SIMPLE = 'delta-rs/simple_table';
const CDF = 'delta-rs/cdf-table-with-cdc-and-dvs';

const { drops, migrate } = useMigrateHarness();
const load = loadTable;

async function statusOf(url: string): Promise<{ json: Record<string, unknown>; human: string }> {
  const j = await runCli(['status', '--catalog', url, '--format', 'json']);
  const t = await runCli(['status', '--catalog', url]);
  expect([j.code, t.code]).toEqual([0, 0]);
  return { json: JSON.parse(j.stdout).migration, human: t.stdout };
}

/** Add 1 to the size of one version's add rows of a table (a corrupted row). */
async function corrupt(url: string, tableId: string, version: number, by: number): Promise<void> {
  const s = await openCatalog(url);
  try {
    await s.driver.query(`UPDATE {T:dl_add_files} SET size = size + ? WHERE table_id = ? AND version = ?`, [
      by,
      tableId,
      version,
    ]);
  } finally {
    await s.close();
  }
}

const errorOf = (r: { code: number; stdout: string }) => ({ code: r.code, ...JSON.parse(r.stdout).error });

test.each<[Engine, boolean]>([
  ['postgres', true],
  ['mysql', false],
  ['duckdb', false],
  ['sqlite', false],
])(
  'sqlite -> %s, direct: a failed validation marks the target not switched; re-runs repair and switch it (whole story: %s)',
  async (engine, whole) => {
    const from = `sqlite:///${tempDir()}/source.db`;
    const src = await openCatalog(from);
    const simple = await load(src, fixture(SIMPLE), 'simple');
    const cdf = await load(src, fixture(CDF), 'cdf');
    await src.close();
    const target = catalogUrl(engine, `ns${engine}`);
    drops.push(target.drop);
    const to = target.url;

    // 1. A corrupted source row (both catalogs agree, the log does not): the log diff fails.
    await corrupt(from, simple, 3, 1);
    const bad = await migrate(from, to);
    expect(errorOf(bad)).toMatchObject({ code: 1, type: 'ValidationFailed' });
    expect(errorOf(bad).message).toMatch(/simple.*version 3.*target is marked as not switched/);
    const failed = await statusOf(to);
    expect(failed.json).toMatchObject({
      source: from,
      strategy: 'direct',
      status: 'failed',
      tablesTotal: 2,
      failedTables: [simple],
    });
    expect(failed.json.error).toMatch(/simple.*version 3/);
    expect(failed.human).toMatch(
      new RegExp(
        `Catalog migration: catalog migration from .*source\\.db \\(direct\\) failed at .*NOT SWITCHED`,
      ),
    );
    const cmp = await runCli(['catalog', 'compare', '--from', from, '--to', to, '--format', 'json']);
    expect(JSON.parse(cmp.stdout).migration).toMatchObject({ source: null, target: { status: 'failed' } });
    // The dry run says what a re-run will do: resume, copying the failed table afresh.
    const dry = await runCli([
      'catalog',
      'migrate',
      '--from',
      from,
      '--to',
      to,
      '--dry-run',
      '--format',
      'json',
    ]);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, resumes: { status: 'failed' } });
    expect(
      JSON.parse(dry.stdout)
        .tables.map((t: { name: string; reset: boolean; versionsToCopy: number }) => [
          t.name,
          t.reset,
          t.versionsToCopy,
        ])
        .sort(),
    ).toEqual([
      ['cdf', false, 0],
      ['simple', true, 5],
    ]);
    await corrupt(from, simple, 3, -1);
    if (whole) await refusedAndTampered(from, to, cdf);

    // The next re-run copies the failed table afresh and switches: compare 0, the log at every version.
    const good = await migrate(from, to);
    expect({ code: good.code, out: good.code === 0 ? '' : good.stdout }).toEqual({ code: 0, out: '' });
    const out = JSON.parse(good.stdout);
    expect(out).toMatchObject({ strategy: 'direct', switched: true });
    // Only the table that failed last is copied again; the other one resumes with nothing to copy.
    expect(
      out.tables.map((t: { name: string; copy: { rows: number } }) => [t.name, t.copy.rows > 0]),
    ).toEqual([
      ['cdf', whole],
      ['simple', !whole],
    ]);
    const ok = await statusOf(to);
    expect(ok.json).toMatchObject({ status: 'switched', failedTables: [], error: null });
    expect(ok.human).toMatch(/Catalog migration: .*complete: switched at/);
    expect((await runCli(['catalog', 'compare', '--from', from, '--to', to])).code).toBe(0);
    const now = await openCatalog(to);
    try {
      await expectParityAtEveryVersion(now, simple, fixture(SIMPLE));
      await expectParityAtEveryVersion(now, cdf, fixture(CDF));
    } finally {
      await now.close();
    }
    // A complete target is not resumed: a second copy needs --incremental, as before.
    if (whole) expect(errorOf(await migrate(from, to)).message).toContain('--incremental');
  },
  TIMEOUT_MS,
);

/**
 * With the source repaired (simple will be copied afresh): the failed target is refused as a
 * source, and a row of the other table tampered with in the target is caught by the catalog
 * comparison of the re-run (no --incremental needed), which marks that table failed in turn.
 */
async function refusedAndTampered(from: string, to: string, cdf: string): Promise<void> {
  // The unfinished target is no catalog to migrate onward: refused before anything is written.
  const onward = path.join(tempDir(), 'onward.duckdb');
  const refused = await migrate(to, `duckdb:///${onward}`);
  expect(errorOf(refused)).toMatchObject({ code: 1, type: 'CatalogNotSwitched' });
  expect(errorOf(refused).message).toContain('NOT SWITCHED');
  expect(fs.existsSync(onward)).toBe(false);
  await corrupt(to, cdf, 1, 7);
  const second = await migrate(from, to);
  expect(errorOf(second)).toMatchObject({ code: 1, type: 'ValidationFailed' });
  expect(errorOf(second).message).toMatch(/cdf does not match the source: versions 1 differ/);
  expect((await statusOf(to)).json).toMatchObject({ status: 'failed', failedTables: [cdf] });
}
