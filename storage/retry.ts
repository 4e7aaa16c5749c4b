/**
 * One retry policy for every cloud store. The SDKs' own retry loops are switched off (S3
 * maxAttempts 1, GCS autoRetry false, Azure maxTries 1) so that every store retries the same
 * failures (throttling, 5xx, dropped connections) with the same bounded, jittered exponential
 * backoff, and a test can prove it once per store through a fault proxy. A `Retry-After` on the
 * failed answer (429, 503) replaces the backoff, but never beyond the policy's `maxDelayMs`: the
 * server knows when it will have capacity again, and nothing waits longer than the policy allows.
 */

export interface RetryPolicy {
  /** Total tries, the first included (>= 1). */
  attempts: number;
  /**
   * Backoff before retry n (1-based) is a random delay in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))],
   * or the answer's Retry-After when it has one, capped at maxDelayMs.
   */
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

/** What a store's SDK error tells about the HTTP answer (each store reads its SDK's error shape). */
export interface HttpFailure {
  status?: number;
  /** The answer's Retry-After header, as sent. */
  retryAfter?: string;
}

/**
 * A Retry-After value as a delay in milliseconds: delta-seconds ("120") or an HTTP date (RFC 9110
 * §10.2.3); a date in the past is 0. Undefined when absent or not one of the two forms.
 */
export function retryAfterMs(value: string | undefined, now: number = Date.now()): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = /[a-z]/i.test(v) ? Date.parse(v) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

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

/** The wait before retry `attempt` (1-based): the server's Retry-After, else jittered backoff; at most maxDelayMs. */
export function retryDelayMs(policy: RetryPolicy, attempt: number, retryAfter?: string): number {
  const asked = retryAfterMs(retryAfter);
  if (asked !== undefined) return Math.min(policy.maxDelayMs, asked);
  return Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
}

/**
 * Run `op`, retrying while the failure's status is retryable or the error is a transport failure,
 * at most `policy.attempts` times in all. The last error is rethrown unchanged for the store to type.
 */
export async function withRetry<T>(
  op: () => Promise<T>,
  inspect: (e: unknown) => HttpFailure,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (e) {
      const failure = inspect(e);
      const transient = isRetryableStatus(failure.status) || isNetworkError(e);
      if (!transient || attempt >= policy.attempts) throw e;
      await sleep(retryDelayMs(policy, attempt, failure.retryAfter));
    }
  }
}
