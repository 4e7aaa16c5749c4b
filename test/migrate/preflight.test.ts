/**
 * `catalog migrate` refuses before anything is written, with a typed error and exit code 1, when
 * an engine is unreachable or a permission is missing (catalog/migrate/preflight.ts, run by the
 * CLI before it starts the workflow, so nothing waits on a retried activity). Real servers and
 * real roles: a PostgreSQL role without CREATE on the database, one that may create tables in
 * the target schema but not write its catalog tables, and a MariaDB user without privileges.
 * (A target holding other data is refused by the plan: migrate.test.ts.)
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { openCatalog } from '../../catalog/open';
import { dropMysqlDatabase, mysqlUrl, withMysqlAdmin } from '../catalog/conformance-support';
import { dropPgSchema, loadHistory, pgUrl, tempDir, uniqueSchema } from '../catalog/helpers';
import { fixture, PG_URL } from '../support/env';
import { runCli } from '../support/run-cli';

const tag = randomBytes(4).toString('hex');
const PG_ROLE = `dsql_preflight_${tag}`;
const MY_USER = `dsql_pf_${tag}`;
const PASSWORD = `pw-${tag}`;
const schemas: string[] = [];
let from: string;

async function pg<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const my = (sql: string[]): Promise<void> =>
  withMysqlAdmin(async (c) => {
    for (const s of sql) await c.query(s);
  });

const withUser = (url: string, user: string): string => {
  const u = new URL(url);
  u.username = user;
  u.password = PASSWORD;
  return u.href;
};

const schemaExists = (name: string) =>
  pg(async (c) => (await c.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [name])).rowCount === 1);

beforeAll(async () => {
  from = `sqlite:///${tempDir()}/source.db`;
  const src = await openCatalog(from);
  const hist = await loadHistory(fixture('delta-rs/simple_table'));
  const t = await src.ensureTable({ location: fixture('delta-rs/simple_table'), name: 'simple' });
  await src.writeVersions(t.tableId, hist.commits);
  await src.close();
  await pg((c) => c.query(`CREATE ROLE ${PG_ROLE} LOGIN PASSWORD '${PASSWORD}'`));
  for (const host of ['localhost', '%'])
    await my([`CREATE USER '${MY_USER}'@'${host}' IDENTIFIED BY '${PASSWORD}'`]);
});

afterAll(async () => {
  for (const s of schemas) await dropPgSchema(s).catch(() => undefined);
  await pg(async (c) => {
    await c.query(`DROP OWNED BY ${PG_ROLE}`);
    await c.query(`DROP ROLE ${PG_ROLE}`);
  }).catch(() => undefined);
  for (const host of ['localhost', '%'])
    await my([`DROP USER '${MY_USER}'@'${host}'`]).catch(() => undefined);
});

const migrate = async (src: string, to: string) => {
  const r = await runCli(['catalog', 'migrate', '--from', src, '--to', to, '--format', 'json']);
  return { code: r.code, ...(JSON.parse(r.stdout).error as { type: string; message: string }) };
};

test('unreachable engines: CatalogUnavailable naming the side, at once', async () => {
  const deadPg = `postgresql://deltasql@127.0.0.1:1/deltasql_test?schema=nowhere`;
  const deadMy = `mysql://deltasql@127.0.0.1:1/nowhere`;
  const t0 = Date.now();
  for (const to of [deadPg, deadMy]) {
    const r = await migrate(from, to);
    expect(r).toMatchObject({ code: 1, type: 'CatalogUnavailable' });
    expect(r.message).toMatch(/^target catalog: .*127\.0\.0\.1:1/);
  }
  const r = await migrate(deadPg, `duckdb:///${tempDir()}/x.duckdb`);
  expect(r).toMatchObject({ code: 1, type: 'CatalogUnavailable' });
  expect(r.message).toMatch(/^source catalog: .*127\.0\.0\.1:1/);
  expect(Date.now() - t0).toBeLessThan(60_000);
});

test('a missing source file is refused, not created; a target folder that does not exist too', async () => {
  const dir = tempDir();
  const missing = path.join(dir, 'missing.db');
  const r = await migrate(`sqlite:///${missing}`, `duckdb:///${dir}/t.duckdb`);
  expect(r).toMatchObject({ code: 1, type: 'InvalidArgument' });
  expect(r.message).toContain('the file does not exist');
  expect(fs.readdirSync(dir)).toEqual([]);
  const t = await migrate(from, `duckdb:///${dir}/no/such/folder/t.duckdb`);
  expect(t).toMatchObject({ code: 1, type: 'CatalogMisconfigured' });
  expect(fs.readdirSync(dir)).toEqual([]);
});

test('PostgreSQL: no CREATE on the database, or no write on the catalog tables: refused, nothing created', async () => {
  const fresh = uniqueSchema('pfnew');
  schemas.push(fresh);
  const r = await migrate(from, withUser(pgUrl(fresh), PG_ROLE));
  expect(r).toMatchObject({ code: 1, type: 'CatalogMisconfigured' });
  expect(r.message).toMatch(/missing permissions on the target catalog .*permission denied for database/);
  expect(r.message).not.toContain(PASSWORD);
  expect(await schemaExists(fresh)).toBe(false);

  // May create schemas and tables, but the existing catalog's tables belong to someone else.
  const existing = uniqueSchema('pfold');
  schemas.push(existing);
  await (await openCatalog(pgUrl(existing))).close();
  await pg(async (c) => {
    const db = (await c.query<{ d: string }>(`SELECT current_database() AS d`)).rows[0].d;
    await c.query(`GRANT CREATE ON DATABASE "${db}" TO ${PG_ROLE}`);
    await c.query(`GRANT USAGE, CREATE ON SCHEMA "${existing}" TO ${PG_ROLE}`);
  });
  const l = await migrate(from, withUser(pgUrl(existing), PG_ROLE));
  expect(l).toMatchObject({ code: 1, type: 'CatalogMisconfigured' });
  expect(l.message).toMatch(/missing permissions on the target catalog .*permission denied for table dl_/);
  const left = await pg((c) =>
    c.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'dl_migrate_probe'`,
      [existing],
    ),
  );
  expect(left.rowCount).toBe(0);
});

test('MariaDB: a user without privileges is refused before a database is created', async () => {
  const db = uniqueSchema('pfmy').slice(0, 40);
  const r = await migrate(from, withUser(mysqlUrl(db), MY_USER));
  expect(r).toMatchObject({ code: 1, type: 'CatalogMisconfigured' });
  expect(r.message).toMatch(/target catalog: .*Access denied for user/);
  expect(r.message).not.toContain(PASSWORD);
  // May use the database but not create tables in it.
  await dropMysqlDatabase(db);
  await my([
    `CREATE DATABASE \`${db}\``,
    `GRANT SELECT ON \`${db}\`.* TO '${MY_USER}'@'localhost'`,
    `GRANT SELECT ON \`${db}\`.* TO '${MY_USER}'@'%'`,
  ]);
  try {
    const s = await migrate(from, withUser(mysqlUrl(db), MY_USER));
    expect(s).toMatchObject({ code: 1, type: 'CatalogMisconfigured' });
  } finally {
    await dropMysqlDatabase(db);
  }
});
