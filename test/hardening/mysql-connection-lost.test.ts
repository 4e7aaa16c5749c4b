/**
 * The MySQL/MariaDB twin of pg-connection-lost: a connection killed by the server (`KILL <id>`)
 * while a transaction holds it between two statements must fail that transaction with a typed
 * CatalogUnavailable (mysql2 reports it as a "fatal" error without an error code: it used to be an
 * untyped CatalogError, which no retry policy treats as transient), never kill the process with
 * an unhandled 'error' event, and the pool must hand out working connections afterwards. Real MariaDB
 * (port 3307); the connection is killed for real from a second session. An idle pooled
 * connection killed the same way must not crash the process either.
 */
import { MysqlDriver } from '../../catalog/mysql-store';
import { parseCatalogUrl } from '../../catalog/url';
import { DeltaSqlError } from '../../common/errors';
import { withMysqlAdmin } from '../catalog/conformance-support';
import { MYSQL_URL } from '../support/env';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const withAdmin = <T>(fn: (kill: (id: number) => Promise<void>) => Promise<T>): Promise<T> =>
  withMysqlAdmin((admin) => fn(async (id) => void (await admin.query(`KILL ${Number(id)}`))));

async function openDriver(): Promise<MysqlDriver> {
  const u = parseCatalogUrl(MYSQL_URL);
  if (u.engine !== 'mysql') throw new Error('MYSQL_URL is not a MySQL URL');
  return MysqlDriver.open(u.connection, u.redacted);
}

const uncaught: unknown[] = [];
const onUncaught = (e: unknown): void => void uncaught.push(e);
beforeEach(() => {
  uncaught.length = 0;
  process.on('uncaughtException', onUncaught);
});
afterEach(() => {
  process.off('uncaughtException', onUncaught);
});

test('a connection killed mid-transaction fails it typed, and the pool recovers', async () => {
  const driver = await openDriver();
  try {
    const failed = await withAdmin((kill) =>
      driver
        .transaction(async (tx) => {
          const [row] = await tx.query('SELECT CONNECTION_ID() AS id');
          await kill(Number(row.id));
          // The server's close arrives while no statement is running.
          await sleep(300);
          await tx.query('SELECT 1');
        })
        .then(
          () => null,
          (e: unknown) => e,
        ),
    );
    expect(failed).toBeInstanceOf(DeltaSqlError);
    expect((failed as DeltaSqlError).type).toBe('CatalogUnavailable');
    expect(uncaught).toEqual([]);
    // The broken connection is not handed out again: every pooled one works.
    const again = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => driver.transaction((tx) => tx.query(`SELECT ${n} AS n`))),
    );
    expect(again).toEqual([1, 2, 3, 4, 5].map((n) => [{ n }]));
  } finally {
    await driver.close();
  }
});

test('a killed idle pooled connection does not crash the process, and the next query works', async () => {
  const driver = await openDriver();
  try {
    const [row] = await driver.query('SELECT CONNECTION_ID() AS id');
    await withAdmin((kill) => kill(Number(row.id)));
    await sleep(300);
    expect(uncaught).toEqual([]);
    const out = await driver.query('SELECT 7 AS n').catch((e: unknown) => e);
    // Either a fresh connection answered, or the dead one was reported typed (and then dropped).
    if (out instanceof Error) {
      expect(out).toBeInstanceOf(DeltaSqlError);
      expect((out as DeltaSqlError).type).toBe('CatalogUnavailable');
    } else expect(out).toEqual([{ n: 7 }]);
    expect(await driver.query('SELECT 8 AS n')).toEqual([{ n: 8 }]);
    expect(uncaught).toEqual([]);
  } finally {
    await driver.close();
  }
});
