/**
 * Retrying requests to a server: capped exponential backoff with full jitter, honouring a
 * server's `Retry-After` (within the cap). Used by every adapter and client that retries.
 */

/** How often and how patiently a request is retried. */
export interface RetryPolicy {
  /** Attempts in all, the first included (1: never retry). */
  maxAttempts: number;
  /** The backoff before the 2nd attempt is drawn from [0, baseDelayMs], doubling each time. */
  baseDelayMs: number;
  /** No wait is longer than this, even when the server asks for more. */
  maxDelayMs: number;
}

/** The default: 5 attempts, 500 ms doubling to at most 30 s. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
});

/**
 * The wait before attempt `attempt + 1` after attempt `attempt` (1-based) failed:
 * uniform in [0, min(maxDelayMs, baseDelayMs * 2^(attempt-1))] ("full jitter", which
 * spreads out clients that failed together), but at least `retryAfterMs` when the server
 * gave one, and never more than `maxDelayMs`.
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const drawn = Math.floor(random() * ceiling);
  return Math.min(policy.maxDelayMs, Math.max(drawn, retryAfterMs ?? 0));
}

/**
 * A `Retry-After` header in milliseconds: delta-seconds or an HTTP date; undefined when
 * absent or unreadable.
 */
export function parseRetryAfter(
  header: string | null,
  now: number = Date.now(),
): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Resolve after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Options of {@link withRetries}. */
export interface RetryOptions {
  /** How often and how patiently. */
  policy: RetryPolicy;
  /** Whether a failure is worth another attempt (a transient one, of an idempotent request). */
  retryable: (err: unknown) => boolean;
}

/**
 * Run `request`, and again after a {@link backoffDelay} while it fails with a retryable
 * error and attempts remain; the last failure is thrown as it is.
 */
export async function withRetries<T>(request: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (err) {
      if (attempt >= options.policy.maxAttempts || !options.retryable(err)) throw err;
      await sleep(backoffDelay(attempt, options.policy));
    }
  }
}
