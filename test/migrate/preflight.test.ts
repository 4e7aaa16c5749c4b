/**
 * `catalog migrate` refuses before anything is written, with a typed error and exit code 1, when
 * an engine is unreachable or a permission is missing (catalog/migrate/preflight.ts, run by the
 * CLI before it starts the workflow, so nothing waits on a retried activity). Real servers and
 * real roles: a PostgreSQL role without CREATE on the database, one that may create tables in
 * the target schema but not write its catalog tables, and a MariaDB user without privileges.
 * The same refusals hold for a workflow started straight from the Temporal client, without the
 * CLI (patched `migrate-preflight-activity`): it fails with the typed error after its first
 * activity, the preflight, and nothing else ran. (A target holding other data is refused by the
 * plan: migrate.test.ts.)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { blueGreenUrls } from '../../catalog/migrate/blue-green';
import { openCatalog } from '../../catalog/open';
import { unwrapFailure } from '../../client/import-client';
import { keepPasswordLocally } from '../../common/credentials';
import { isDeltaSqlError } from '../../common/errors';
import { catalogMigrateWorkflow } from '../../workflows/catalog-migrate';
import { dropMysqlDatabase, mysqlUrl, withMysqlAdmin } from '../catalog/conformance-support';
import { dropPgSchema, loadHistory, pgUrl, tempDir, uniqueSchema } from '../catalog/helpers';
import { fixture, PG_URL } from '../support/env';
import { runCli } from '../support/run-cli';
import { useMigrateHarness } from './support';

const tag = randomBytes(4).toString('hex');
const PG_ROLE = `dsql_preflight_${tag}`;
/** The role of the workflow tests (the CLI tests grant PG_ROLE rights as they go). */
const PG_WF_ROLE = `dsql_pfwf_${tag}`;
const MY_USER = `dsql_pf_${tag}`;
const PASSWORD = `pw-${tag}`;
const schemas: string[] = [];
let from: string;
const { temporal } = useMigrateHarness();

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
  for (const role of [PG_ROLE, PG_WF_ROLE])
    await pg((c) => c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}'`));
  for (const host of ['localhost', '%'])
    await my([`CREATE USER '${MY_USER}'@'${host}' IDENTIFIED BY '${PASSWORD}'`]);
});

