/**
 * The Retry-After rule of storage/retry.ts on its own (the fault suite proves it per store over
 * HTTP): delta-seconds and HTTP dates become a wait, anything else is ignored, and the wait never
 * exceeds the policy's maxDelayMs.
 */
import { type RetryPolicy, retryAfterMs, retryDelayMs } from '../../storage/retry';

const NOW = Date.parse('2026-12-02T01:00:00Z');

test.each([
  ['0', 0],
  ['2', 2000],
  [' 120 ', 120_000],
  ['Wed, 02 Dec 2026 01:00:03 GMT', 3000],
  ['Wed, 02 Dec 2026 00:59:00 GMT', 0], // already past
  ['', undefined],
  [undefined, undefined],
  ['-1', undefined],
  ['1.5', undefined],
  ['soon', undefined],
])('Retry-After %p is %p ms', (value, ms) => {
  expect(retryAfterMs(value, NOW)).toBe(ms);
});

test('the wait is the Retry-After, capped at maxDelayMs; without it, jittered backoff', () => {
  const policy: RetryPolicy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };
  expect(retryDelayMs(policy, 1, '0')).toBe(0);
  expect(retryDelayMs(policy, 1, '1')).toBe(1000);
  expect(retryDelayMs(policy, 1, '3600')).toBe(1000);
  for (let attempt = 1; attempt <= 6; attempt++) {
    const d = retryDelayMs(policy, attempt, undefined);
    expect(d).toBeGreaterThanOrEqual(0);
    expect(d).toBeLessThanOrEqual(Math.min(1000, 100 * 2 ** (attempt - 1)));
  }
});
