/**
 * Retrying an idempotent request after a transient failure (connection lost, 5xx, 429,
 * timeout), with exponential backoff and jitter.
 */
import { isTransient, s3ErrorCode } from './errors';

/** First backoff in ms; doubled at each retry. */
const BASE_DELAY_MS = 100;

/** Run `request`, and again up to `maxRetries` times while it fails transiently. */
export async function withRetries<T>(maxRetries: number, request: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await request();
    } catch (err) {
      if (attempt >= maxRetries || !isTransient(s3ErrorCode(err))) throw err;
      const delay = BASE_DELAY_MS * 2 ** attempt;
      await new Promise((resolve) => setTimeout(resolve, delay + Math.random() * delay));
    }
  }
}
