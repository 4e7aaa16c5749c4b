/**
 * The import's final check: the catalog's snapshot against the log's at the imported version,
 * through the same diff engine as `deltasql diff` (parity/diff-engine.ts).
 */
import type { CatalogStore } from '../catalog/store';
import type { DeltaTable } from '../delta/table';
import { diffSnapshots } from '../parity/diff-engine';
import type { ValidationResult } from '../workflows/types';

/** How many differing files the validation report names (all are counted). */
const LISTED_FILES = 20;

export async function validateAgainstLog(
  store: CatalogStore,
  table: DeltaTable,
  tableId: string,
  version: number,
  heartbeat: () => void,
): Promise<ValidationResult> {
  const sql = await store.snapshot(tableId, { version, includeFiles: true });
  heartbeat();
  // Removes spelled otherwise than their add are reported by the import itself (its writer).
  const log = await table.snapshot({ version }, { includeFiles: true });
  heartbeat();
  const report = diffSnapshots(log, sql, { maxListedFiles: LISTED_FILES });
  const lines = report.checks.map(
    (c) => `  ${c.ok === null ? '-' : c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`,
  );
  const f = report.files;
  if (f) {
    for (const m of f.missingInCatalog.listed) lines.push(`    missing in catalog: ${m.path}`);
    for (const e of f.extraInCatalog.listed) lines.push(`    extra in catalog: ${e.path}`);
    for (const c of f.changed.listed)
      lines.push(`    changed: ${c.path} (${c.fields.map((x) => x.field).join(', ')})`);
  }
  return { passed: report.ok, version, lines };
}
