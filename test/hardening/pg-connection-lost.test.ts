/**
 * A PostgreSQL restart while a transaction holds a checked-out connection between two statements
 * must fail that transaction with a typed CatalogUnavailable, not kill the process with an
 * unhandled 'error' event (the fault suite's worker died of exactly that), and the pool must
 * hand out a working connection afterwards. Real PostgreSQL; the backend is terminated for real.
 */
import { Pool } from 'pg';
import { PostgresDriver } from '../../catalog/postgres-store';
import { parseCatalogUrl } from '../../catalog/url';
import { DeltaSqlError } from '../../common/errors';
import { PG_URL } from '../support/env';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a connection terminated mid-transaction fails it typed, and the pool recovers', async () => {
  const u = parseCatalogUrl(`${PG_URL}?schema=pg_connection_lost`);
  if (u.engine !== 'postgres') throw new Error('PG_URL is not a PostgreSQL URL');
  const driver = new PostgresDriver(u.connection, u.schema, u.redacted);
  const admin = new Pool({ connectionString: PG_URL, max: 1 });
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown): void => void uncaught.push(e);
  process.on('uncaughtException', onUncaught);
  try {
    const failed = await driver
      .transaction(async (tx) => {
        const [row] = await tx.query('SELECT pg_backend_pid() AS pid');
        await admin.query('SELECT pg_terminate_backend($1)', [Number(row.pid)]);
        // The server's FATAL and the socket close arrive while no statement is running.
        await sleep(300);
        await tx.query('SELECT 1');
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(failed).toBeInstanceOf(DeltaSqlError);
    expect((failed as DeltaSqlError).type).toBe('CatalogUnavailable');
    expect(uncaught).toEqual([]);
    // The broken client was destroyed, not returned to the pool.
    const again = await driver.transaction((tx) => tx.query('SELECT 2 AS two'));
    expect(again).toEqual([{ two: 2 }]);
  } finally {
    process.off('uncaughtException', onUncaught);
    await admin.end();
    await driver.close();
  }
});
