/**
 * `catalog migrate --strategy blue-green`: the copy goes into a staging area next to the live
 * catalog while the live one keeps serving; only after validation does one atomic step make the
 * staging area live and keep the previous catalog as `<name>_old` (until `--cleanup`).
 *
 * | engine   | staging / old            | switch                                                   |
 * |----------|--------------------------|----------------------------------------------------------|
 * | postgres | schema `S_staging`/`S_old` | two `ALTER SCHEMA ... RENAME` in one transaction       |
 * | mysql    | database `D_staging`/`D_old` | one multi-table `RENAME TABLE` (atomic in MySQL)      |
 * | sqlite   | file `x_staging.db`/`x_old.db` | hard link live -> old, then rename(2) staging -> live |
 * | duckdb   | same as sqlite           | same as sqlite                                           |
 *
 * MySQL cannot move a table that has a trigger to another database, so the cascade trigger of
 * migration 5 is dropped before the rename and created again on both sides after it: during that
 * moment a manual `DELETE FROM dl_tables` would not cascade (deltasql's own drop deletes the
 * children itself). Embedded files are checkpointed and closed first; a file another process
 * still writes (a WAL that will not go away) is refused rather than switched.
 */
import * as fs from 'node:fs';
import { DeltaSqlError } from '../../common/errors';
import { resolveCatalogRef } from '../../common/credentials';
import { MIGRATIONS, expandTypes } from '../migrations';
import { openDriver } from '../open';
import { quoteIdent, type SqlDriver } from '../sql';
import { isCatalogName, parseCatalogUrl, type CatalogUrl } from '../url';

export interface BlueGreenUrls {
  live: string;
  staging: string;
  old: string;
}

const refuse = (why: string): DeltaSqlError => new DeltaSqlError('InvalidArgument', why);

/** `x.duckdb` -> `x_staging.duckdb` (the suffix goes before the extension). */
function suffixFile(path: string, suffix: string): string {
  const m = /^(.*?)(\.[^./]*)?$/.exec(path) as RegExpExecArray;
  return `${m[1]}${suffix}${m[2] ?? ''}`;
}

/** The staging and old URLs of a live catalog URL (same credentials, same server, other namespace). */
export function blueGreenUrls(live: string): BlueGreenUrls {
  if (isCatalogName(live))
    throw refuse(`--strategy blue-green needs the target as a URL, not the catalog name "${live}"`);
  const u = parseCatalogUrl(live);
  const at = (suffix: string): string => {
    switch (u.engine) {
      case 'sqlite':
      case 'duckdb': {
        if (u.path === ':memory:') throw refuse('an in-memory catalog cannot be switched blue-green');
        const prefix = `${u.engine}:///`;
        return prefix + encodeURI(suffixFile(u.path, suffix));
      }
      case 'postgres': {
        const url = new URL(live);
        if (url.protocol === 'deltasql:')
          throw refuse('--strategy blue-green needs a postgresql:// target URL (with ?schema=)');
        // PostgreSQL would silently cut a longer name to 63 bytes (and staging could meet old).
        if (Buffer.byteLength(u.schema + suffix) > 63)
          throw refuse(`schema name ${u.schema} is too long for a blue-green switch (${u.schema}${suffix})`);
        url.searchParams.set('schema', u.schema + suffix);
        return url.href;
      }
      case 'mysql': {
        const url = new URL(live);
        url.pathname = `/${encodeURIComponent(u.connection.database + suffix)}`;
        return url.href;
      }
    }
  };
  const out = { live, staging: at('_staging'), old: at('_old') };
  // Names that the engine would refuse (too long) fail here, before anything is written.
  parseCatalogUrl(out.staging);
  parseCatalogUrl(out.old);
  return out;
}

const parse = (url: string): CatalogUrl => parseCatalogUrl(resolveCatalogRef(url));

