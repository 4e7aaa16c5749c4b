/**
 * Payloads that cross the workflow/activity boundary. They stay small on purpose (Temporal's
 * payload and history limits): URIs, ids, version numbers and counts — never file lists.
 */
import type { ActionCounts } from '../delta/action-counts';
import type { PathMismatches } from '../delta/path-mismatches';
import type { CatalogWait } from './catalog-wait';

export type ImportMode = 'full-history' | 'checkpoint-only';

export interface ImportInput {
  source: string;
  catalog: string;
  /** Table name in the catalog; derived from the source when not given. */
  name: string;
  tableId?: string;
  mode: ImportMode;
  upToVersion?: number;
  force: boolean;
  skipValidation: boolean;
  /** Actions per catalog transaction. */
  batchSize: number;
  /** Actions per replay activity (one activity = one version range). */
  actionsPerActivity: number;
  /** Audit row id in dl_import_runs. */
  runId: string;
  /** How fast a dead worker's range is retried elsewhere (default 60s). */
  heartbeatTimeout?: string;
  /** How long an unreachable catalog is waited for before the import fails (default 2 minutes). */
  catalogTimeoutMs?: number;
}

export interface ImportPlan {
  tableId: string;
  /** First version the workflow will write (checkpoint baseline or commit). */
  startVersion: number;
  targetVersion: number;
  /** Checkpoint to load first, when importing checkpoint-first. */
  baselineVersion: number | null;
  /** Already imported before this run (resume), or null. */
  resumedFrom: number | null;
  /** Human notes, e.g. "history before 10 was cleaned up: starting from checkpoint 10". */
  notes: string[];
}

export type Phase = 'planning' | 'checkpoint' | 'replay' | 'validating' | 'done' | 'failed';

export interface ImportProgress {
  phase: Phase;
  tableId: string | null;
  startVersion: number | null;
  importedVersion: number | null;
  targetVersion: number | null;
  versionsImported: number;
  counts: ActionCounts;
  notes: string[];
  continuedAsNew: number;
  /** Set while the catalog is away mid-import and waited for (`--catalog-timeout`). */
  catalogWait?: CatalogWait | null;
}

export interface RangeResult {
  firstVersion: number;
  lastVersion: number;
  versionsWritten: number;
  versionsSkipped: number;
  counts: ActionCounts;
  /** Removes that named their add in another URI spelling (count and the first few; small). */
  pathMismatches?: PathMismatches;
}

export interface ValidationResult {
  passed: boolean;
  version: number;
  /** One line per check, e.g. "File count: ✓ (12 files)". */
  lines: string[];
}

export interface ImportResult {
  tableId: string;
  name: string;
  startVersion: number;
  targetVersion: number;
  versionsImported: number;
  counts: ActionCounts;
  validation: ValidationResult | null;
  notes: string[];
  continuedAsNew: number;
}

/** State carried across continue-as-new. */
export interface ImportCarry {
  plan: ImportPlan;
  nextVersion: number;
  baselineDone: boolean;
  versionsImported: number;
  counts: ActionCounts;
  continuedAsNew: number;
  /** Path mismatches of the runs before (absent in carries written before they were counted). */
  pathMismatches?: PathMismatches;
}
