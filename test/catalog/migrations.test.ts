/**
 * Migrations on existing catalogs: a catalog left at migration 1 (with data) is brought to the
 * latest by openCatalog, data intact; migrating again is a no-op. Both engines.
 */
import { openCatalog, openDriver } from '../../catalog/open';
import { LATEST_MIGRATION, MIGRATIONS, runMigrations } from '../../catalog/migrations';
import { dropPgSchema, pgUrl, sqliteUrl, tempDir, uniqueSchema } from './helpers';
import type { SqlDriver } from '../../catalog/sql';

const schema = uniqueSchema('migr');
afterAll(async () => {
  await dropPgSchema(schema);
});

async function indexNames(d: SqlDriver): Promise<string[]> {
  const rows =
    d.dialect === 'sqlite'
      ? await d.query(`SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'dl_%'`)
      : await d.query(
          `SELECT indexname AS name FROM pg_indexes WHERE schemaname = ? AND indexname LIKE 'dl_%'`,
          [schema],
        );
  return rows
    .map((r) => String(r.name))
    .filter((n) => !n.endsWith('_pkey') && !n.endsWith('_key') && !n.startsWith('sqlite_'))
    .sort();
}

/** Migration 2's indexes, with migration 4's valid-at index replacing dl_add_files_validity. */
const migrationIndexes = [
  ...new Set(
    MIGRATIONS[1].statements
      .map((s) => /INDEX (?:IF NOT EXISTS )?(\w+)/.exec(typeof s === 'string' ? s : s.sql)?.[1])
      .filter((n): n is string => n !== undefined && n !== 'dl_add_files_validity'),
  ),
  'dl_add_files_valid_at',
].sort();

test.each([
  ['sqlite', () => sqliteUrl(tempDir())],
  ['postgres', () => pgUrl(schema)],
])(
  '%s: a catalog at migration 1 is migrated to the latest, data intact; re-running is a no-op',
  async (_d, mk) => {
    const url = mk();
    const all = MIGRATIONS.map((m) => m.version);
    expect(LATEST_MIGRATION).toBe(all[all.length - 1]);
    const old = await openDriver(url);
    expect(await runMigrations(old, 1)).toEqual([1]);
    expect(await indexNames(old)).toEqual([]);
    await old.query(`INSERT INTO {T:dl_tables} (table_id, name, location, created_at) VALUES (?, ?, ?, ?)`, [
      'old-id',
      'old-table',
      '/data/old',
      42,
    ]);
    await old.close();

    const store = await openCatalog(url);
    try {
      const applied = await store.driver.query(
        `SELECT version FROM {T:dl_schema_migrations} ORDER BY version`,
      );
      expect(applied.map((r) => Number(r.version))).toEqual(all);
      expect(await indexNames(store.driver)).toEqual(migrationIndexes);
      expect(await store.findTable('old-table')).toMatchObject({
        tableId: 'old-id',
        location: '/data/old',
        createdAt: 42,
      });
      await store.migrate();
      expect(await runMigrations(store.driver)).toEqual([]);
      const again = await store.driver.query(`SELECT COUNT(*) AS n FROM {T:dl_schema_migrations}`);
      expect(Number(again[0].n)).toBe(all.length);
    } finally {
      await store.close();
    }
  },
);

test('postgres: migration 3 stores the wide JSON columns with lz4 and keeps add rows narrow', async () => {
  const store = await openCatalog(pgUrl(schema));
  try {
    const cols = await store.driver.query(
      `SELECT c.relname AS rel, a.attname AS col, a.attcompression AS comp FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ? AND a.attname IN ('raw', 'stats') AND a.attnum > 0 ORDER BY 1, 2`,
      [schema],
    );
    expect(cols.length).toBe(10);
    expect(cols.filter((c) => c.comp !== 'l')).toEqual([]);
    const opts = await store.driver.query(
      `SELECT c.reloptions AS o FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ? AND c.relname = 'dl_add_files'`,
      [schema],
    );
    expect(opts[0].o).toEqual(['toast_tuple_target=512']);
    const inline = await store.driver.query(
      `SELECT a.attname AS col FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ? AND c.relname = 'dl_add_files' AND a.attstorage = 'm' ORDER BY 1`,
      [schema],
    );
    expect(inline.map((r) => r.col)).toEqual(['dv_id', 'path', 'table_id']);
  } finally {
    await store.close();
  }
});
