/**
 * Issue 18's benchmark: migrating a generated catalog (10k versions; 2k with --quick) from SQLite
 * to PostgreSQL and from PostgreSQL to DuckDB, each against a raw dump and load of the very same
 * rows measured in the same run, interleaved A B A B (bench/interleave.ts):
 * - SQLite -> PostgreSQL vs `sqlite3 -csv` out and `psql \copy ... FROM` in;
 * - PostgreSQL -> DuckDB vs `psql \copy (SELECT ...) TO` out and DuckDB `COPY ... FROM` csv in.
 * The migration side runs `copyTable`, the code the migrate activity runs (batches of whole
 * versions, one target transaction per batch), without Temporal around it; both sides load into
 * a fresh, fully migrated catalog (same tables and indexes) and are checked by row counts.
 * Goal: ratio <= 1.5.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { copyColumns, copyTable, type ColumnMap } from '../catalog/migrate/copy';
import { rowCounts } from '../catalog/migrate/content';
import { readSchema } from '../catalog/migrate/schema';
import { openCatalog, openDriver } from '../catalog/open';
import type { SqlDriver } from '../catalog/sql';
import { quoteIdent } from '../catalog/sql';
import { parseCatalogUrl } from '../catalog/url';
import { DeltaTable } from '../delta/table';
import { generateTable } from './generator';
import { interleave, type InterleavedResult } from './interleave';
import { dropSchema, withSchema } from './pg-admin';

/** Actions per target transaction, the CLI's default. */
const BATCH = 20_000;

export interface MigratePair extends InterleavedResult {
  /** Rows moved per run (every catalog table of the Delta table). */
  rows: number;
  migrateRowsPerSecond: number;
  baselineRowsPerSecond: number;
}

export interface MigrateBenchResult {
  versions: number;
  sqliteToPostgres: MigratePair;
  postgresToDuckdb: MigratePair;
}

const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

async function columnsFor(src: string, dst: string): Promise<ColumnMap> {
  await (await openCatalog(dst)).close();
  const [a, b] = [await openDriver(src), await openDriver(dst)];
  try {
    return copyColumns(await readSchema(a, parseCatalogUrl(src)), await readSchema(b, parseCatalogUrl(dst)));
  } finally {
    await a.close();
    await b.close();
  }
}

/** Migration side: a fresh target, then the timed copy; row counts must equal the source's. */
async function migrateOnce(src: string, dst: string, tableId: string, expected: number): Promise<number> {
  await (await openCatalog(dst)).close();
  const cols = await columnsFor(src, dst);
  const [a, b] = [await openDriver(src), await openDriver(dst)];
  try {
    const t0 = process.hrtime.bigint();
    await copyTable(a, b, tableId, cols, BATCH, () => undefined);
    const s = seconds(t0);
    await check(b, tableId, expected);
    return s;
  } finally {
    await a.close();
    await b.close();
  }
}

async function check(db: SqlDriver, tableId: string, expected: number): Promise<void> {
  const n = Object.values(await rowCounts(db, tableId)).reduce((x, y) => x + y, 0);
  if (n !== expected) throw new Error(`expected ${expected} rows in the target, found ${n}`);
}

/** Tables and columns the raw dump moves: exactly those the migration copies. */
function tableColumns(cols: ColumnMap): [string, string][] {
  return [...cols].map(([t, c]) => [t, c.map((x) => quoteIdent(x.name)).join(', ')]);
}

/**
 * The generated Delta table, cached under `dataRoot` (generation is not what is measured). No
 * checkpoints: the catalog rows come from the commits alone, and the generator's parquet
 * checkpoints took 23 minutes of a loaded machine for 10k versions.
 */
async function generated(dataRoot: string, versions: number, log: (line: string) => void): Promise<string> {
  const dir = path.join(dataRoot, `migrate-${versions}-v2`);
  const ready = path.join(dir, '.bench-ready');
  if (fs.existsSync(ready)) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  const t0 = process.hrtime.bigint();
  await generateTable({
    dir,
    versions,
    addsPerVersion: 2,
    removesPerVersion: 1,
    checkpointInterval: 0,
    seed: 18,
  });
  fs.writeFileSync(ready, '');
  log(`   generated ${versions} versions in ${seconds(t0).toFixed(1)}s (cached at ${dir})`);
  return dir;
}

