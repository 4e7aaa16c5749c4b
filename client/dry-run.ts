/**
 * `deltasql import --dry-run`: the same plan as the real import (activities/plan.ts), plus action
 * counts by type, an estimated catalog size and duration. It writes nothing: a missing SQLite
 * catalog file is not created, and an existing catalog is only read.
 */
import * as fs from 'node:fs';
import { openCatalog } from '../catalog/open';
import type { CatalogTable } from '../catalog/store';
import { emptyCounts, type ActionCounts } from '../delta/actions';
import { DeltaTable } from '../delta/table';
import { planStart, resolveTarget, type StartPoint } from '../activities/plan';
import type { ImportInput } from '../workflows/types';

/** Rough catalog bytes per byte of log JSON (raw JSON + typed columns + indexes). */
const DB_BYTES_PER_LOG_BYTE = 2.5;
/** Conservative import throughput used for the time estimate (actions per second). */
const ESTIMATED_ACTIONS_PER_SECOND = 40_000;
/** Approximate JSON size of one checkpoint row when estimating a baseline's size. */
const CHECKPOINT_ROW_BYTES = 400;

export interface DryRunReport {
  dryRun: true;
  name: string;
  source: string;
  plan: StartPoint;
  versions: number;
  counts: ActionCounts;
  estimatedDbBytes: number;
  estimatedSeconds: number;
}

export async function dryRun(input: ImportInput): Promise<DryRunReport> {
  const table = await DeltaTable.open(input.source);
  const existing = input.force ? null : await peekCatalog(input);
  const target = await resolveTarget(table, input.upToVersion);
  const plan = await planStart(table, existing, input.mode, target);
  const counts = emptyCounts();
  let bytes = 0;
  if (plan.baselineVersion !== null) {
    const ref = (await table.checkpoints(plan.baselineVersion)).find(
      (c) => c.version === plan.baselineVersion,
    );
    if (ref) {
      for await (const a of table.checkpointActions(ref)) {
        counts[a.type]++;
        bytes += a.raw.length || CHECKPOINT_ROW_BYTES;
      }
    }
  }
  const from = plan.baselineVersion !== null ? plan.baselineVersion + 1 : plan.startVersion;
  if (from <= target) {
    for await (const c of table.commits(from, target)) {
      for (const a of c.actions) {
        counts[a.type]++;
        bytes += a.raw.length + 1;
      }
    }
  }
  const actions = Object.values(counts).reduce((a, b) => a + b, 0);
  return {
    dryRun: true,
    name: input.name,
    source: input.source,
    plan,
    versions: Math.max(0, target - plan.startVersion + 1),
    counts,
    estimatedDbBytes: Math.round(bytes * DB_BYTES_PER_LOG_BYTE),
    estimatedSeconds: Math.ceil(actions / ESTIMATED_ACTIONS_PER_SECOND),
  };
}

async function peekCatalog(input: ImportInput): Promise<CatalogTable | null> {
  const sqlite = /^sqlite:\/\/\/(.*)$/.exec(input.catalog);
  if (sqlite && !fs.existsSync(sqlite[1])) return null;
  const store = await openCatalog(input.catalog);
  try {
    return await store.findTable(input.tableId ?? input.name);
  } finally {
    await store.close();
  }
}

export function formatDryRun(r: DryRunReport): string {
  const mb = (r.estimatedDbBytes / 1e6).toFixed(1);
  const lines = [
    'DRY RUN - no database modifications',
    ...r.plan.notes,
    `Would import ${r.versions} versions (${r.plan.startVersion}–${r.plan.targetVersion})${r.plan.baselineVersion !== null ? `, starting from checkpoint ${r.plan.baselineVersion}` : ''}`,
    `Would insert ${r.counts.add} add actions, ${r.counts.remove} remove actions, ${r.counts.metaData} metadata updates, ${r.counts.protocol} protocol updates` +
      `, ${r.counts.txn} txns, ${r.counts.commitInfo} commitInfo, ${r.counts.cdc} cdc, ${r.counts.domainMetadata} domainMetadata, ${r.counts.unknown} other`,
    `Estimated database size: ${mb} MB`,
    `Estimated time: ${r.estimatedSeconds < 60 ? `${r.estimatedSeconds} seconds` : `${Math.ceil(r.estimatedSeconds / 60)} minutes`}`,
  ];
  return lines.join('\n');
}
