/**
 * Heartbeat on a timer while an activity body runs, at a third of its heartbeat timeout.
 *
 * Why: progress heartbeats alone come only after a written batch, and before its first batch an
 * importRange attempt lists the rest of the log and waits out storage retries. When that took
 * longer than the heartbeat timeout (a long log on a slow or erroring S3), every attempt was
 * timed out and cancelled after at most one batch, and the import crawled on under a growing
 * retry backoff (found by test/faults). validateImport (reading a snapshot through an erroring
 * S3) livelocked the same way. A live attempt now always says so; a dead worker still stops
 * heartbeating, which is what the timeout is for.
 */
import { Context } from '@temporalio/activity';

const MIN_INTERVAL_MS = 200;

export async function keepingAlive<T>(fn: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const timeout = ctx.info.heartbeatTimeoutMs;
  const timer = timeout
    ? setInterval(() => ctx.heartbeat(), Math.max(MIN_INTERVAL_MS, Math.floor(timeout / 3)))
    : null;
  try {
    return await fn();
  } finally {
    if (timer) clearInterval(timer);
  }
}
