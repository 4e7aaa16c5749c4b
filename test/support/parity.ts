/** Assert that the catalog and the log agree at every version the catalog holds. */
import type { CatalogStore } from '../../catalog/store';
import { DeltaTable } from '../../delta/table';

export async function expectParityAtEveryVersion(
  store: CatalogStore,
  tableId: string,
  source: string,
): Promise<number> {
  const row = await store.findTable(tableId);
  if (!row || row.lastVersion === null || row.firstVersion === null)
    throw new Error(`catalog has no versions for ${tableId}`);
  const table = await DeltaTable.open(source);
  let checked = 0;
  for (let v = row.firstVersion; v <= row.lastVersion; v++) {
    const [sql, log] = await Promise.all([
      store.snapshot(tableId, { version: v, includeFiles: true }),
      table.snapshot({ version: v }, { includeFiles: true }),
    ]);
    expect({ v, snapshot: sql }).toEqual({ v, snapshot: log });
    checked++;
  }
  return checked;
}
