/**
 * `deltasql catalog migrate --strategy blue-green` through the real workflow and an in-process
 * worker, on the three switch mechanisms: a PostgreSQL schema rename (one transaction), a MySQL
 * multi-table RENAME TABLE, and a DuckDB file rename. A copy whose validation fails (a corrupted
 * source row: the catalogs agree with each other, the log diff does not) leaves the live catalog
 * exactly as it was; a good one switches, keeps the previous catalog as `<name>_old`, and
 * `--cleanup` drops it. The log diff at every version runs inside the workflow.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { blueGreenUrls } from '../../catalog/migrate/blue-green';
import { openCatalog } from '../../catalog/open';
import { dropMysqlDatabase, mysqlUrl } from '../catalog/conformance-support';
import { dropPgSchema, loadHistory, pgUrl, tempDir, uniqueSchema } from '../catalog/helpers';
import { fixture, PG_URL } from '../support/env';
import { expectParityAtEveryVersion } from '../support/parity';
import { runCli } from '../support/run-cli';
import { compareCatalogs, loadTable, useMigrateHarness } from './support';

const TIMEOUT_MS = 300_000;
const SIMPLE = 'delta-rs/simple_table';
const CDF = 'delta-rs/cdf-table-with-cdc-and-dvs';

const harness = useMigrateHarness();
const { drops } = harness;
const load = loadTable;
const compare = compareCatalogs;
const migrate = (from: string, to: string, ...extra: string[]) =>
  harness.migrate(from, to, '--strategy', 'blue-green', ...extra);
const cleanup = (to: string) => runCli(['catalog', 'migrate', '--to', to, '--cleanup', '--format', 'json']);

async function tablesOf(url: string): Promise<{ name: string; lastVersion: number | null }[]> {
  const s = await openCatalog(url);
  try {
    return (await s.listTables()).map((t) => ({ name: t.name, lastVersion: t.lastVersion }));
  } finally {
    await s.close();
  }
}

/** Schemas named `prefix` or `prefix_*`, read without creating any (opening a catalog would). */
async function pgSchemas(prefix: string): Promise<string[]> {
  const c = new Client({ connectionString: PG_URL });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>(
      `SELECT schema_name AS n FROM information_schema.schemata WHERE schema_name = $1 OR schema_name LIKE $2 ORDER BY 1`,
      [prefix, `${prefix}\\_%`],
    );
    return r.rows.map((x) => x.n);
  } finally {
    await c.end();
  }
}

const migrationOf = async (url: string) =>
  JSON.parse((await runCli(['status', '--catalog', url, '--format', 'json'])).stdout).migration;

const ok = (r: { code: number; stdout: string; stderr: string }) => ({
  code: r.code,
  out: r.code === 0 ? '' : r.stdout + r.stderr,
});