afterAll(async () => {
  for (const s of schemas) await dropPgSchema(s).catch(() => undefined);
  for (const role of [PG_ROLE, PG_WF_ROLE])
    await pg(async (c) => {
      await c.query(`DROP OWNED BY ${role}`);
      await c.query(`DROP ROLE ${role}`);
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

/**
 * catalogMigrateWorkflow started straight from the Temporal client, as the Web UI or a schedule
 * would (no CLI, so no CLI preflight), with an in-process worker that holds the passwords (the
 * workflow input has none). Its typed failure and the activities it scheduled.
 */
async function migrateWorkflow(
  src: string,
  to: string,
  strategy: 'direct' | 'blue-green' = 'direct',
): Promise<{ type: string; message: string; activities: string[] }> {
  const h = temporal();
  // As the CLI does: the worker opens the staging area with the live target's password.
  if (strategy === 'blue-green') keepPasswordLocally(blueGreenUrls(to).staging);
  const handle = await h.client.workflow.start(catalogMigrateWorkflow, {
    taskQueue: h.taskQueue,
    workflowId: `preflight-direct-${randomUUID()}`,
    args: [
      {
        from: keepPasswordLocally(src),
        to: keepPasswordLocally(to),
        parallelism: 1,
        batchSize: 1000,
        strategy,
        logDiff: 'off',
        catalogTimeoutMs: 1000,
      },
    ],
  });
  const failure = await h.withWorker(() =>
    handle.result().then(
      () => null,
      (e: unknown) => unwrapFailure(e),
    ),
  );
  const history = await handle.fetchHistory();
  const activities = (history.events ?? []).flatMap((e) => {
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
    return name ? [name] : [];
  });
  if (!isDeltaSqlError(failure))
    throw new Error(`the workflow did not fail with a typed error: ${String(failure)}`);
  return { type: failure.type, message: failure.message, activities };
}

const PREFLIGHT_ONLY = ['preflightCatalogMigration'];

test('workflow without the CLI: a missing source file is refused (not created), an unreachable target named', async () => {
  const dir = tempDir();
  const missing = await migrateWorkflow(
    `sqlite:///${path.join(dir, 'missing.db')}`,
    `duckdb:///${dir}/t.duckdb`,
  );
  expect(missing).toMatchObject({ type: 'InvalidArgument', activities: PREFLIGHT_ONLY });
  expect(missing.message).toContain('the file does not exist');
  expect(fs.readdirSync(dir)).toEqual([]);
  // CatalogUnavailable is waited for within catalogTimeoutMs (1 s here), then the run gives up.
  const dead = await migrateWorkflow(from, `postgresql://deltasql@127.0.0.1:1/deltasql_test?schema=nowhere`);
  expect(dead.type).toBe('CatalogUnavailable');
  expect(dead.message).toMatch(/^gave up after 1s: target catalog: .*127\.0\.0\.1:1/);
  expect(new Set(dead.activities)).toEqual(new Set(PREFLIGHT_ONLY));
}, 120_000);

test('workflow without the CLI: PostgreSQL roles lacking rights fail it with CatalogMisconfigured, nothing created', async () => {
  // No CREATE on the database: the schema is never created.
  const fresh = uniqueSchema('pfwfnew');
  schemas.push(fresh);
  const r = await migrateWorkflow(from, withUser(pgUrl(fresh), PG_WF_ROLE));
  expect(r).toMatchObject({ type: 'CatalogMisconfigured', activities: PREFLIGHT_ONLY });
  expect(r.message).toMatch(/missing permissions on the target catalog .*permission denied for database/);
  expect(r.message).not.toContain(PASSWORD);
  expect(await schemaExists(fresh)).toBe(false);
  // Blue-green checks the staging schema it would create: not created either.
  const bg = await migrateWorkflow(from, withUser(pgUrl(fresh), PG_WF_ROLE), 'blue-green');
  expect(bg).toMatchObject({ type: 'CatalogMisconfigured', activities: PREFLIGHT_ONLY });
  expect(bg.message).toMatch(
    /missing permissions on the target catalog .*_staging.*permission denied for database/,
  );
  expect(await schemaExists(`${fresh}_staging`)).toBe(false);

  // May create schemas and tables, but the existing catalog's tables belong to someone else.
  const existing = uniqueSchema('pfwfold');
  schemas.push(existing);
  await (await openCatalog(pgUrl(existing))).close();
  const tablesOf = () =>
    pg(async (c) =>
      (
        await c.query<{ t: string }>(
          `SELECT tablename AS t FROM pg_tables WHERE schemaname = $1 ORDER BY tablename`,
          [existing],
        )
      ).rows.map((x) => x.t),
    );
  const before = await tablesOf();
  await pg(async (c) => {
    const db = (await c.query<{ d: string }>(`SELECT current_database() AS d`)).rows[0].d;
    await c.query(`GRANT CREATE ON DATABASE "${db}" TO ${PG_WF_ROLE}`);
    await c.query(`GRANT USAGE, CREATE ON SCHEMA "${existing}" TO ${PG_WF_ROLE}`);
  });
  const l = await migrateWorkflow(from, withUser(pgUrl(existing), PG_WF_ROLE));
  expect(l).toMatchObject({ type: 'CatalogMisconfigured', activities: PREFLIGHT_ONLY });
  expect(l.message).toMatch(/missing permissions on the target catalog .*permission denied for table dl_/);
  expect(await tablesOf()).toEqual(before);
  const runs = await pg((c) => c.query(`SELECT run_id FROM "${existing}".dl_catalog_migrations`));
  expect(runs.rowCount).toBe(0);
}, 120_000);

test('workflow without the CLI: a MariaDB user without privileges fails it before a database is created', async () => {
  const db = uniqueSchema('pfwfmy').slice(0, 40);
  const r = await migrateWorkflow(from, withUser(mysqlUrl(db), MY_USER));
  expect(r).toMatchObject({ type: 'CatalogMisconfigured', activities: PREFLIGHT_ONLY });
  expect(r.message).toMatch(/target catalog: .*Access denied for user/);
  expect(r.message).not.toContain(PASSWORD);
  const found = await withMysqlAdmin(async (c) => {
    const [rows] = await c.query(
      `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`,
      [db],
    );
    return rows;
  });
  expect(found).toEqual([]);
}, 120_000);
