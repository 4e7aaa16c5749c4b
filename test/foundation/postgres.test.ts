/** A round trip through the real PostgreSQL at DELTASQL_TEST_PG_URL (scripts/services/postgres.sh). */
import { Client } from 'pg';
import { PG_URL } from '../support/env';

test('create, insert, select and drop a table on the real PostgreSQL', async () => {
  const db = new Client({ connectionString: PG_URL });
  await db.connect();
  const table = `foundation_rt_${process.pid}_${Date.now()}`;
  try {
    await db.query(`CREATE TABLE "${table}" (version bigint PRIMARY KEY, path text NOT NULL, size bigint)`);
    await db.query(`INSERT INTO "${table}" (version, path, size) VALUES ($1, $2, $3), ($4, $5, $6)`, [
      0,
      'part-0.parquet',
      '9007199254740993',
      1,
      'part-1.parquet',
      null,
    ]);
    const { rows } = await db.query(
      `SELECT version::text, path, size::text FROM "${table}" ORDER BY version`,
    );
    expect(rows).toEqual([
      { version: '0', path: 'part-0.parquet', size: '9007199254740993' },
      { version: '1', path: 'part-1.parquet', size: null },
    ]);
    const su = await db.query('SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
    expect(su.rows).toEqual([{ rolsuper: true }]);
  } finally {
    await db.query(`DROP TABLE IF EXISTS "${table}"`);
    const gone = await db.query('SELECT to_regclass($1) AS t', [table]);
    expect(gone.rows).toEqual([{ t: null }]);
    await db.end();
  }
});
