/**
 * `CatalogStore.optimize()` after a bulk load: on PostgreSQL it VACUUMs and ANALYZEs the catalog
 * tables (statistics present, add-file pages all-visible so file lists are index-only scans); on
 * SQLite it runs `PRAGMA optimize`. Either way the data reads back unchanged.
 */
import { openCatalog } from '../../catalog/open';
import { fixture } from '../support/env';
import { dropPgSchema, loadHistory, pgUrl, sqliteUrl, tempDir, uniqueSchema } from './helpers';

const schema = uniqueSchema('optimize');
afterAll(async () => {
  await dropPgSchema(schema);
});

test.each([
  ['sqlite', () => sqliteUrl(tempDir())],
  ['postgres', () => pgUrl(schema)],
])('%s: optimize after a load keeps the data and prepares the tables', async (dialect, mk) => {
  const root = fixture('delta-rs/simple_table');
  const h = await loadHistory(root);
  const store = await openCatalog(mk());
  try {
    const t = await store.ensureTable({ location: root, name: 'opt' });
    await store.writeVersions(t.tableId, h.commits);
    const before = await store.files(t.tableId, {});
    await store.optimize();
    expect(await store.files(t.tableId, {})).toEqual(before);
    expect(before.length).toBe((await h.table.snapshot({ version: h.latest })).numFiles);
    if (dialect === 'postgres') {
      const rows = await store.driver.query(
        `SELECT relname AS rel, last_vacuum IS NOT NULL AS vacuumed, last_analyze IS NOT NULL AS analyzed
           FROM pg_stat_user_tables WHERE schemaname = ? AND relname IN ('dl_add_files', 'dl_remove_files')
          ORDER BY relname`,
        [schema],
      );
      expect(rows).toEqual([
        { rel: 'dl_add_files', vacuumed: true, analyzed: true },
        { rel: 'dl_remove_files', vacuumed: true, analyzed: true },
      ]);
      const vis = await store.driver.query(
        `SELECT relpages AS pages, relallvisible AS visible FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = ? AND c.relname = 'dl_add_files'`,
        [schema],
      );
      expect(Number(vis[0].pages)).toBeGreaterThan(0);
      expect(Number(vis[0].visible)).toBe(Number(vis[0].pages));
    }
  } finally {
    await store.close();
  }
});
