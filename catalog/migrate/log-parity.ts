/**
 * The log half of a migration's validation: `deltasql diff --all-versions` of the migrated table
 * against its source `_delta_log` (the same diff engine and drift rule, parity/), at every version
 * the catalog holds from `from` on. Unlike `diff`, which rebuilds the log's snapshot from its
 * checkpoint for every version, this replays the log once, oldest to newest (one checkpoint or
 * segment replay, then each commit applied to the same builder, timestamps taken the way
 * `DeltaTable.replay` takes them), so a 10k-version table costs one pass over its log rather
 * than 10k replays. A table whose log cannot be reached (moved, deleted, not a Delta table any
 * more) is reported `unreachable` and does not fail the migration; the catalog-to-catalog hashes
 * still hold it.
 */
import { DeltaSqlError, isDeltaSqlError } from '../../common/errors';
import type { CatalogStore } from '../store';
import type { DeltaTable } from '../../delta/table';
import { commitTimestamp, ictConfig } from '../../delta/timestamps';
import { isDrift } from '../../parity/compare';
import { diffSnapshots } from '../../parity/diff-engine';
import type { SnapshotJson } from '../../delta/snapshot-json';

export interface LogParity {
  status: 'parity' | 'drift' | 'unreachable';
  /** Versions compared. */
  versions: number;
  /** First version whose catalog snapshot differs from the log's, with the failed checks. */
  firstDrift: { version: number; failedChecks: string[] } | null;
  detail: string;
}

/** A log that is not there (or no longer a Delta table) is unreachable, not a failed migration. */
const UNREACHABLE = new Set(['TableNotFound', 'InvalidUri']);

/** How many differing files a drift names. */
const LISTED_FILES = 5;

export async function logParity(
  open: () => Promise<DeltaTable>,
  store: CatalogStore,
  tableId: string,
  from: number,
  tick: (version: number) => void,
): Promise<LogParity> {
  const entry = await store.findTable(tableId);
  if (!entry || entry.lastVersion === null)
    throw new DeltaSqlError('CatalogTableNotFound', `no versions of table ${tableId} in the target catalog`);
  let table: DeltaTable;
  let latest: number;
  let oldest: number;
  try {
    table = await open();
    latest = await table.latestVersion();
    oldest = await table.oldestReconstructableVersion();
  } catch (e) {
    if (isDeltaSqlError(e) && UNREACHABLE.has(e.type))
      return { status: 'unreachable', versions: 0, firstDrift: null, detail: e.message };
    throw e;
  }
  if (entry.lastVersion > latest)
    return {
      status: 'drift',
      versions: 0,
      firstDrift: { version: latest + 1, failedChecks: ['version'] },
      detail: `the catalog holds version ${entry.lastVersion}, the log ends at ${latest}`,
    };
  const first = Math.max(Math.min(from, entry.lastVersion), entry.firstVersion ?? 0, oldest);
  const last = entry.lastVersion;
  if (first > last)
    return { status: 'parity', versions: 0, firstDrift: null, detail: 'no version to compare' };
  let versions = 0;
  const check = async (v: number, log: SnapshotJson): Promise<LogParity['firstDrift']> => {
    const cat = await store.snapshot(tableId, { version: v, includeFiles: true });
    const r = diffSnapshots(log, cat, { maxListedFiles: LISTED_FILES });
    versions += 1;
    tick(v);
    if (!isDrift(r, 0)) return null;
    return { version: v, failedChecks: r.checks.filter((c) => c.ok === false).map((c) => c.name) };
  };
  const drift = (d: NonNullable<LogParity['firstDrift']>): LogParity => ({
    status: 'drift',
    versions,
    firstDrift: d,
    detail: `version ${d.version} differs from the log (${d.failedChecks.join(', ')})`,
  });

  const { builder, timestamp, file } = await table.replay(await table.segment(first));
  const d0 = await check(first, builder.toJson(first, timestamp, true, file));
  if (d0) return drift(d0);
  const listing = await table.listing();
  const metas = function* (): Generator<{
    version: number;
    meta: NonNullable<ReturnType<typeof listing.commits.get>>;
  }> {
    for (let v = first + 1; v <= last; v++) {
      const meta = listing.commits.get(v);
      if (!meta)
        throw new DeltaSqlError(
          'LogGap',
          `commit ${v} of ${table.root} is missing; cannot compare every version`,
        );
      yield { version: v, meta };
    }
  };
  for await (const c of table.fetchCommits(metas())) {
    for (const a of c.actions) builder.apply(a);
    const ts = commitTimestamp(c.version, c.actions, c.meta.lastModified, ictConfig(builder.metadata));
    const d = await check(c.version, builder.toJson(c.version, ts, true, file));
    if (d) return drift(d);
  }
  return { status: 'parity', versions, firstDrift: null, detail: `versions ${first}..${last} equal the log` };
}
