/**
 * A PostgreSQL role without the TEMP privilege cannot create the session-local `pg_temp` function
 * that takes a blind append's next version in one call (catalog/pg-append-next.ts). Its commits
 * must still work: the driver notices the refusal (SQLSTATE 42501) once and every blind append
 * takes the ordinary optimistic, retrying path. Real PostgreSQL: a database of its own with TEMP
 * revoked from PUBLIC and a login role created for it (both dropped afterwards), four writers with
 * a catalog (pool) each committing concurrently: every version exactly once, every file once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { openCatalog, type Catalog } from '../../api';
import { createTable } from '../../catalog/commit/create';
import { quoteIdent } from '../../catalog/sql';
import { openStore } from '../../storage/uri';
import { tempDir } from '../catalog/helpers';
import { PG_URL } from '../support/env';
import { SCHEMA } from './helpers';

jest.setTimeout(120_000);

const WRITERS = 4;
const COMMITS = 10;
const tag = `${process.pid}_${Date.now().toString(36)}`;
const database = `dq_notemp_${tag}`;
const role = `dq_notemp_${tag}`;
const password = `pw_${tag}`;

async function admin<T>(fn: (c: Client) => Promise<T>, db?: string): Promise<T> {
  const url = new URL(PG_URL);
  if (db) url.pathname = `/${db}`;
  const c = new Client({ connectionString: url.toString() });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

function roleUrl(): string {
  const url = new URL(PG_URL);
  url.username = role;
  url.password = password;
  url.pathname = `/${database}`;
  url.search = '?schema=catalog';
  return url.toString();
}

beforeAll(async () => {
  await admin(async (c) => {
    await c.query(`CREATE DATABASE ${quoteIdent(database)}`);
    await c.query(`REVOKE TEMP ON DATABASE ${quoteIdent(database)} FROM PUBLIC`);
    await c.query(`CREATE ROLE ${quoteIdent(role)} LOGIN PASSWORD '${password}'`);
    await c.query(`GRANT CONNECT, CREATE ON DATABASE ${quoteIdent(database)} TO ${quoteIdent(role)}`);
  });
});

afterAll(async () => {
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
    await c.query(`DROP ROLE IF EXISTS ${quoteIdent(role)}`);
  });
});

test('a role without TEMP: concurrent blind appends fall back to the checked path, every version once', async () => {
  // The premise: this role really cannot create temporary objects in the database.
  const canTemp = await admin(async (c) => {
    const r = await c.query<{ ok: boolean }>(`SELECT has_database_privilege($1, $2, 'TEMP') AS ok`, [
      role,
      database,
    ]);
    return r.rows[0].ok;
  });
  expect(canTemp).toBe(false);

  const location = path.join(tempDir('deltasql-notemp-'), 'nt');
  fs.mkdirSync(location);
  const url = roleUrl();
  const setup: Catalog = await openCatalog(url, { temporal: null });
  const cats: Catalog[] = [];
  try {
    await createTable(setup.store.driver, openStore(location), { name: 'nt', location, schema: SCHEMA });
    for (let k = 0; k < WRITERS; k++) cats.push(await openCatalog(url, { temporal: null }));
    const results = await Promise.all(
      cats.map(async (cat, k) => {
        const t = await cat.table('nt');
        const out: { version: number; path: string; attempts: number }[] = [];
        for (let i = 0; i < COMMITS; i++) {
          const s = await t.state();
          const p = `w${k}-${i}.parquet`;
          const r = await t.commit({
            readVersion: s.lastVersion ?? 0,
            actions: [{ add: { path: p, size: 1000 + i, stats: '{"numRecords":1}' } }],
          });
          out.push({ version: r.version, path: p, attempts: r.attempts });
        }
        return out;
      }),
    );
    const all = results.flat();
    const total = WRITERS * COMMITS;
    // Every commit got its own version, and the versions are exactly 1..total.
    expect(all.map((r) => r.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: total }, (_, i) => i + 1),
    );
    const state = await (await setup.table('nt')).state();
    expect(state.lastVersion).toBe(total);
    // Each version holds exactly the one add its writer committed.
    for (const r of all) {
      const bytes = (await setup.store.commitBytes('nt', r.version)) as Buffer;
      const adds = bytes
        .toString('utf8')
        .split('\n')
        .filter((l) => l.startsWith('{"add"'))
        .map((l) => (JSON.parse(l) as { add: { path: string } }).add.path);
      expect({ version: r.version, adds }).toEqual({ version: r.version, adds: [r.path] });
    }
    // No pg_temp function was ever created by this role (it could not be).
    const temps = await admin(
      (c) =>
        c.query(
          `SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname LIKE 'pg_temp%' AND p.proname = 'deltasql_append_next'`,
        ),
      database,
    );
    expect(temps.rows).toEqual([]);
  } finally {
    for (const c of cats) await c.close();
    await setup.close();
  }
});