/** The namespace a server catalog lives in (schema or database), for the information_schema. */
function namespaceOf(u: CatalogUrl): string {
  if (u.engine === 'postgres') return u.schema;
  if (u.engine === 'mysql') return u.connection.database;
  return u.path;
}

async function namespaceExists(db: SqlDriver, name: string): Promise<boolean> {
  const r = await db.query(`SELECT 1 AS x FROM information_schema.schemata WHERE schema_name = ?`, [name]);
  return r.length > 0;
}

/** Tables of a namespace that are not deltasql's (a staging area holding them is not ours to drop). */
async function foreignTables(db: SqlDriver, name: string): Promise<string[]> {
  const r = await db.query(
    `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? AND table_name NOT LIKE 'dl\\_%'`,
    [name],
  );
  return r.map((x) => String(x.t));
}

/**
 * Before anything is copied: refuse while `<name>_old` still exists (a previous switch not
 * cleaned up), and empty a staging area left by an earlier failed attempt (only when it holds
 * nothing but deltasql tables).
 */
export async function prepareStaging(urls: BlueGreenUrls): Promise<void> {
  const [staging, old] = [parse(urls.staging), parse(urls.old)];
  if (staging.engine === 'sqlite' || staging.engine === 'duckdb') {
    const oldPath = namespaceOf(old);
    if (fs.existsSync(oldPath))
      throw refuse(
        `the previous catalog ${oldPath} still exists; run catalog migrate --to <url> --cleanup first`,
      );
    for (const f of embeddedFiles(staging.engine, staging.path)) fs.rmSync(f, { force: true });
    return;
  }
  // Through the live catalog's connection: opening the staging area would create it.
  const db = await openDriver(urls.live);
  try {
    const [s, o] = [namespaceOf(staging), namespaceOf(old)];
    if (await namespaceExists(db, o))
      throw refuse(`the previous catalog ${o} still exists; run catalog migrate --to <url> --cleanup first`);
    const foreign = await foreignTables(db, s);
    if (foreign.length > 0)
      throw refuse(
        `staging area ${s} holds tables that are not deltasql's (${foreign.join(', ')}); drop it first`,
      );
    // Opening it again (the copy does) creates it afresh.
    await db.exec(
      staging.engine === 'postgres'
        ? `DROP SCHEMA IF EXISTS ${quoteIdent(s)} CASCADE`
        : `DROP DATABASE IF EXISTS ${quoteIdent(s)}`,
    );
  } finally {
    await db.close();
  }
}

/** The main file and its journal of an embedded catalog. */
function embeddedFiles(engine: 'sqlite' | 'duckdb', path: string): string[] {
  return engine === 'sqlite' ? [path, `${path}-wal`, `${path}-shm`] : [path, `${path}.wal`];
}

/** Fold the journal into the file and close it; refuse when the journal stays (another writer). */
async function settle(url: string, u: CatalogUrl & { engine: 'sqlite' | 'duckdb' }): Promise<void> {
  if (!fs.existsSync(u.path)) return;
  const db = await openDriver(url);
  try {
    if (u.engine === 'sqlite') await db.exec('PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE');
    else await db.exec('CHECKPOINT');
  } finally {
    await db.close();
  }
  const journal = embeddedFiles(u.engine, u.path).slice(1);
  const busy = journal.filter((f) => fs.existsSync(f) && fs.statSync(f).size > 0);
  if (busy.length > 0)
    throw new DeltaSqlError(
      'CatalogUnavailable',
      `catalog ${u.redacted} is still being written by another process (${busy.join(', ')}); stop it and retry the switch`,
    );
}

/** The cascade trigger of migration 5 (MySQL), as DDL for the driver's own database. */
function mysqlTrigger(): string {
  for (const m of MIGRATIONS)
    for (const s of m.statements)
      if (typeof s !== 'string' && s.only === 'mysql' && /CREATE TRIGGER/i.test(s.sql))
        return expandTypes(s.sql, 'mysql');
  throw new DeltaSqlError('CatalogError', 'no MySQL cascade trigger in the migrations');
}

