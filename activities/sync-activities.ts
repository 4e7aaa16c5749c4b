/**
 * The sync workflows' cheap look at a table: list the log from the last imported version only
 * (a start-after listing, one page on S3) and read at most one commit (the newest, for its
 * timestamp) when there is something new. Returns a handful of numbers, never file lists. In
 * follow mode it long-polls (looks every few hundred ms inside one activity call), because
 * workflow timers fire at about one-second granularity and each would add history events.
 */
import { DeltaSqlError, tableNotFound } from '../common/errors';
import { commitPath } from '../delta/log-path';
import { listLog, maxListedVersion } from '../delta/listing';
import { parseCommit } from '../delta/commit-reader';
import { commitTimestamp } from '../delta/timestamps';
import { displayPath } from '../storage/storage-error';
import { openStore } from '../storage/uri';
import { Context } from '@temporalio/activity';
import { hasNewVersions, type PollResult } from '../workflows/sync-types';
import type { ActivityDeps } from './deps';
import { guarded } from './failures';

export interface PollArgs {
  source: string;
  catalog: string;
  name: string;
  /** Keep looking for up to this long (ms) until something is new; 0 = look once. */
  waitMs?: number;
  /** Pause between looks inside the window (ms). */
  intervalMs?: number;
}

const MS_PER_SECOND = 1000;

/**
 * The same error planImport raises on resume (activities/plan.ts), raised before a child import
 * is started: the round never starts a writer on a log whose next commit is gone.
 */
function logTruncated(root: string, version: number, lastImported: number): DeltaSqlError {
  const file = displayPath(root, commitPath(version));
  return new DeltaSqlError(
    'LogTruncated',
    `commit ${version} (right after imported version ${lastImported}) is no longer in the log: ${file} was removed by log retention. ` +
      `Recover by re-importing from a checkpoint: deltasql import <source> --catalog <url> --force --mode checkpoint-only`,
    { file },
  );
}
/** Never list more often than this, whatever the caller asks. */
const MIN_INTERVAL_MS = 50;

export function createSyncActivities(deps: ActivityDeps) {
  async function look(args: PollArgs, priorListedAt: number | null): Promise<PollResult> {
    const store = await deps.catalog(args.catalog);
    const row = await store.findTable(args.name);
    const importedVersion = row?.lastVersion ?? null;
    const importedTimestamp = row?.lastCommitTimestamp ?? null;
    const objects = openStore(args.source);
    const listedAt = Date.now();
    const listing = await listLog(objects, importedVersion ?? 0);
    const newestListed = maxListedVersion(listing);
    // nothing at or after the imported version (not even its own commit): no table there
    if (newestListed === null) throw tableNotFound(objects.root);
    const result: PollResult = {
      sourceVersion: newestListed,
      sourceTimestamp: importedTimestamp,
      importedVersion,
      importedTimestamp,
      lagSeconds: importedVersion === null ? null : 0,
      firstNewModified: null,
      listedAt,
      priorListedAt,
    };
    const sourceVersion = result.sourceVersion;
    if (sourceVersion === null || !hasNewVersions(result)) return result;
    const next = importedVersion === null ? 0 : importedVersion + 1;
    if (importedVersion !== null && !listing.commits.has(next)) {
      throw logTruncated(objects.root, next, importedVersion);
    }
    result.firstNewModified = listing.commits.get(next)?.lastModified ?? null;
    const newest = listing.commits.get(sourceVersion);
    if (newest) {
      const actions = parseCommit(
        await objects.get(newest.path),
        displayPath(objects.root, commitPath(sourceVersion)),
      );
      result.sourceTimestamp = commitTimestamp(sourceVersion, actions, newest.lastModified, null);
    } else {
      // the newest version is a checkpoint whose commit is gone: its file time is all we have
      result.sourceTimestamp = listing.checkpoints.get(sourceVersion)?.[0]?.files[0]?.lastModified ?? null;
    }
    result.lagSeconds =
      result.sourceTimestamp !== null && importedTimestamp !== null
        ? Math.max(0, (result.sourceTimestamp - importedTimestamp) / MS_PER_SECOND)
        : null;
    return result;
  }

  return {
    /** Look at the log, or long-poll it for up to `waitMs`; returns as soon as something is new. */
    async pollLog(args: PollArgs): Promise<PollResult> {
      return guarded(async () => {
        const interval = Math.max(MIN_INTERVAL_MS, args.intervalMs ?? 0);
        const deadline = Date.now() + (args.waitMs ?? 0);
        let prior: number | null = null;
        for (;;) {
          const r = await look(args, prior);
          if (hasNewVersions(r) || Date.now() + interval > deadline) return r;
          prior = r.listedAt;
          await Context.current().sleep(interval);
        }
      });
    },
  };
}
