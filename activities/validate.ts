/**
 * The import's final check: the catalog's snapshot against the log's at the imported version,
 * through the same diff engine as `deltasql diff` (parity/diff-engine.ts).
 *
 * Memory: when the files valid at the version carry more text than `rangeBytes` (paths, stats and
 * partition values, counted in SQL, plus a per-file overhead), the file sets are compared by path
 * ranges with stats digested (parity/partitioned-diff.ts): the log is replayed once per group of
 * ranges whose compact form fits the budget (once, for 150k wide files), and the catalog is read
 * one range at a time, each range's full rows a quarter of the budget. Smaller tables take the
 * whole-snapshot path as before.
 */
import { z } from 'zod';
import { filesInPathRange, fileVolumeAt, pathBounds } from '../catalog/file-ranges';
import { SqlCatalogStore } from '../catalog/sql-catalog';
import type { CatalogStore } from '../catalog/store';
import { DeltaSqlError } from '../common/errors';
import { logger } from '../common/logger';
import type { DeltaTable } from '../delta/table';
import { type DiffReport, diffSnapshots } from '../parity/diff-engine';
import { diffInPathRanges, groupRanges, rangesFromBounds } from '../parity/partitioned-diff';
import type { ValidationResult } from '../workflows/types';

/** How many differing files the validation report names (all are counted). */
const LISTED_FILES = 20;
/**
 * What validation may hold per side: the whole-snapshot path when the files' full text fits, else
 * log groups whose compact form fits, read against catalog ranges whose full rows fit.
 */
export const DEFAULT_RANGE_BYTES = 128 * 1024 * 1024;
/** What a file costs held in memory beyond its text (objects, numbers, keys), roughly. */
const PER_FILE_BYTES = 400;
/** A digested stats string (parity/partitioned-diff.ts statsDigest). */
const DIGEST_BYTES = 33;
/** A catalog range's full rows are read in pieces this much smaller than the budget. */
const CATALOG_RANGE_SHARE = 4;

/** `DELTASQL_VALIDATE_RANGE_BYTES` (worker side) overrides DEFAULT_RANGE_BYTES. */
function envRangeBytes(): number | undefined {
  const raw = process.env.DELTASQL_VALIDATE_RANGE_BYTES;
  if (raw === undefined || raw === '') return undefined;
  const p = z.coerce.number().int().positive().safeParse(raw);
  if (!p.success) {
    throw new DeltaSqlError(
      'InvalidArgument',
      `DELTASQL_VALIDATE_RANGE_BYTES must be a positive integer, not ${raw}`,
    );
  }
  return p.data;
}

export interface ValidateOptions {
  /** See DEFAULT_RANGE_BYTES; tests lower it to take the range path on a small table. */
  rangeBytes?: number;
  /** How many times the log is replayed on the range path (default: as the budget allows); tests. */
  groups?: number;
}

/** How the last validation compared files (for tests and the bench): ranges used, 1 = whole. */
export interface ValidationPlan {
  /** Log replays (1 on the whole-snapshot path). */
  groups: number;
  /** Catalog range reads (1 on the whole-snapshot path). */
  ranges: number;
  files: number;
  textBytes: number;
}

async function compare(
  store: CatalogStore,
  table: DeltaTable,
  tableId: string,
  version: number,
  heartbeat: () => void,
  opts: ValidateOptions,
  plan: (p: ValidationPlan) => void,
): Promise<DiffReport> {
  const diffOpts = { maxListedFiles: LISTED_FILES };
  if (store instanceof SqlCatalogStore) {
    const db = store.driver;
    const vol = await fileVolumeAt(db, tableId, version);
    const textBytes = vol.pathBytes + vol.statsBytes + vol.partitionValueBytes;
    const full = textBytes + vol.files * PER_FILE_BYTES;
    const budget = opts.rangeBytes ?? envRangeBytes() ?? DEFAULT_RANGE_BYTES;
    if (full > budget && vol.files > 1) {
      const compact = vol.pathBytes + vol.partitionValueBytes + vol.files * (PER_FILE_BYTES + DIGEST_BYTES);
      const groupCount = opts.groups ?? Math.ceil(compact / budget);
      const rangeCount = Math.max(groupCount, Math.ceil((full * CATALOG_RANGE_SHARE) / budget));
      const bounds = await pathBounds(db, tableId, version, Math.max(1, Math.ceil(vol.files / rangeCount)));
      const groups = groupRanges(rangesFromBounds(bounds), groupCount);
      const ranges = bounds.length + 1;
      plan({ groups: groups.length, ranges, files: vol.files, textBytes });
      logger.info(
        { files: vol.files, textMiB: Math.round(textBytes / 2 ** 20), groups: groups.length, ranges },
        'validation: file sets compared by path ranges',
      );
      heartbeat();
      const catalogHead = await store.snapshot(tableId, { version, includeFiles: false });
      const where = `catalog table ${tableId} at version ${version}`;
      return diffInPathRanges({
        table,
        version,
        catalogHead,
        groups,
        catalogFiles: (r) => filesInPathRange(db, tableId, version, r.lo, r.hi, where),
        opts: diffOpts,
        heartbeat,
      });
    }
    plan({ groups: 1, ranges: 1, files: vol.files, textBytes });
  }
  const sql = await store.snapshot(tableId, { version, includeFiles: true });
  heartbeat();
  // Removes spelled otherwise than their add are reported by the import itself (its writer).
  const log = await table.snapshot({ version }, { includeFiles: true });
  heartbeat();
  return diffSnapshots(log, sql, diffOpts);
}

export async function validateAgainstLog(
  store: CatalogStore,
  table: DeltaTable,
  tableId: string,
  version: number,
  heartbeat: () => void,
  opts: ValidateOptions & { onPlan?: (p: ValidationPlan) => void } = {},
): Promise<ValidationResult> {
  const report = await compare(store, table, tableId, version, heartbeat, opts, opts.onPlan ?? (() => {}));
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
