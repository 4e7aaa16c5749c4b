/**
 * The writer's spelling lookup (catalog/writer.ts `openRowsByPathSql`) on PostgreSQL must probe
 * the open-identity index once per path even when the table has no statistics yet, as in the
 * first minute of every import into a new catalog. The IN-list form it replaced was planned as
 * "every open row of the table, then filter the paths" there (issue 21): this test fails on it.
 */
import { openCatalog } from '../../catalog/open';
import type { SqlCatalogStore } from '../../catalog/sql-catalog';
import { openRowsByPathSql } from '../../catalog/writer';
import { dropPgSchema, pgUrl, uniqueSchema } from './helpers';
import { quoteIdent } from '../../catalog/sql';

const schema = uniqueSchema('open_rows_plan');
afterAll(() => dropPgSchema(schema));

const OPEN_ROWS = 20_000;

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Filter?: string;
  Plans?: PlanNode[];
}

const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

test('postgres: one index probe per path on a table without statistics', async () => {
  const store = (await openCatalog(pgUrl(schema))) as SqlCatalogStore;
  try {
    const t = await store.ensureTable({ location: '/tmp/open-rows-plan', name: 'plan' });
    const table = `${quoteIdent(schema)}.${quoteIdent('dl_add_files')}`;
    await store.driver.exec(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
    // Open rows straight into the table (no ANALYZE): path p<i>.parquet, one closed row too.
    await store.driver.query(
      `INSERT INTO {T:dl_add_files} (table_id, version, seq, path, dv_id, size, modification_time, raw, removed_version)
       SELECT ?, g, 0, 'p' || g || '.parquet', '', 1, 1, '{}', CASE WHEN g = 1 THEN 2 ELSE NULL END
       FROM generate_series(0, ?) AS g`,
      [t.tableId, OPEN_ROWS],
    );
    const stats = await store.driver.query(`SELECT COUNT(*) AS n FROM pg_stats WHERE schemaname = ?`, [
      schema,
    ]);
    expect(Number(stats[0].n)).toBe(0);

    const wanted = [
      'p7.parquet',
      'p1.parquet',
      'missing.parquet',
      ...Array.from({ length: 400 }, (_, i) => `q${i}`),
    ];
    const { sql, params } = openRowsByPathSql(store.driver, t.tableId, wanted);
    const rows = await store.driver.query(sql, params);
    // p1 is closed, so only p7 is an open row among the paths asked.
    expect(rows.map((r) => [r.path, r.dv_id])).toEqual([['p7.parquet', '']]);

    const explained = await store.driver.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
    const plan = (explained[0]['QUERY PLAN'] as [{ Plan: PlanNode }])[0].Plan;
    const all = nodes(plan);
    const scans = all.filter((n) => n['Index Name'] === 'dl_add_files_open_identity');
    expect(scans).toHaveLength(1);
    expect(scans[0]['Index Cond']).toMatch(/path = u\.p/);
    expect(all.some((n) => (n.Filter ?? '').includes('path'))).toBe(false);
  } finally {
    await store.close();
  }
});
