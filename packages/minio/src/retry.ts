/**
 * Retrying an idempotent S3 request after a transient failure (connection lost, 5xx, 429,
 * timeout), with the shared backoff of @som/core.
 */
import { withRetries as retrying } from '@som/core';
import { isTransient, s3ErrorCode } from './errors';

/** First backoff in ms (doubling, with jitter, up to {@link MAX_DELAY_MS}). */
const BASE_DELAY_MS = 100;

/** Longest wait between two attempts. */
const MAX_DELAY_MS = 5_000;

/** Run `request`, and again up to `maxRetries` times while it fails transiently. */
export function withRetries<T>(maxRetries: number, request: () => Promise<T>): Promise<T> {
  return retrying(request, {
    policy: { maxAttempts: maxRetries + 1, baseDelayMs: BASE_DELAY_MS, maxDelayMs: MAX_DELAY_MS },
    retryable: (err) => isTransient(s3ErrorCode(err)),
  });
}
