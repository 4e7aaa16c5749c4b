/**
 * Focused micro-benchmark of `CatalogStore.files()` and `CatalogStore.snapshot()` on both engines
 * (issue 10, "SQL snapshot"):
 * one generated table (2000 versions, 50 adds + 25 removes each) written into a Postgres schema
 * and a SQLite file, then the latest and a middle version timed after a warm-up. Kept separate
 * from the full harness so the catalog owner can rerun it in seconds after a change.
 *
 * Usage: node dist/bench/snapshot-sql.js [--pg URL] [--dir DIR] [--iterations N] [--versions N] [--reload]
 * The table and both catalogs are reused from DIR (and the schema) unless --reload is given.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openCatalog } from '../catalog/open';
import type { Commit } from '../delta/actions';
import { DeltaTable } from '../delta/table';
import { generateTable } from './generator';
import { median, round, timed } from './measure';
import { analyzeSchema, dropSchema, withSchema } from './pg-admin';

const DEFAULT_PG_URL = 'postgresql://deltasql:deltasql@127.0.0.1:5432/deltasql_test';
const SCHEMA_PREFIX = 'bench_snapshot_sql';
const TABLE_NAME = 'snapbench';
const DEFAULT_VERSIONS = 2000;
const WRITE_BATCH_VERSIONS = 200;
const DEFAULT_ITERATIONS = 5;

interface Args {
  pgUrl: string;
  dir: string;
  iterations: number;
  reload: boolean;
  versions: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    pgUrl: process.env.DELTASQL_TEST_PG_URL ?? DEFAULT_PG_URL,
    dir: path.join(os.tmpdir(), 'deltasql-snapshot-sql'),
    iterations: DEFAULT_ITERATIONS,
    reload: false,
    versions: DEFAULT_VERSIONS,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--pg') a.pgUrl = argv[++i];
    else if (k === '--dir') a.dir = argv[++i];
    else if (k === '--iterations') a.iterations = Number(argv[++i]);
    else if (k === '--reload') a.reload = true;
    else if (k === '--versions') a.versions = Number(argv[++i]);
    else throw new Error(`unknown argument ${k}`);
  }
  return a;
}

/** Write the whole generated history into one catalog, ~200 versions per writeVersions call. */
async function load(url: string, tableDir: string): Promise<void> {
  const store = await openCatalog(url);
  try {
    const t = await store.ensureTable({ location: tableDir, name: TABLE_NAME });
    const dt = await DeltaTable.open(tableDir);
    const latest = await dt.latestVersion();
    let batch: Commit[] = [];
    for await (const c of dt.commits(0, latest)) {
      batch.push(c);
      if (batch.length >= WRITE_BATCH_VERSIONS) {
        await store.writeVersions(t.tableId, batch);
        batch = [];
      }
    }
    if (batch.length > 0) await store.writeVersions(t.tableId, batch);
  } finally {
    await store.close();
  }
}

interface Timing {
  numFiles: number;
  /** `snapshot(...includeFiles)`. */
  median: number;
  seconds: number[];
  /** `files()`: paths only. */
  filesMedian: number;
  filesSeconds: number[];
}

async function measure(label: string, url: string, iterations: number): Promise<Record<string, Timing>> {
  const store = await openCatalog(url);
  const out: Record<string, Timing> = {};
  try {
    const t = await store.findTable(TABLE_NAME);
    if (!t || t.lastVersion === null) throw new Error(`${label}: table ${TABLE_NAME} not loaded`);
    const versions = { latest: t.lastVersion, historical: Math.floor(t.lastVersion / 2) };
    for (const [name, version] of Object.entries(versions)) {
      await store.snapshot(t.tableId, { version, includeFiles: true });
      await store.files(t.tableId, { version });
      const seconds: number[] = [];
      const filesSeconds: number[] = [];
      let numFiles = -1;
      for (let i = 0; i < iterations; i++) {
        const f = await timed(() => store.files(t.tableId, { version }));
        filesSeconds.push(round(f.seconds, 4));
        const r = await timed(() => store.snapshot(t.tableId, { version, includeFiles: true }));
        seconds.push(round(r.seconds, 4));
        numFiles = r.value.numFiles;
        if (f.value.length !== numFiles)
          throw new Error(
            `${label} v${version}: files() ${f.value.length} paths, snapshot ${numFiles} files`,
          );
      }
      const agg = await timed(() => store.snapshot(t.tableId, { version, includeFiles: false }));
      out[name] = {
        numFiles,
        median: median(seconds),
        seconds,
        filesMedian: median(filesSeconds),
        filesSeconds,
      };
      console.log(
        `${label} ${name} v${version}: ${numFiles} files, files() median ${median(filesSeconds).toFixed(4)}s ` +
          `[${filesSeconds.join(', ')}]; snapshot median ${median(seconds).toFixed(4)}s ` +
          `[${seconds.join(', ')}]; without files ${agg.seconds.toFixed(4)}s`,
      );
    }
  } finally {
    await store.close();
  }
  return out;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const tableDir = path.join(a.dir, 'table');
  const sqliteFile = path.join(a.dir, 'catalog.db');
  // One schema per table size, so a 10k-version run does not replace the default one.
  const schema = a.versions === DEFAULT_VERSIONS ? SCHEMA_PREFIX : `${SCHEMA_PREFIX}_${a.versions}`;
  const pg = withSchema(a.pgUrl, schema);
  const sqlite = `sqlite:///${sqliteFile}`;
  if (a.reload || !fs.existsSync(sqliteFile)) {
    fs.rmSync(a.dir, { recursive: true, force: true });
    fs.mkdirSync(a.dir, { recursive: true });
    const g = await timed(() =>
      generateTable({
        dir: tableDir,
        versions: a.versions,
        addsPerVersion: 50,
        removesPerVersion: 25,
        checkpointInterval: 0,
        seed: 10,
      }),
    );
    console.log(`generated ${a.versions} versions in ${g.seconds.toFixed(1)}s`);
    await dropSchema(a.pgUrl, schema);
    for (const [label, url] of [
      ['sqlite', sqlite],
      ['postgres', pg],
    ] as const) {
      const l = await timed(() => load(url, tableDir));
      console.log(`loaded ${label} in ${l.seconds.toFixed(1)}s`);
    }
    await analyzeSchema(a.pgUrl, schema);
  }
  const results = {
    sqlite: await measure('sqlite', sqlite, a.iterations),
    postgres: await measure('postgres', pg, a.iterations),
  };
  console.log(JSON.stringify(results));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
