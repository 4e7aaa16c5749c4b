/**
 * Side-by-side comparisons with the closest peer and with a raw SQLite load (issue 21), each
 * interleaved A B A B (bench/interleave.ts) and each with its correctness check:
 *
 * - `d2d`: latest-state import (`--mode checkpoint-only --skip-validation`, through Temporal, the
 *   workflow's whole wall time) against delta2ducklake `copy_table` (timed inside python; start-up
 *   and DuckLake bootstrap excluded), into SQLite and into PostgreSQL. Both sides must register
 *   exactly the same file set.
 * - `sqliteraw`: the full-history import into SQLite against better-sqlite3 prepared inserts of
 *   the very rows that import wrote, into a fresh file with the same tables, indexes, triggers and
 *   pragmas (SQLITE_PRAGMAS, the catalog driver's own), in 100k-row transactions. The raw side
 *   must end with the same row count per table. Both sides time the rows only: the import's
 *   catalog is created (migrated) and the raw side's schema made before the clock starts, as the
 *   `d2d` pair's catalogs are.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { openCatalog } from '../catalog/open';
import { quoteIdent } from '../catalog/sql';
import { SQLITE_PRAGMAS } from '../catalog/sqlite-store';
import { percentDecoded } from '../delta/path-canonical';
import type { Dataset } from './datasets';
import { fileSetCheck } from './file-sets';
import { importRunner, type ImportRunner } from './import-runner';
import { interleave, type InterleavedResult } from './interleave';
import { dropSchema, withSchema } from './pg-admin';
import { benchImport, withWorker, type BenchContext } from './scenario-import';

const run = promisify(execFile);
const D2dOutSchema = z.object({
  seconds: z.number(),
  numFiles: z.number().int(),
  files: z.array(z.string()),
});
const RAW_TXN_ROWS = 100_000;

export interface PeerOptions {
  python: string;
  d2dScript: string;
  pairs: number;
}

async function catalogFiles(url: string, name: string, version: number): Promise<string[]> {
  const store = await openCatalog(url);
  try {
    const t = await store.findTable(name);
    if (!t) throw new Error(`table ${name} missing from ${url.replace(/:[^:@/]*@/, ':***@')}`);
    return await store.files(t.tableId, { version });
  } finally {
    await store.close();
  }
}

async function deltasqlRun(
  ctx: BenchContext,
  runner: ImportRunner,
  ds: Dataset,
  catalog: string,
  mode: 'full-history' | 'checkpoint-only',
): Promise<number> {
  const r = await benchImport(ctx, runner, ds, catalog, mode);
  const phases = Object.entries(r.activities)
    .map(([k, t]) => `${k}×${t.count} ${t.runSeconds.toFixed(2)}s (queued ${t.queueSeconds.toFixed(2)}s)`)
    .join(', ');
  ctx.log(`    deltasql ${mode} ${r.seconds.toFixed(2)}s: ${phases}`);
  return r.seconds;
}

interface Target {
  engine: 'sqlite' | 'postgres';
  /** A fresh, empty deltasql catalog URL for run `i`. */
  deltasql(i: number): Promise<string>;
  /** A fresh, empty delta2ducklake catalog spec for run `i` (sqlite:FILE / postgres:DSN). */
  d2d(i: number): Promise<string>;
}

function sqliteTarget(dir: string): Target {
  const fresh = (file: string): string => {
    for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
    return file;
  };
  return {
    engine: 'sqlite',
    deltasql: async (i) => `sqlite:///${fresh(path.join(dir, `deltasql-${i}.db`))}`,
    d2d: async (i) => `sqlite:${fresh(path.join(dir, `d2d-${i}.sqlite`))}`,
  };
}

