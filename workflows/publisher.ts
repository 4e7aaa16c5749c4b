/**
 * The publisher: one workflow per sql-primary table (the id derives from catalog and table, see
 * api/publisher-client.ts), which writes each committed version to `_delta_log` in strict version
 * order through the `publishVersions` activity. Commits signal it (signal-with-start), so it sleeps
 * while nothing is pending and wakes within a round trip of a commit; without signals it still
 * looks every `idleMs`. After a rollback has drained the table (mode back to mirror, nothing left
 * to publish) it ends. It continues-as-new when the server suggests it; a crashed worker's
 * activity is retried from the catalog's published version (see the activity), so there are
 * never gaps or duplicates. Search attributes carry the published version and the lag in versions.
 *
 * A catalog that goes away (patched `bounded-catalog-activities`; before it, the activity retried
 * without end and nothing said why the log fell behind) is waited for visibly and for a bounded
 * time: the status query's `catalogWait` and the Web UI's current details say `waiting for catalog
 * <url>: … (attempt N, retrying)`, pauses grow to 30 s, and once the catalog answers publishing
 * resumes by itself (no new commit needed). After `catalogTimeoutMs` in all (default 1 hour: a
 * publisher is long-lived and no one watches it, so it outwaits restarts and failovers but not a
 * catalog gone for good) the workflow fails with CatalogUnavailable; the next commit's wake-up
 * (signal-with-start) starts a fresh publisher, which catches up from the catalog's published
 * version, and `deltasql publish` catches up at once without Temporal. Configuration errors
 * (CatalogMisconfigured) are never waited for.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createPublishActivities } from '../activities/publish-activities';
import { CATALOG_BOUNDED_RETRY, withCatalogWait, type CatalogWait } from './catalog-wait';
import { ACTIVITY_RETRY } from './retry';
import { SA_PUBLISHED_VERSION, SA_PUBLISH_LAG, SA_TABLE } from './search-attributes';

export interface PublisherInput {
  /** Catalog URL without its password (common/credentials.ts). */
  catalog: string;
  /** Catalog table name. */
  table: string;
  /** Versions per activity call. */
  maxVersions?: number;
  /** Activity heartbeat timeout (ms): how soon a crashed worker's publish is retried elsewhere. */
  heartbeatTimeoutMs?: number;
  /** Wait before looking again without a signal (ms). */
  idleMs?: number;
  /** Continue-as-new after this many publish calls in one run (tests; else the server's suggestion). */
  continueAsNewAfter?: number;
  /** How long a lost catalog is waited for before the publisher fails (ms; default 1 hour). */
  catalogTimeoutMs?: number;
}

export interface PublishArgs {
  catalog: string;
  table: string;
  maxVersions?: number;
}

export interface PublishProgress {
  mode: 'mirror' | 'sql-primary';
  publishedVersion: number | null;
  lastVersion: number | null;
  created: number;
  alreadyPresent: number;
  lagVersions: number;
}

export interface PublisherStatus {
  table: string;
  publishedVersion: number | null;
  lastVersion: number | null;
  lagVersions: number;
  calls: number;
  /** Set while the catalog is away and waited for (attempt number and the last failure). */
  catalogWait?: CatalogWait | null;
}

export const publishSignal = defineSignal('publish');
export const publisherStatusQuery = defineQuery<PublisherStatus>('publisherStatus');

const DEFAULT_IDLE_MS = 60_000;
const DEFAULT_HEARTBEAT_TIMEOUT_MS = 30_000;
/** How long a publisher waits for a lost catalog by default, and its longest pause between attempts. */
export const DEFAULT_PUBLISHER_CATALOG_TIMEOUT_MS = 60 * 60_000;
const PUBLISHER_MAX_PAUSE_MS = 30_000;

export async function publisherWorkflow(input: PublisherInput): Promise<PublisherStatus> {
  const bounded = patched('bounded-catalog-activities');
  const acts = proxyActivities<ReturnType<typeof createPublishActivities>>({
    startToCloseTimeout: '15m',
    heartbeatTimeout: input.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
    retry: bounded ? CATALOG_BOUNDED_RETRY : ACTIVITY_RETRY,
  });
  // A new run always looks once: a signal sent while the previous run continued-as-new is not lost.
  let pending = true;
  setHandler(publishSignal, () => {
    pending = true;
  });
  const status: PublisherStatus = {
    table: input.table,
    publishedVersion: null,
    lastVersion: null,
    lagVersions: 0,
    calls: 0,
  };
  setHandler(publisherStatusQuery, () => status);
  let shown: [number, number] | null = null;
  for (;;) {
    if (!pending) await condition(() => pending, input.idleMs ?? DEFAULT_IDLE_MS);
    pending = false;
    const publish = () =>
      acts.publishVersions({ catalog: input.catalog, table: input.table, maxVersions: input.maxVersions });
    const r = bounded
      ? await withCatalogWait(
          input.catalogTimeoutMs ?? DEFAULT_PUBLISHER_CATALOG_TIMEOUT_MS,
          publish,
          (wait) => {
            status.catalogWait = wait;
            // The Web UI's current details: why the log is behind (the URL carries no password).
            setCurrentDetails(
              wait
                ? `waiting for catalog ${input.catalog} (attempt ${wait.attempt}, retrying): ${wait.message}`
                : '',
            );
          },
          PUBLISHER_MAX_PAUSE_MS,
        )
      : await publish();
    status.publishedVersion = r.publishedVersion;
    status.lastVersion = r.lastVersion;
    status.lagVersions = r.lagVersions;
    status.calls += 1;
    const sa: [number, number] = [r.publishedVersion ?? -1, r.lagVersions];
    if (shown === null || shown[0] !== sa[0] || shown[1] !== sa[1]) {
      upsertSearchAttributes([
        { key: SA_TABLE, value: input.table },
        { key: SA_PUBLISHED_VERSION, value: sa[0] },
        { key: SA_PUBLISH_LAG, value: sa[1] },
      ]);
      shown = sa;
    }
    if (r.lagVersions > 0) pending = true;
    else if (r.mode === 'mirror') return status;
    if (workflowInfo().continueAsNewSuggested || status.calls >= (input.continueAsNewAfter ?? Infinity)) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof publisherWorkflow>(input);
    }
  }
}
