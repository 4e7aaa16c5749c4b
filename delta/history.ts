/**
 * Per-version facts that need no state replay: `history` (timestamp, operation, action counts,
 * newest first) and "which version was current at time T" for time travel by timestamp.
 */
import { DeltaSqlError } from '../common/errors';
import type { ObjectMeta } from '../storage/object-store';
import { type CommitInfoAction, emptyCounts } from './actions';
import { oldestReconstructable } from './log-segment';
import { commitTimestamp, ictApplies, ictConfig, monotonize } from './timestamps';
import type { DeltaTable, HistoryEntry } from './table';

export async function readHistory(table: DeltaTable, limit?: number): Promise<HistoryEntry[]> {
  const listing = await table.listing();
  const versions = [...listing.commits.keys()].sort((a, b) => b - a);
  const chosen = limit === undefined ? versions : versions.slice(0, Math.max(0, limit));
  if (chosen.length === 0 && listing.checkpoints.size === 0) await table.latestVersion(); // TableNotFound
  const out: HistoryEntry[] = [];
  const items = chosen.map((v) => ({ version: v, meta: listing.commits.get(v) as ObjectMeta }));
  for await (const c of table.fetchCommits(items)) {
    const counts = emptyCounts();
    let operation: string | null = null;
    for (const a of c.actions) {
      counts[a.type]++;
      if (a.type === 'commitInfo') operation = (a.body as CommitInfoAction).operation ?? null;
    }
    out.push({
      version: c.version,
      timestamp: commitTimestamp(c.version, c.actions, c.meta.lastModified, null),
      operation,
      counts,
    });
  }
  return out;
}

/** Spark's DELTA_TIMESTAMP_GREATER_THAN_COMMIT: time travel past the latest commit is an error, not "latest". */
export function timestampAfterLatest(
  where: string,
  ts: number,
  latest: number,
  latestTs: number,
): DeltaSqlError {
  return new DeltaSqlError(
    'TimestampAfterLatestCommit',
    `timestamp ${new Date(ts).toISOString()} is after the latest commit of ${where} (version ${latest} at ${new Date(latestTs).toISOString()}); use that version or an earlier timestamp`,
    { file: where },
  );
}

/**
 * Newest version whose timestamp is <= `ts`, as Spark resolves it: modification times are
 * monotonized first, and a timestamp after the latest commit is TimestampAfterLatestCommit. In-commit timestamps are monotonic, so the ICT range
 * is binary-searched (one commit fetch per probe); older versions use file modification times.
 */
export async function versionAtTimestamp(table: DeltaTable, ts: number): Promise<number> {
  const listing = await table.listing();
  const oldest = oldestReconstructable(listing, table.root);
  const latest = await table.latestVersion();
  const latestSnap = await table.replay(await table.segment(latest));
  const ict = ictConfig(latestSnap.builder.metadata);
  const versions = [...listing.commits.keys()].filter((v) => v >= oldest).sort((a, b) => a - b);
  const tsOf = async (v: number): Promise<number> => {
    const meta = listing.commits.get(v) as ObjectMeta;
    for await (const c of table.fetchCommits([{ version: v, meta }])) {
      return commitTimestamp(v, c.actions, meta.lastModified, ict);
    }
    return meta.lastModified;
  };
  const ictStart = ict && ict.enabled ? versions.findIndex((v) => ictApplies(ict, v)) : -1;
  if (ictStart >= 0 && (await tsOf(versions[ictStart])) <= ts) {
    const last = versions[versions.length - 1];
    const lastTs = await tsOf(last);
    if (ts > lastTs) throw timestampAfterLatest(table.root, ts, last, lastTs);
    let lo = ictStart;
    let hi = versions.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((await tsOf(versions[mid])) <= ts) lo = mid;
      else hi = mid - 1;
    }
    return versions[lo];
  }
  const end = ictStart >= 0 ? ictStart : versions.length;
  const times = monotonize(
    versions.slice(0, end).map((v) => (listing.commits.get(v) as ObjectMeta).lastModified),
  );
  if (ictStart < 0 && end > 0 && ts > times[end - 1])
    throw timestampAfterLatest(table.root, ts, versions[end - 1], times[end - 1]);
  for (let i = end - 1; i >= 0; i--) {
    if (times[i] <= ts) return versions[i];
  }
  throw new DeltaSqlError(
    'VersionNotFound',
    `no version of ${table.root} has a timestamp at or before ${new Date(ts).toISOString()} (${ts})`,
    { file: `${table.root}/_delta_log` },
  );
}
