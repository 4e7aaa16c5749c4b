/**
 * The retry policy of every deltasql activity: storage and database hiccups back off and retry
 * (Temporal's default of unlimited attempts, capped at 30 s apart); corrupt or impossible input
 * (common/errors.ts NON_RETRYABLE_ERROR_TYPES) fails at once.
 */
import type { RetryPolicy } from '@temporalio/common';
import { NON_RETRYABLE_ERROR_TYPES } from '../common/errors';

export const ACTIVITY_RETRY: RetryPolicy = {
  initialInterval: '500ms',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
};