export async function migrateScenario(o: {
  quick: boolean;
  dbUrl: string;
  dataRoot: string;
  log: (line: string) => void;
}): Promise<MigrateBenchResult> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-bench-migrate-'));
  const versions = o.quick ? 2_000 : 10_000;
  const gen = await generated(o.dataRoot, versions, o.log);
  const sqlitePath = path.join(tmp, 'source.db');
  const sqliteUrl = `sqlite:///${sqlitePath}`;
  const src = await openCatalog(sqliteUrl);
  const table = await DeltaTable.open(gen);
  const t = await src.ensureTable({ location: gen, name: 'bench' });
  for (let lo = 0; lo < versions; lo += 1000) {
    const batch = [];
    for await (const c of table.commits(lo, Math.min(versions - 1, lo + 999))) batch.push(c);
    await src.writeVersions(t.tableId, batch);
  }
  const rows = Object.values(await rowCounts(src.driver, t.tableId)).reduce((x, y) => x + y, 0);
  await src.close();
  o.log(`   ${versions} versions, ${rows} catalog rows`);
  const pgSchema = (i: number | string) => `bench_migrate_${i}`;
  const pgUrl = (i: number | string) => withSchema(o.dbUrl, pgSchema(i));
  const pgEnv = { ...process.env, PGCONNECT_TIMEOUT: '10' };
  /** One psql session running every `\copy` of a script (one process, as a dump/load would). */
  const psql = (lines: string[]): void => {
    const script = path.join(tmp, 'copy.psql');
    fs.writeFileSync(script, lines.join('\n') + '\n');
    execFileSync('psql', [o.dbUrl.replace(/\?.*$/, ''), '-v', 'ON_ERROR_STOP=1', '-q', '-f', script], {
      env: pgEnv,
    });
  };
  try {
    o.log('   SQLite -> PostgreSQL: migration vs sqlite3 -csv | psql \\copy');
    const toPg = await columnsFor(sqliteUrl, pgUrl('probe'));
    const sqliteToPostgres = await interleave({
      log: o.log,
      a: {
        name: 'migrate',
        run: async (i) => {
          await dropSchema(o.dbUrl, pgSchema(i));
          const s = await migrateOnce(sqliteUrl, pgUrl(i), t.tableId, rows);
          await dropSchema(o.dbUrl, pgSchema(i));
          return s;
        },
      },
      b: {
        name: '\\copy',
        run: async (i) => {
          const schema = pgSchema(`raw_${i}`);
          await dropSchema(o.dbUrl, schema);
          await (await openCatalog(pgUrl(`raw_${i}`))).close();
          const t0 = process.hrtime.bigint();
          const tables = tableColumns(toPg);
          const dump = tables.flatMap(([name, list]) => [
            `.once ${path.join(tmp, `${name}.csv`)}`,
            `SELECT ${list} FROM ${name} WHERE table_id = '${t.tableId}';`,
          ]);
          execFileSync('sqlite3', [sqlitePath], { input: ['.mode csv', ...dump].join('\n') + '\n' });
          psql(
            tables.map(
              ([name, list]) =>
                `\\copy ${quoteIdent(schema)}.${name} (${list}) FROM '${path.join(tmp, `${name}.csv`)}' CSV`,
            ),
          );
          const s = seconds(t0);
          const db = await openDriver(pgUrl(`raw_${i}`));
          await check(db, t.tableId, rows).finally(() => db.close());
          await dropSchema(o.dbUrl, schema);
          return s;
        },
      },
    });
    await dropSchema(o.dbUrl, pgSchema('probe'));

    o.log('   PostgreSQL -> DuckDB: migration vs psql \\copy TO csv | DuckDB COPY FROM');
    const pgSource = pgUrl('source');
    await dropSchema(o.dbUrl, pgSchema('source'));
    await migrateOnce(sqliteUrl, pgSource, t.tableId, rows);
    const duck = (name: string) => `duckdb:///${path.join(tmp, `${name}.duckdb`)}`;
    const toDuck = await columnsFor(pgSource, duck('probe'));
    const postgresToDuckdb = await interleave({
      log: o.log,
      a: {
        name: 'migrate',
        run: async (i) => {
          const s = await migrateOnce(pgSource, duck(`m${i}`), t.tableId, rows);
          fs.rmSync(path.join(tmp, `m${i}.duckdb`), { force: true });
          return s;
        },
      },
      b: {
        name: 'COPY',
        run: async (i) => {
          const url = duck(`raw${i}`);
          await (await openCatalog(url)).close();
          const db = await openDriver(url);
          try {
            const t0 = process.hrtime.bigint();
            const tables = tableColumns(toDuck);
            const file = (name: string) => path.join(tmp, `pg-${name}.csv`);
            psql(
              tables.map(
                ([name, list]) =>
                  `\\copy (SELECT ${list} FROM ${quoteIdent(pgSchema('source'))}.${name} WHERE table_id = '${t.tableId}') TO '${file(name)}' CSV NULL '\\N'`,
              ),
            );
            for (const [name, list] of tables) {
              if (fs.statSync(file(name)).size === 0) continue; // nothing to sniff, nothing to load
              await db.exec(
                `COPY ${name} (${list}) FROM '${file(name)}' (FORMAT csv, HEADER false, DELIM ',', QUOTE '"', ESCAPE '"', NULLSTR '\\N')`,
              );
            }
            const s = seconds(t0);
            await check(db, t.tableId, rows);
            return s;
          } finally {
            await db.close();
            fs.rmSync(path.join(tmp, `raw${i}.duckdb`), { force: true });
          }
        },
      },
    });
    await dropSchema(o.dbUrl, pgSchema('source'));
    const pair = (r: InterleavedResult): MigratePair => ({
      ...r,
      rows,
      migrateRowsPerSecond: Math.round(rows / r.a.median),
      baselineRowsPerSecond: Math.round(rows / r.b.median),
    });
    return {
      versions,
      sqliteToPostgres: pair(sqliteToPostgres),
      postgresToDuckdb: pair(postgresToDuckdb),
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