function postgresTarget(dbUrl: string, adminUrl: string): Target {
  // A fresh schema per run: the worker caches its catalog stores (and their migrated state) by URL.
  const schema = (i: number): string => `bench_d2d_deltasql_${i}`;
  const d2dDb = 'deltasql_bench_d2d';
  const u = new URL(dbUrl);
  return {
    engine: 'postgres',
    deltasql: async (i) => {
      if (i >= 2) await dropSchema(dbUrl, schema(i - 2));
      await dropSchema(dbUrl, schema(i));
      return withSchema(dbUrl, schema(i));
    },
    d2d: async () => {
      const { Client } = await import('pg');
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(d2dDb)}`);
        await c.query(`CREATE DATABASE ${quoteIdent(d2dDb)}`);
      } finally {
        await c.end();
      }
      // The password goes to libpq through PGPASSWORD (see d2dRun), never into argv.
      return `postgres:host=${u.hostname} port=${u.port || '5432'} dbname=${d2dDb} user=${decodeURIComponent(u.username)}`;
    },
  };
}

async function d2dRun(
  o: PeerOptions,
  ds: Dataset,
  spec: string,
  dataPath: string,
  pgPassword: string,
): Promise<z.infer<typeof D2dOutSchema>> {
  fs.rmSync(dataPath, { recursive: true, force: true });
  const { stdout } = await run(o.python, [o.d2dScript, 'copy', ds.dir, spec, dataPath, 'bench'], {
    maxBuffer: 512 * 1024 * 1024,
    env: { ...process.env, PGPASSWORD: pgPassword },
  });
  return D2dOutSchema.parse(JSON.parse(stdout.trim().split('\n').pop() ?? '{}'));
}

export interface D2dResult {
  sqlite: InterleavedResult;
  postgres: InterleavedResult | null;
  numFiles: number;
  version: number;
}

/** deltasql checkpoint-only import vs delta2ducklake copy_table, on SQLite then PostgreSQL. */
export async function d2dScenario(
  ctx: BenchContext,
  ds: Dataset,
  o: PeerOptions & { adminUrl: string; postgres: boolean },
): Promise<D2dResult> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-bench-d2d-'));
  const pgPassword = decodeURIComponent(new URL(ctx.dbUrl).password);
  let numFiles = 0;
  try {
    const { value } = await withWorker(ctx, 'd2d', async (w) => {
      const runner = await importRunner(ctx.temporalAddress, w.taskQueue, w.exited);
      try {
        const compare = async (t: Target): Promise<InterleavedResult> => {
          const check = fileSetCheck(`d2d ${t.engine} ${ds.name}@latest`);
          ctx.log(`  ${t.engine}: deltasql checkpoint-only (A) vs delta2ducklake copy_table (B)`);
          return interleave({
            pairs: o.pairs,
            log: ctx.log,
            a: {
              name: 'deltasql',
              run: async (i) => {
                const url = await t.deltasql(i);
                // Untimed, like delta2ducklake's DuckLake bootstrap: the catalog's tables exist.
                await (await openCatalog(url)).close();
                const s = await deltasqlRun(ctx, runner, ds, url, 'checkpoint-only');
                const files = await catalogFiles(url, ds.name, ds.latestVersion);
                check('deltasql', files.map(percentDecoded));
                numFiles = files.length;
                return s;
              },
            },
            b: {
              name: 'delta2ducklake',
              run: async (i) => {
                const out = await d2dRun(o, ds, await t.d2d(i), path.join(tmp, 'd2d-data'), pgPassword);
                check('delta2ducklake', out.files.map(percentDecoded));
                return out.seconds;
              },
            },
          });
        };
        const sqlite = await compare(sqliteTarget(tmp));
        const postgres = o.postgres ? await compare(postgresTarget(ctx.dbUrl, o.adminUrl)) : null;
        return { sqlite, postgres };
      } finally {
        await runner.close();
      }
    });
    return { ...value, numFiles, version: ds.latestVersion };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Every table's row count of a SQLite file (sqlite_% internals excluded). */
function sqliteRowCounts(file: string): Record<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    const out: Record<string, number> = {};
    for (const { name } of db
      .prepare(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`,
      )
      .all() as { name: string }[]) {
      out[name] = (db.prepare(`SELECT count(*) AS n FROM ${quoteIdent(name)}`).get() as { n: number }).n;
    }
    return out;
  } finally {
    db.close();
  }
}

