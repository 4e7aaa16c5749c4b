/**
 * The fast SQL snapshot path (positional rows, no per-row zod, one UNION ALL per validity query)
 * on both engines: equal to the log replay on a generated table with deletion vectors at every
 * version, equal through the object-row fallback, and a corrupt stored row is a CatalogError.
 */
import * as path from 'node:path';
import { openCatalog } from '../../catalog/open';
import { readSnapshot } from '../../catalog/snapshot-reader';
import type { SqlDriver } from '../../catalog/sql';
import type { SqlCatalogStore } from '../../catalog/sql-catalog';
import { generateTable } from '../../bench/generator';
import { isDeltaSqlError } from '../../common/errors';
import { DeltaTable } from '../../delta/table';
import { dropPgSchema, loadHistory, pgUrl, sqliteUrl, tempDir, uniqueSchema } from './helpers';

const PG_SCHEMA = uniqueSchema('snapreader');
const VERSIONS = 24;

let tableDir = '';
beforeAll(async () => {
  tableDir = path.join(tempDir(), 'table');
  await generateTable({
    dir: tableDir,
    versions: VERSIONS,
    addsPerVersion: 6,
    removesPerVersion: 3,
    deletionVectors: true,
    checkpointInterval: 0,
    seed: 3,
  });
});
afterAll(async () => {
  await dropPgSchema(PG_SCHEMA);
});

/** Hides queryArrays so readSnapshot takes the object-row fallback. */
function objectRowsOnly(d: SqlDriver): SqlDriver {
  return {
    dialect: d.dialect,
    query: (s, p) => d.query(s, p),
    exec: (s) => d.exec(s),
    transaction: (fn) => d.transaction(fn),
    bulkInsert: (t, c, r) => d.bulkInsert(t, c, r),
    closeValidity: (t, k, e, id, touches) => d.closeValidity(t, k, e, id, touches),
    lockTable: (id) => d.lockTable(id),
    optimize: (t) => d.optimize(t),
    close: () => d.close(),
  };
}

describe.each([
  ['sqlite', () => sqliteUrl(tempDir())],
  ['postgres', () => pgUrl(PG_SCHEMA)],
])('fast snapshot on %s', (_engine, url) => {
  let store: SqlCatalogStore;
  let tableId = '';
  beforeAll(async () => {
    store = await openCatalog(url());
    const h = await loadHistory(tableDir);
    tableId = (await store.ensureTable({ location: tableDir, name: 'gen' })).tableId;
    await store.writeVersions(tableId, h.commits);
  });
  afterAll(async () => {
    await store.close();
  });

  test('equals the log replay at every version, with and without files', async () => {
    const dt = await DeltaTable.open(tableDir);
    let withDv = 0;
    for (let v = 0; v < VERSIONS; v++) {
      const want = await dt.snapshot({ version: v }, { includeFiles: true });
      const got = await store.snapshot(tableId, { version: v, includeFiles: true });
      expect(JSON.stringify(got)).toBe(JSON.stringify(want));
      withDv = Math.max(withDv, (got.files ?? []).filter((f) => f.deletionVector !== null).length);
      const lean = await store.snapshot(tableId, { version: v, includeFiles: false });
      expect(JSON.stringify(lean)).toBe(
        JSON.stringify(await dt.snapshot({ version: v }, { includeFiles: false })),
      );
    }
    expect(withDv).toBeGreaterThan(0);
  });

  test('object-row fallback gives the identical snapshot', async () => {
    for (const v of [VERSIONS - 1, Math.floor(VERSIONS / 2)]) {
      const fast = await store.snapshot(tableId, { version: v, includeFiles: true });
      const slow = await readSnapshot(objectRowsOnly(store.driver), tableId, {
        version: v,
        includeFiles: true,
      });
      expect(slow).toEqual(fast);
      expect(Object.keys(slow.files?.[0] ?? {})).toEqual(Object.keys(fast.files?.[0] ?? {}));
    }
  });

  test('a corrupt stored partition_values is a CatalogError naming the file', async () => {
    const [row] = await store.driver.query(
      `SELECT path FROM {T:dl_add_files} WHERE table_id = ? AND removed_version IS NULL ORDER BY version LIMIT 1`,
      [tableId],
    );
    const p = String(row.path);
    await store.driver.query(
      `UPDATE {T:dl_add_files} SET partition_values = ? WHERE table_id = ? AND path = ?`,
      ['{not json', tableId, p],
    );
    const err = await store.snapshot(tableId, { includeFiles: true }).catch((e: unknown) => e);
    expect(isDeltaSqlError(err) && err.type).toBe('CatalogError');
    expect((err as Error).message).toContain(p);
  });
});
