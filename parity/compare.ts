/**
 * Loads the two snapshots (log and catalog) for one table, runs the pure diff engine, measures
 * replication lag and turns the result into the CI verdict of seed 002:
 *   0 parity and within the lag SLO, 2 drift (files/metadata/protocol), 3 only the lag SLO breached.
 *
 * Definitions (documented contract, also in the CLI help):
 * - Parity is checked at the catalog's newest version (or `--version N`, or every version the
 *   catalog holds with `--all-versions`): the source is read *at that same version*. A catalog
 *   that is merely behind the source is therefore not drift — it is lag.
 * - Lag = seconds between the newest source commit's timestamp and the newest imported version's
 *   timestamp; 0 when caught up (and never negative).
 * - The lag SLO holds when the catalog is caught up, or behind by strictly less than
 *   `--lag-threshold-seconds`. Without a threshold the SLO is not evaluated.
 * - A catalog *ahead* of the source (holds versions the log does not) is version drift, except for
 *   an sql-primary table, where the catalog is the truth and that is publish lag.
 * - An sql-primary table whose `_delta_log` holds a foreign commit (catalog/commit/foreign-commit.ts:
 *   a file after the published version that the publisher did not write) is drift.
 */
import { DeltaSqlError } from '../common/errors';
import type { CatalogStore, CatalogTable } from '../catalog/store';
import { findForeignCommit, type ForeignCommit } from '../catalog/commit/foreign-commit';
import type { DeltaTable } from '../delta/table';
import { type DiffOptions, type DiffReport, diffSnapshots } from './diff-engine';

export const EXIT_PARITY = 0;
export const EXIT_DRIFT = 2;
export const EXIT_LAG = 3;

export interface ParityOptions extends DiffOptions {
  version?: number;
  allVersions?: boolean;
  lagThresholdSeconds?: number;
  /** Tolerated file drift (missing + extra + changed); default 0. */
  maxDriftFiles?: number;
}

export interface LagInfo {
  sourceLatestVersion: number;
  sourceLatestTimestamp: number;
  catalogLatestVersion: number;
  catalogLatestTimestamp: number;
  /** Source latest minus catalog latest (negative: the catalog is ahead of the log). */
  versionDelta: number;
  lagSeconds: number;
  thresholdSeconds: number | null;
  breached: boolean;
}

export interface VersionSummary {
  version: number;
  ok: boolean;
  driftFiles: number;
  failedChecks: string[];
}

export type ParityStatus = 'parity' | 'drift' | 'lag';

export interface ParityResult {
  table: { tableId: string; name: string; location: string };
  /** Version whose report is in `report` (the first drifting one with --all-versions). */
  comparedVersion: number;
  report: DiffReport;
  lag: LagInfo;
  /** Only with --all-versions: one entry per compared version. */
  versions: VersionSummary[] | null;
  /** Versions the catalog holds but the source can no longer reconstruct (skipped). */
  skippedVersions: number;
  maxDriftFiles: number;
  /** sql-primary only: a log file another writer committed (nothing was overwritten). */
  foreignCommit: ForeignCommit | null;
  drift: boolean;
  status: ParityStatus;
  exitCode: number;
}

/** Timestamp (ms) of the source's commit at `version`; ICT-aware through DeltaTable.commits. */
async function sourceCommitTimestamp(table: DeltaTable, version: number): Promise<number> {
  try {
    for await (const c of table.commits(version, version)) return c.timestamp;
  } catch {
    /* the commit file may be gone (checkpoint-only tail); fall back to the snapshot */
  }
  return (await table.snapshot({ version }, { includeFiles: false })).timestamp;
}

/** Lag between the newest source commit and the newest imported version. */
export function computeLag(
  source: { version: number; timestamp: number },
  catalog: { version: number; timestamp: number },
  thresholdSeconds: number | undefined,
): LagInfo {
  const versionDelta = source.version - catalog.version;
  const lagSeconds = versionDelta > 0 ? Math.max(0, (source.timestamp - catalog.timestamp) / 1000) : 0;
  const threshold = thresholdSeconds ?? null;
  return {
    sourceLatestVersion: source.version,
    sourceLatestTimestamp: source.timestamp,
    catalogLatestVersion: catalog.version,
    catalogLatestTimestamp: catalog.timestamp,
    versionDelta,
    lagSeconds,
    thresholdSeconds: threshold,
    breached: threshold !== null && versionDelta > 0 && lagSeconds >= threshold,
  };
}

/** Drift per the exit-code contract: file drift beyond tolerance, or any non-file check failing. */
export function isDrift(report: DiffReport, maxDriftFiles: number): boolean {
  if (report.driftFiles > maxDriftFiles) return true;
  return report.checks.some((c) => c.ok === false && c.category !== 'files');
}

