/**
 * Nothing waits forever for a catalog (issue 14). A catalog that goes away is waited for with
 * backoff, `catalogTimeoutMs` in all (default 2 minutes, `--catalog-timeout`), and then the
 * workflow fails with a non-retryable typed error (CatalogUnavailable) instead of retrying on the
 * server after the CLI is gone.
 *
 * The wait is workflow code, not an activity retry policy: a range or validation activity runs for
 * minutes, so no schedule-to-close timeout can bound only the time spent waiting. Activities that
 * touch the catalog therefore run with CATALOG_BOUNDED_RETRY (the server never retries
 * CatalogUnavailable; every other hiccup keeps Temporal's retries) and are wrapped in
 * `retryBounded`, which re-runs them after a pause. The time counted is the sum of the pauses, not
 * the clock (local activities make the clock differ between a run and its replay), and it is
 * counted per call: an attempt that succeeds ends the wait. Workflow code only.
 */
import { ApplicationFailure, isCancellation, sleep } from '@temporalio/workflow';
import type { RetryPolicy } from '@temporalio/common';
import { ACTIVITY_RETRY } from './retry';

/** Default of `--catalog-timeout`: how long an unreachable catalog is waited for. */
export const DEFAULT_CATALOG_TIMEOUT_MS = 2 * 60_000;

/** Pauses between attempts while the catalog (or the store) is away: 0.5 s doubling to 5 s. */
const FIRST_PAUSE_MS = 500;
const MAX_PAUSE_MS = 5_000;

/** The activity retry policy, except that CatalogUnavailable comes back to the workflow's bounded wait. */
export const CATALOG_BOUNDED_RETRY: RetryPolicy = {
  ...ACTIVITY_RETRY,
  nonRetryableErrorTypes: [...(ACTIVITY_RETRY.nonRetryableErrorTypes ?? []), 'CatalogUnavailable'],
};

/** What a waiting workflow shows (progress query): the next attempt's number and the last failure. */
export interface CatalogWait {
  attempt: number;
  message: string;
}

export interface BoundedRetry {
  timeoutMs: number;
  /** The longest pause between attempts (default 5 s; a long-lived publisher waits longer apart). */
  maxPauseMs?: number;
  /** Whether a failure is waited out; a non-retryable one never is. */
  retryable(failure: ApplicationFailure | null): boolean;
  /** Told before each pause, and with null when an attempt after a pause succeeds. */
  onWait?(wait: CatalogWait | null): void;
}

/**
 * Run `attempt` until it succeeds, pausing with backoff after each retryable failure; when the next
 * pause would exceed `timeoutMs`, fail non-retryably with the last failure's type and message
 * (`gave up after 10s: …`).
 */
export async function retryBounded<T>(attempt: () => Promise<T>, o: BoundedRetry): Promise<T> {
  let waited = 0;
  for (let n = 1; ; n++) {
    try {
      const result = await attempt();
      if (n > 1) o.onWait?.(null);
      return result;
    } catch (err) {
      if (isCancellation(err)) throw err;
      const app = innermostApplicationFailure(err);
      if (app?.nonRetryable || !o.retryable(app)) throw err;
      const pause = Math.min(FIRST_PAUSE_MS * 2 ** (n - 1), o.maxPauseMs ?? MAX_PAUSE_MS);
      const message = app?.message ?? describe(err);
      if (waited + pause > o.timeoutMs) {
        o.onWait?.(null);
        throw ApplicationFailure.nonRetryable(
          `gave up after ${Math.round(o.timeoutMs / 1000)}s: ${message}`,
          app?.type ?? 'CatalogUnavailable',
        );
      }
      o.onWait?.({ attempt: n + 1, message });
      await sleep(pause);
      waited += pause;
    }
  }
}

/** An activity call (run with CATALOG_BOUNDED_RETRY) whose CatalogUnavailable is waited out for `timeoutMs`. */
export function withCatalogWait<T>(
  timeoutMs: number,
  attempt: () => Promise<T>,
  onWait?: (wait: CatalogWait | null) => void,
  maxPauseMs?: number,
): Promise<T> {
  return retryBounded(attempt, {
    timeoutMs,
    retryable: (app) => app?.type === 'CatalogUnavailable',
    ...(onWait ? { onWait } : {}),
    ...(maxPauseMs === undefined ? {} : { maxPauseMs }),
  });
}

/** Whether an error is a bounded wait that gave up on the catalog (no point in waiting again). */
export function isCatalogGiveUp(err: unknown): boolean {
  const app = innermostApplicationFailure(err);
  return app?.type === 'CatalogUnavailable' && app.nonRetryable === true;
}

export function innermostApplicationFailure(err: unknown): ApplicationFailure | null {
  for (let cur: unknown = err; cur instanceof Error; cur = cur.cause) {
    if (cur instanceof ApplicationFailure) return cur;
  }
  return null;
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
}
