/**
 * One retry policy for every cloud store. The SDKs' own retry loops are switched off (S3
 * maxAttempts 1, GCS autoRetry false, Azure maxTries 1) so that every store retries the same
 * failures (throttling, 5xx, dropped connections) with the same bounded, jittered exponential
 * backoff, and a test can prove it once per store through a fault proxy.
 */

export interface RetryPolicy {
  /** Total tries, the first included (>= 1). */
  attempts: number;
  /** Backoff before retry n (1-based) is a random delay in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))]. */
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Tuning of a cloud store: its retry policy, and the listing page size (tests make it small). */
export interface CloudStoreOptions {
  retry?: RetryPolicy;
  pageSize?: number;
}

/** At most 0.2 + 0.4 + 0.8 + 1.6 = 3 s of waiting before a request is given up on (then the activity retry policy takes over). */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200, maxDelayMs: 3000 };

/** HTTP statuses a retry can cure: request timeout, throttling, server-side failures. */
export const isRetryableStatus = (status: number | undefined): boolean =>
  status === 408 || status === 429 || (status !== undefined && status >= 500 && status <= 599);

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'REQUEST_SEND_ERROR',
]);

/** A transport failure (no HTTP status), looking through `cause` chains the SDKs build. */
export function isNetworkError(e: unknown): boolean {
  for (let cur = e, depth = 0; cur !== null && typeof cur === 'object' && depth < 5; depth++) {
    const { code, name, message } = cur as { code?: unknown; name?: unknown; message?: unknown };
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    if (name === 'TimeoutError' || name === 'AbortError') return false;
    if (typeof message === 'string' && /socket hang up|ECONNRESET|other side closed/.test(message))
      return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Run `op`, retrying while `statusOf(error)` is retryable or the error is a transport failure, at
 * most `policy.attempts` times in all. The last error is rethrown unchanged for the store to type.
 */
export async function withRetry<T>(
  op: () => Promise<T>,
  statusOf: (e: unknown) => number | undefined,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (e) {
      const transient = isRetryableStatus(statusOf(e)) || isNetworkError(e);
      if (!transient || attempt >= policy.attempts) throw e;
      const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      await sleep(Math.random() * cap);
    }
  }
}