export function verdict(drift: boolean, lag: LagInfo): { status: ParityStatus; exitCode: number } {
  if (drift || lag.versionDelta < 0) return { status: 'drift', exitCode: EXIT_DRIFT };
  if (lag.breached) return { status: 'lag', exitCode: EXIT_LAG };
  return { status: 'parity', exitCode: EXIT_PARITY };
}

async function diffAt(
  table: DeltaTable,
  store: CatalogStore,
  entry: CatalogTable,
  version: number,
  opts: ParityOptions,
): Promise<DiffReport> {
  const [src, cat] = await Promise.all([
    table.snapshot({ version }, { includeFiles: true }),
    store.snapshot(entry.tableId, { version, includeFiles: true }),
  ]);
  return diffSnapshots(src, cat, opts);
}

const summary = (version: number, r: DiffReport, maxDriftFiles: number): VersionSummary => ({
  version,
  ok: !isDrift(r, maxDriftFiles),
  driftFiles: r.driftFiles,
  failedChecks: r.checks.filter((c) => c.ok === false).map((c) => c.name),
});

/** Compare the catalog's copy of a table with its `_delta_log`. */
export async function compareTable(
  table: DeltaTable,
  store: CatalogStore,
  idOrName: string,
  opts: ParityOptions = {},
): Promise<ParityResult> {
  const entry = await store.findTable(idOrName);
  if (entry === null)
    throw new DeltaSqlError('CatalogTableNotFound', `no table "${idOrName}" in the catalog`, {
      file: idOrName,
    });
  if (entry.lastVersion === null)
    throw new DeltaSqlError('VersionNotFound', `catalog table "${entry.name}" has no imported versions yet`, {
      file: entry.location,
    });
  const maxDriftFiles = opts.maxDriftFiles ?? 0;
  const catalogLatest = entry.lastVersion;
  const sourceLatest = await table.latestVersion();
  const mode = await store.tableMode(entry.tableId);
  const foreignCommit = await findForeignCommit(store, table.store, mode, sourceLatest);
  // sql-primary: the catalog is the truth, so being ahead of the log is publish lag, not drift.
  const aheadIsDrift = mode.mode !== 'sql-primary';
  const catalogTs =
    entry.lastCommitTimestamp ??
    (await store.snapshot(entry.tableId, { version: catalogLatest, includeFiles: false })).timestamp;
  const sourceTs = await sourceCommitTimestamp(table, sourceLatest);
  const lag = computeLag(
    { version: sourceLatest, timestamp: sourceTs },
    { version: catalogLatest, timestamp: catalogTs },
    opts.lagThresholdSeconds,
  );

  let report: DiffReport;
  let comparedVersion: number;
  let versions: VersionSummary[] | null = null;
  let skippedVersions = 0;
  if (opts.allVersions) {
    const first = Math.max(entry.firstVersion ?? 0, await table.oldestReconstructableVersion());
    const last = Math.min(catalogLatest, sourceLatest);
    skippedVersions = Math.max(0, first - (entry.firstVersion ?? 0));
    versions = [];
    let firstBad: { v: number; r: DiffReport } | null = null;
    let lastReport: { v: number; r: DiffReport } | null = null;
    for (let v = first; v <= last; v++) {
      const r = await diffAt(table, store, entry, v, opts);
      const s = summary(v, r, maxDriftFiles);
      versions.push(s);
      if (!s.ok && firstBad === null) firstBad = { v, r };
      lastReport = { v, r };
    }
    const chosen = firstBad ?? lastReport;
    if (chosen === null)
      throw new DeltaSqlError('VersionNotFound', `no version of "${entry.name}" is readable on both sides`, {
        file: entry.location,
      });
    report = chosen.r;
    comparedVersion = chosen.v;
  } else {
    // A catalog ahead of the log is compared where both exist; the excess is version drift.
    comparedVersion = opts.version ?? Math.min(catalogLatest, sourceLatest);
    if (comparedVersion > sourceLatest)
      throw new DeltaSqlError(
        'VersionNotFound',
        `version ${comparedVersion} is beyond the source's latest version ${sourceLatest} (${table.root})`,
        { file: table.root },
      );
    report = await diffAt(table, store, entry, comparedVersion, opts);
  }
  const drift =
    foreignCommit !== null ||
    (versions !== null ? versions.some((s) => !s.ok) : isDrift(report, maxDriftFiles));
  const v = verdict(drift, aheadIsDrift ? lag : { ...lag, versionDelta: Math.max(0, lag.versionDelta) });
  return {
    table: { tableId: entry.tableId, name: entry.name, location: entry.location },
    comparedVersion,
    report,
    lag,
    versions,
    skippedVersions,
    maxDriftFiles,
    foreignCommit,
    drift: drift || (aheadIsDrift && lag.versionDelta < 0),
    ...v,
  };
}
