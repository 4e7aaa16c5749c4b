/**
 * Shared plumbing of the export tests: export a whole catalog table the way the workflow does
 * (ranges, checkpoints, `_last_checkpoint`) through the export steps, in-process, and ask delta-rs
 * (oracle.py, one python process per batch) what it sees at each version of each table.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  exportCheckpoint,
  exportRange,
  finishExport,
  planExport,
  type CheckpointExportResult,
  type ExportInput,
  type ExportPlan,
} from '../../activities/export-steps';
import type { CatalogStore } from '../../catalog/store';
import { openStore } from '../../storage/uri';
import { runPython } from '../support/python';

export async function exportAll(
  store: CatalogStore,
  table: string,
  dest: string,
  extra: Partial<ExportInput> = {},
): Promise<ExportPlan> {
  const input: ExportInput = { catalog: '', table, dest, overwrite: false, ...extra };
  const plan = await planExport(store, input);
  const d = openStore(dest);
  const base = { tableId: plan.tableId, overwrite: input.overwrite };
  await exportRange(store, d, { ...base, from: plan.from, to: plan.to, commitFrom: plan.commitFrom });
  let newest: CheckpointExportResult | null = null;
  for (const v of plan.checkpoints)
    newest = await exportCheckpoint(store, d, { ...base, version: v, nowMs: plan.nowMs });
  await finishExport(d, newest, input.overwrite);
  return plan;
}

export const sha256 = (file: string): string =>
  createHash('sha256').update(fs.readFileSync(file)).digest('hex');

export const logFile = (root: string, name: string): string => path.join(root, '_delta_log', name);
export const commitName = (v: number): string => `${String(v).padStart(20, '0')}.json`;

export interface RsState {
  version?: number;
  files?: [string, number][];
  protocol?: unknown;
  metadata?: unknown;
  /** Per file path: delta-rs's statistics columns, stringified (jobs with `stats: true`). */
  stats?: Record<string, Record<string, string | null>>;
  error?: string;
}

const ORACLE = fs.readFileSync(path.join(__dirname, 'oracle.py'), 'utf8');

export interface RsJob {
  path: string;
  versions: number[];
  stats?: boolean;
  /** Instants (ms) to time travel to: delta-rs `load_as_version(datetime)`. */
  timestamps?: number[];
}

/** delta-rs's view of every requested version of every table, in job order. */
export async function deltaRsStates(jobs: RsJob[]): Promise<Record<string, RsState>[]> {
  return (await deltaRsJudge(jobs)).map((o) => o.states);
}

/** delta-rs's states and, per requested instant, the version it time travels to (or its error). */
export function deltaRsJudge(
  jobs: RsJob[],
): Promise<{ states: Record<string, RsState>; at: Record<string, number | string> }[]> {
  return runPython(ORACLE, jobs);
}