/**
 * The raw baseline: the same schema objects in creation order (untimed, as the import's catalog is
 * created before its timed run), then every row of the source re-inserted with one prepared
 * statement per table, in large transactions: the timed part, reading the source rows included.
 */
function rawSqliteCopy(source: string, target: string): number {
  for (const f of [target, `${target}-wal`, `${target}-shm`]) fs.rmSync(f, { force: true });
  const src = new Database(source, { readonly: true });
  const dst = new Database(target);
  try {
    for (const p of SQLITE_PRAGMAS) dst.pragma(p);
    const objects = src
      .prepare(
        `SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid`,
      )
      .all() as { type: string; name: string; sql: string }[];
    for (const o of objects) dst.exec(o.sql);
    const t0 = process.hrtime.bigint();
    for (const { name } of objects.filter((o) => o.type === 'table')) {
      const cols = (src.prepare(`SELECT * FROM ${quoteIdent(name)} LIMIT 0`).columns() as { name: string }[])
        .length;
      const insert = dst.prepare(
        `INSERT INTO ${quoteIdent(name)} VALUES (${Array.from({ length: cols }, () => '?').join(', ')})`,
      );
      const rows = src
        .prepare(`SELECT * FROM ${quoteIdent(name)}`)
        .raw(true)
        .safeIntegers(true);
      let n = 0;
      dst.exec('BEGIN');
      for (const row of rows.iterate() as IterableIterator<unknown[]>) {
        insert.run(row);
        if (++n % RAW_TXN_ROWS === 0) {
          dst.exec('COMMIT');
          dst.exec('BEGIN');
        }
      }
      dst.exec('COMMIT');
    }
    return Number(process.hrtime.bigint() - t0) / 1e9;
  } finally {
    src.close();
    dst.close();
  }
}

export interface SqliteRawResult extends InterleavedResult {
  rows: Record<string, number>;
}

/** Full-history import into SQLite vs a raw better-sqlite3 load of the same rows. */
export async function sqliteRawScenario(
  ctx: BenchContext,
  ds: Dataset,
  pairs: number,
): Promise<SqliteRawResult> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-bench-sqliteraw-'));
  // A fresh file name per run: the worker keeps its catalog connections open across imports.
  let imported = '';
  const raw = path.join(tmp, 'raw.db');
  let rows: Record<string, number> = {};
  try {
    const { value } = await withWorker(
      ctx,
      'sqliteraw',
      async (w) => {
        const runner = await importRunner(ctx.temporalAddress, w.taskQueue, w.exited);
        try {
          return await interleave({
            pairs,
            log: ctx.log,
            a: {
              name: 'deltasql full-history → SQLite',
              run: async (i) => {
                imported = path.join(tmp, `import-${i}.db`);
                const url = `sqlite:///${imported}`;
                // Untimed, like the raw side's schema and the d2d pair's catalogs: the tables exist.
                await (await openCatalog(url)).close();
                const s = await deltasqlRun(ctx, runner, ds, url, 'full-history');
                rows = sqliteRowCounts(imported);
                return s;
              },
            },
            b: {
              name: 'better-sqlite3 raw insert',
              run: async () => {
                const s = rawSqliteCopy(imported, raw);
                const got = sqliteRowCounts(raw);
                for (const [t, n] of Object.entries(rows))
                  if (got[t] !== n)
                    throw new Error(`raw SQLite load wrote ${got[t]} rows into ${t}, the import ${n}`);
                return s;
              },
            },
          });
        } finally {
          await runner.close();
        }
      },
      true,
    );
    return { ...value, rows };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
