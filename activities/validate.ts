/**
 * The import's final check: the catalog's snapshot against the log's, at the imported version.
 * TEMPORARY minimal comparison until parity/diff-engine lands.
 */
import type { CatalogStore } from '../catalog/store';
import type { DeltaTable } from '../delta/table';
import type { ValidationResult } from '../workflows/types';

export async function validateAgainstLog(
  store: CatalogStore,
  table: DeltaTable,
  tableId: string,
  version: number,
  heartbeat: () => void,
): Promise<ValidationResult> {
  const sql = await store.snapshot(tableId, { version, includeFiles: true });
  heartbeat();
  const log = await table.snapshot({ version }, { includeFiles: true });
  heartbeat();
  const same = JSON.stringify(sql) === JSON.stringify(log);
  return { passed: same, version, lines: [same ? 'Overall: PASSED ✓' : 'Overall: FAILED ✗'] };
}