test(
  'postgres: a failed validation leaves the live catalog; a good copy switches in one transaction, keeps _old until --cleanup',
  async () => {
    const from = `sqlite:///${tempDir()}/source.db`;
    const src = await openCatalog(from);
    const simple = await load(src, fixture(SIMPLE), 'simple');
    const cdf = await load(src, fixture(CDF), 'cdf');
    const schema = uniqueSchema('bg');
    const live = pgUrl(schema);
    for (const s of [schema, `${schema}_staging`, `${schema}_old`]) drops.push(() => dropPgSchema(s));
    // The live catalog serves an older copy of one table.
    const l = await openCatalog(live);
    await load(l, fixture(SIMPLE), 'simple', 2);
    await l.close();
    const before = await tablesOf(live);
    expect(before).toEqual([{ name: 'simple', lastVersion: 2 }]);

    // Corrupt one source row: both catalogs agree, the log does not (version 3's file sizes).
    await src.driver.query(`UPDATE {T:dl_add_files} SET size = size + 1 WHERE table_id = ? AND version = 3`, [
      simple,
    ]);
    const bad = await migrate(from, live);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).error).toMatchObject({ type: 'ValidationFailed' });
    expect(JSON.parse(bad.stdout).error.message).toMatch(/simple.*version 3/);
    expect(await tablesOf(live)).toEqual(before);
    expect(await pgSchemas(schema)).toEqual([schema, `${schema}_staging`]);
    // The staging area is marked not switched; the live catalog carries no record of the attempt.
    expect(await migrationOf(blueGreenUrls(live).staging)).toMatchObject({
      strategy: 'blue-green',
      status: 'failed',
      failedTables: [simple],
    });
    expect(await migrationOf(live)).toBeNull();

    // Repaired: the switch goes through; compare is 0, the log holds at every version.
    await src.driver.query(`UPDATE {T:dl_add_files} SET size = size - 1 WHERE table_id = ? AND version = 3`, [
      simple,
    ]);
    const good = await migrate(from, live);
    expect(ok(good)).toEqual({ code: 0, out: '' });
    const out = JSON.parse(good.stdout);
    expect(out).toMatchObject({ strategy: 'blue-green', switched: true });
    expect(
      out.tables.map((t: { name: string; log: { status: string; versions: number } }) => [
        t.name,
        t.log.status,
      ]),
    ).toEqual([
      ['cdf', 'parity'],
      ['simple', 'parity'],
    ]);
    expect(out.tables[1].log.versions).toBe(5);
    expect((await compare(from, live)).code).toBe(0);
    const now = await openCatalog(live);
    try {
      await expectParityAtEveryVersion(now, simple, fixture(SIMPLE));
      await expectParityAtEveryVersion(now, cdf, fixture(CDF));
    } finally {
      await now.close();
    }
    // The previous catalog is kept as <schema>_old; the staging schema is gone (renamed).
    expect(await pgSchemas(schema)).toEqual([schema, `${schema}_old`]);
    expect(await tablesOf(blueGreenUrls(live).old)).toEqual(before);
    expect(await migrationOf(live)).toMatchObject({
      strategy: 'blue-green',
      status: 'switched',
      source: from,
    });

    // Another switch is refused until --cleanup, before anything is written.
    const again = await migrate(from, live);
    expect(JSON.parse(again.stdout).error).toMatchObject({ type: 'InvalidArgument' });
    expect(JSON.parse(again.stdout).error.message).toContain('--cleanup');
    const c = await cleanup(live);
    expect(JSON.parse(c.stdout)).toEqual({ cleanedUp: `${schema}_old` });
    expect(JSON.parse((await cleanup(live)).stdout)).toEqual({ cleanedUp: null });
    expect(await pgSchemas(schema)).toEqual([schema]);
    expect((await compare(from, live)).code).toBe(0);
    await src.close();
  },
  TIMEOUT_MS,
);

test(
  'mysql (RENAME TABLE) and duckdb (file rename): the second switch keeps the first copy as _old; --cleanup in the same run',
  async () => {
    const from = `sqlite:///${tempDir()}/source.db`;
    const src = await openCatalog(from);
    const id = await load(src, fixture(SIMPLE), 'simple', 2);
    const db = uniqueSchema('bgm').slice(0, 40);
    for (const d of [db, `${db}_staging`, `${db}_old`]) drops.push(() => dropMysqlDatabase(d));
    const dir = tempDir();
    const targets = [mysqlUrl(db), `duckdb:///${dir}/catalog.duckdb`];
    for (const live of targets) expect(ok(await migrate(from, live))).toEqual({ code: 0, out: '' });

    const hist = await loadHistory(fixture(SIMPLE));
    await src.writeVersions(
      id,
      hist.commits.filter((c) => c.version > 2),
    );
    for (const live of targets) {
      const r = await migrate(from, live);
      expect(ok(r)).toEqual({ code: 0, out: '' });
      expect((await compare(from, live)).code).toBe(0);
      expect(await tablesOf(live)).toEqual([{ name: 'simple', lastVersion: 4 }]);
      expect(await tablesOf(blueGreenUrls(live).old)).toEqual([{ name: 'simple', lastVersion: 2 }]);
    }
    // MySQL: the cascade trigger moved with the tables (it cannot follow a RENAME TABLE itself).
    const m = await openCatalog(targets[0]);
    await m.driver.query(`DELETE FROM {T:dl_tables} WHERE table_id = ?`, [id]);
    const left = await m.driver.query(`SELECT COUNT(*) AS n FROM {T:dl_add_files} WHERE table_id = ?`, [id]);
    expect(Number(left[0].n)).toBe(0);
    await m.close();

    // DuckDB: a third run with --cleanup switches and drops the old file in one go.
    await src.close();
    const src2 = await openCatalog(from);
    await src2.driver.query(`UPDATE {T:dl_tables} SET name = 'renamed' WHERE table_id = ?`, [id]);
    await src2.close();
    const old = path.join(dir, 'catalog_old.duckdb');
    expect(fs.existsSync(old)).toBe(true);
    fs.rmSync(old);
    const r = await migrate(from, targets[1], '--cleanup');
    expect(ok(r)).toEqual({ code: 0, out: '' });
    expect(JSON.parse(r.stdout).cleanedUp).toBe(old);
    expect(fs.readdirSync(dir).sort()).toEqual(['catalog.duckdb']);
    expect(await tablesOf(targets[1])).toEqual([{ name: 'renamed', lastVersion: 4 }]);
  },
  TIMEOUT_MS,
);