async function switchMysql(urls: BlueGreenUrls, live: string, staging: string, old: string): Promise<void> {
  // Opening creates a missing live database (a first migration); old only when there is a previous catalog.
  const l = await openDriver(urls.live);
  let o: SqlDriver | null = null;
  try {
    const tables = async (db: string) =>
      (
        await l.query(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ?`, [db])
      ).map((r) => String(r.t));
    const [liveTables, stagingTables] = [await tables(live), await tables(staging)];
    if (liveTables.length > 0) o = await openDriver(urls.old);
    const q = (db: string, t: string) => `${quoteIdent(db)}.${quoteIdent(t)}`;
    for (const db of [live, staging])
      await l.exec(`DROP TRIGGER IF EXISTS ${quoteIdent(db)}.${quoteIdent('dl_tables_cascade')}`);
    const moves = [
      ...liveTables.map((t) => `${q(live, t)} TO ${q(old, t)}`),
      ...stagingTables.map((t) => `${q(staging, t)} TO ${q(live, t)}`),
    ];
    await l.exec(`RENAME TABLE ${moves.join(', ')}`);
    if (stagingTables.includes('dl_tables')) await l.exec(mysqlTrigger());
    if (o && liveTables.includes('dl_tables')) await o.exec(mysqlTrigger());
  } finally {
    await l.close();
    await o?.close();
  }
}

/** Make the validated staging area live; the previous live catalog becomes `<name>_old`. */
export async function switchOver(urls: BlueGreenUrls): Promise<void> {
  const [live, staging, old] = [parse(urls.live), parse(urls.staging), parse(urls.old)];
  if (staging.engine === 'sqlite' || staging.engine === 'duckdb') {
    const l = live as CatalogUrl & { engine: 'sqlite' | 'duckdb' };
    await settle(urls.staging, staging);
    await settle(urls.live, l);
    if (fs.existsSync(l.path)) fs.linkSync(l.path, namespaceOf(old));
    fs.renameSync(staging.path, l.path);
    return;
  }
  const [ln, sn, on] = [namespaceOf(live), namespaceOf(staging), namespaceOf(old)];
  if (staging.engine === 'mysql') return switchMysql(urls, ln, sn, on);
  const db = await openDriver(urls.staging);
  try {
    await db.transaction(async (tx) => {
      // A live schema holding nothing (created by an earlier open) is no previous catalog.
      const tables = await tx.query(`SELECT 1 AS x FROM information_schema.tables WHERE table_schema = ?`, [
        ln,
      ]);
      if (tables.length === 0) await tx.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(ln)}`);
      else await tx.exec(`ALTER SCHEMA ${quoteIdent(ln)} RENAME TO ${quoteIdent(on)}`);
      await tx.exec(`ALTER SCHEMA ${quoteIdent(sn)} RENAME TO ${quoteIdent(ln)}`);
    });
  } finally {
    await db.close();
  }
}

/** `--cleanup`: drop `<name>_old`. Returns what was dropped, null when there was nothing. */
export async function cleanupOld(live: string): Promise<string | null> {
  const urls = blueGreenUrls(live);
  const old = parse(urls.old);
  if (old.engine === 'sqlite' || old.engine === 'duckdb') {
    if (!fs.existsSync(old.path)) return null;
    for (const f of embeddedFiles(old.engine, old.path)) fs.rmSync(f, { force: true });
    return old.path;
  }
  const db = await openDriver(urls.live);
  try {
    const name = namespaceOf(old);
    if (!(await namespaceExists(db, name))) return null;
    await db.exec(
      `${old.engine === 'postgres' ? 'DROP SCHEMA' : 'DROP DATABASE'} ${quoteIdent(name)}${old.engine === 'postgres' ? ' CASCADE' : ''}`,
    );
    return name;
  } finally {
    await db.close();
  }
}
