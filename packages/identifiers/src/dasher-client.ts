/**
 * The DASHER client: `POST <baseUrl>/identifiers/api/v1/uid/<study>` with a DasherRequest,
 * bearer token from the secrets file, one token refresh on 401, retries with backoff on
 * 5xx / 429 / timeouts / connection failures, batching of large requests, and every
 * answer validated. Tokens never appear in errors or logs.
 */
import { inspect } from 'node:util';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  type ErrorCode,
  errorMessage,
  isJsonObject,
  parseJson,
  parseRetryAfter,
  type RetryPolicy,
  sleep,
  SomError,
} from '@som/core';
import {
  DEFAULT_BATCH_LIMITS,
  mergeDasherResponses,
  splitDasherRequest,
  type BatchLimits,
} from './batch';
import { DasherCredentials } from './dasher-secrets';
import { normaliseDasherRequest } from './request';
import { parseDasherResponse } from './response';
import { redact } from './secret';
import type { AliasSource, DasherRequest, DasherResponse } from './types';

/** Where DASHER lives (the original som client's `api_base`, without `/identifiers/api`). */
export const DEFAULT_DASHER_BASE_URL = 'https://api.rit.stanford.edu';

/** The default time allowed for one HTTP exchange (request and whole answer): 30 s. */
export const DEFAULT_DASHER_TIMEOUT_MS = 30_000;

/** Options of {@link DasherClient}. */
export interface DasherClientOptions {
  /** The DASHER study, e.g. `test`: the last part of the endpoint path. */
  study: string;
  /** The secrets file (`{accessToken, refreshToken, token_uri}`); see {@link dasherSecretsPathFromEnv}. */
  secretsPath: string;
  /** Default {@link DEFAULT_DASHER_BASE_URL}. */
  baseUrl?: string;
  /** Time allowed for one HTTP exchange; default {@link DEFAULT_DASHER_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Retry policy; missing fields from {@link DEFAULT_RETRY_POLICY}. */
  retry?: Partial<RetryPolicy>;
  /** Batch limits; missing fields from {@link DEFAULT_BATCH_LIMITS}. */
  batch?: Partial<BatchLimits>;
  /** Receives progress and warnings (retries, refreshes); never a token. */
  log?: (message: string) => void;
}

/** Counters of a {@link DasherClient} since it was made. */
export interface DasherClientStats {
  /** HTTP requests sent (to the uid endpoint and the token endpoint). */
  requests: number;
  /** Requests that were sent again after a transient failure. */
  retries: number;
  /** Access-token refreshes. */
  refreshes: number;
  /** Batches answered. */
  batches: number;
}

/** The outcome of one HTTP exchange. */
type Outcome =
  | {
      kind: 'http';
      status: number;
      statusText: string;
      text: string;
      retryAfterMs: number | undefined;
    }
  | { kind: 'timeout' }
  | { kind: 'network'; code: string; cause: unknown };

const STUDY_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/** `origin + path` of `url`: no credentials, query or fragment. */
function displayUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

function isTransient(outcome: Outcome): boolean {
  return outcome.kind !== 'http' || outcome.status === 429 || outcome.status >= 500;
}

function describe(outcome: Outcome, timeoutMs: number): string {
  if (outcome.kind === 'timeout') return `no complete answer within ${timeoutMs} ms`;
  if (outcome.kind === 'network')
    return outcome.code === 'ECONNREFUSED'
      ? 'connection refused'
      : `connection failed (${outcome.code})`;
  const body = outcome.text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return `HTTP ${outcome.status}${outcome.statusText === '' ? '' : ` ${outcome.statusText}`}${body === '' ? '' : `: ${body}`}`;
}

/** The code of a final HTTP status (after retries and the refresh). */
function codeForStatus(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'PermissionDenied';
  if (status === 404) return 'NotFound';
  if (status === 429) return 'ResourceExhausted';
  if (status >= 500) return 'Unavailable';
  if (status >= 300 && status < 400) return 'FailedPrecondition';
  return 'InvalidArgument';
}

/**
 * An {@link AliasSource} backed by the DASHER honest-broker service.
 *
 * Each {@link aliasesFor} call reads the secrets file, splits the request into batches
 * (at most 1,000 items per entity and per request, 100 entities per request by default),
 * sends them one after another and merges the validated answers. A 401 triggers one
 * refresh of the access token (POST `{"refreshToken"}` to `token_uri`; the new token is
 * saved to the secrets file) and one resend. 5xx, 429, timeouts and connection failures
 * are retried with capped exponential backoff and full jitter; other 4xx are not.
 * Resending is safe: DASHER gives an identifier the same alias every time.
 */
export class DasherClient implements AliasSource {
  readonly #url: string;
  readonly #secretsPath: string;
  readonly #timeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #limits: BatchLimits;
  readonly #log: ((message: string) => void) | undefined;
  readonly #secrets = new Set<string>();
  readonly #stats: DasherClientStats = { requests: 0, retries: 0, refreshes: 0, batches: 0 };
  #credentials: DasherCredentials | undefined;

  /** `DASHER <endpoint>`: safe to log. */
  readonly description: string;
  /** Always `dasher`. */
  readonly kind = 'dasher';
  /** The uid endpoint, `<baseUrl>/identifiers/api/v1/uid/<study>`. */
  readonly endpoint: string;

  /** @throws SomError InvalidArgument for a bad study, base URL, timeout, retry policy or batch limit. */
  constructor(options: DasherClientOptions) {
    if (!STUDY_PATTERN.test(options.study)) {
      throw new SomError(
        'InvalidArgument',
        `invalid DASHER study ${JSON.stringify(options.study)}: use 1-128 of A-Z a-z 0-9 . _ -`,
      );
    }
    const base = options.baseUrl ?? DEFAULT_DASHER_BASE_URL;
    if (!URL.canParse(base) || !/^https?:$/.test(new URL(base).protocol)) {
      throw new SomError(
        'InvalidArgument',
        `invalid DASHER base URL ${JSON.stringify(base)}: expected http(s)://host[:port][/path]`,
      );
    }
    this.#url = `${base.replace(/\/+$/, '')}/identifiers/api/v1/uid/${encodeURIComponent(options.study)}`;
    this.endpoint = displayUrl(this.#url);
    this.description = `DASHER ${this.endpoint}`;
    this.#secretsPath = options.secretsPath;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_DASHER_TIMEOUT_MS;
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#limits = { ...DEFAULT_BATCH_LIMITS, ...options.batch };
    this.#log = options.log;
    const positive = (n: number): boolean => Number.isFinite(n) && n > 0;
    if (!positive(this.#timeoutMs))
      throw new SomError('InvalidArgument', `timeoutMs must be positive, not ${this.#timeoutMs}`);
    const { maxAttempts, baseDelayMs, maxDelayMs } = this.#retry;
    if (
      !Number.isInteger(maxAttempts) ||
      maxAttempts < 1 ||
      !(baseDelayMs >= 0) ||
      !(maxDelayMs >= 0)
    ) {
      throw new SomError('InvalidArgument', `invalid retry policy ${JSON.stringify(this.#retry)}`);
    }
    splitDasherRequest({ identifiers: [] }, this.#limits); // validates the limits
  }

  /** A copy of the counters. */
  get stats(): DasherClientStats {
    return { ...this.#stats };
  }

  /**
   * The aliases of every entity and item of `request`, from DASHER.
   * @throws SomError: InvalidArgument (bad request, HTTP 400, invalid answer),
   *   PermissionDenied (401 after the one refresh, 403, failed refresh), NotFound (404),
   *   ResourceExhausted (429), Unavailable (5xx, connection refused), DeadlineExceeded
   *   (timeout) — the last three after every attempt — and the secrets file's errors.
   */
  async aliasesFor(request: DasherRequest): Promise<DasherResponse> {
    try {
      return await this.#aliasesFor(request);
    } catch (err) {
      throw this.#sanitise(err);
    }
  }

  /** `description`: never a token. */
  toString(): string {
    return this.description;
  }

  /** What `JSON.stringify` writes: the endpoint, never a token. */
  toJSON(): { description: string } {
    return { description: this.description };
  }

  /** What `util.inspect` shows: the endpoint, never a token. */
  [inspect.custom](): string {
    return `DasherClient(${this.endpoint})`;
  }

  async #aliasesFor(request: DasherRequest): Promise<DasherResponse> {
    const normalised = normaliseDasherRequest(request);
    if (normalised.identifiers.length === 0) return { results: [] };
    this.#useCredentials(await DasherCredentials.read(this.#secretsPath));
    if (this.#credentials?.exposed === true) {
      this.#say(
        `warning: DASHER secrets file ${this.#secretsPath} is readable by group or others; run: chmod 600 ${this.#secretsPath}`,
      );
    }
    const batches = splitDasherRequest(normalised, this.#limits);
    const responses: DasherResponse[] = [];
    for (const [index, batch] of batches.entries()) {
      const label =
        batches.length === 1
          ? this.endpoint
          : `${this.endpoint} (batch ${index + 1} of ${batches.length})`;
      const json = await this.#postBatch(batch, label);
      responses.push(parseDasherResponse(json, `from ${label}`, batch));
      this.#stats.batches += 1;
    }
    return parseDasherResponse(
      mergeDasherResponses(responses),
      `from ${this.endpoint}`,
      normalised,
    );
  }

  async #postBatch(batch: DasherRequest, label: string): Promise<unknown> {
    const body = JSON.stringify(batch);
    let refreshed = false;
    for (;;) {
      const sentWith = this.#current();
      const outcome = await this.#exchange(label, this.#url, body, sentWith.authorization());
      if (outcome.status === 401 && !refreshed) {
        refreshed = true;
        await this.#refresh(sentWith);
        continue;
      }
      if (outcome.status >= 200 && outcome.status < 300) {
        return parseJson(outcome.text, `DASHER response from ${label}`);
      }
      const why =
        outcome.status === 401
          ? 'DASHER rejected the access token even after refreshing it'
          : outcome.status >= 300 && outcome.status < 400
            ? 'DASHER answered with a redirect (not followed, so the token goes nowhere else); check the base URL'
            : 'DASHER refused the request';
      throw new SomError(
        codeForStatus(outcome.status),
        `${why}: ${label}: ${describe(outcome, this.#timeoutMs)}`,
      );
    }
  }

  /** Refresh the access token that `stale` holds, unless that already happened. */
  async #refresh(stale: DasherCredentials): Promise<void> {
    if (!this.#current().sameAccessToken(stale)) return;
    if (!stale.canRefresh || stale.tokenUri === undefined) {
      throw new SomError(
        'PermissionDenied',
        `DASHER rejected the access token (HTTP 401) and secrets file ${stale.path} has no refreshToken and token_uri to refresh it`,
      );
    }
    const tokenEndpoint = displayUrl(stale.tokenUri);
    this.#say(`DASHER rejected the access token (HTTP 401); refreshing it at ${tokenEndpoint}`);
    const outcome = await this.#exchange(
      `token endpoint ${tokenEndpoint}`,
      stale.tokenUri,
      stale.refreshRequestBody(),
      undefined,
    );
    if (outcome.status < 200 || outcome.status >= 300) {
      // The body is not shown: a token endpoint may echo what it was sent.
      throw new SomError(
        'PermissionDenied',
        `refreshing the DASHER access token at ${tokenEndpoint} failed: HTTP ${outcome.status}`,
      );
    }
    const json = parseJson(outcome.text, `answer of token endpoint ${tokenEndpoint}`);
    const field = (a: string, b: string): string | undefined => {
      const value = isJsonObject(json) ? (json[a] ?? json[b]) : undefined;
      return typeof value === 'string' && value !== '' ? value : undefined;
    };
    const accessToken = field('accessToken', 'access_token');
    const refreshToken = field('refreshToken', 'refresh_token');
    for (const secret of [accessToken, refreshToken])
      if (secret !== undefined) this.#secrets.add(secret);
    if (accessToken === undefined) {
      throw new SomError(
        'PermissionDenied',
        `token endpoint ${tokenEndpoint} answered without an accessToken`,
      );
    }
    this.#useCredentials(await stale.withRefreshed(accessToken, refreshToken));
    this.#stats.refreshes += 1;
    this.#say(`refreshed the DASHER access token and saved it to ${stale.path}`);
  }

  /** Send until the outcome is not transient or the attempts run out; returns the HTTP answer. */
  async #exchange(
    label: string,
    url: string,
    body: string,
    authorization: string | undefined,
  ): Promise<Extract<Outcome, { kind: 'http' }>> {
    const policy = this.#retry;
    for (let attempt = 1; ; attempt += 1) {
      this.#stats.requests += 1;
      const outcome = await this.#send(url, body, authorization);
      if (!isTransient(outcome) && outcome.kind === 'http') return outcome;
      const what = describe(outcome, this.#timeoutMs);
      if (attempt >= policy.maxAttempts) {
        const code: ErrorCode =
          outcome.kind === 'timeout'
            ? 'DeadlineExceeded'
            : outcome.kind === 'network'
              ? 'Unavailable'
              : codeForStatus(outcome.status);
        const tries = attempt === 1 ? '1 attempt' : `${attempt} attempts`;
        throw new SomError(code, `${label}: ${what} (gave up after ${tries})`, {
          cause: outcome.kind === 'network' ? outcome.cause : undefined,
        });
      }
      const delay = backoffDelay(
        attempt,
        policy,
        outcome.kind === 'http' ? outcome.retryAfterMs : undefined,
      );
      this.#say(
        `${label}: ${what}; retrying in ${delay} ms (attempt ${attempt + 1} of ${policy.maxAttempts})`,
      );
      this.#stats.retries += 1;
      await sleep(delay);
    }
  }

  /** One HTTP exchange, the whole answer read within the timeout. */
  async #send(url: string, body: string, authorization: string | undefined): Promise<Outcome> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#timeoutMs);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
    };
    if (authorization !== undefined) headers.authorization = authorization;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body,
        signal: controller.signal,
        redirect: 'manual',
      });
      const text = await response.text();
      return {
        kind: 'http',
        status: response.status,
        statusText: response.statusText,
        text,
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
      };
    } catch (err) {
      if (controller.signal.aborted) return { kind: 'timeout' };
      const cause = (err as { cause?: { code?: unknown } }).cause;
      const code = typeof cause?.code === 'string' ? cause.code : errorMessage(err);
      return { kind: 'network', code, cause: err };
    } finally {
      clearTimeout(timer);
    }
  }

  #current(): DasherCredentials {
    if (this.#credentials === undefined)
      throw new SomError('Internal', 'DASHER credentials used before they were read');
    return this.#credentials;
  }

  #useCredentials(credentials: DasherCredentials): void {
    for (const secret of credentials.secretValues()) this.#secrets.add(secret);
    this.#credentials = credentials;
  }

  #say(message: string): void {
    this.#log?.(redact(message, this.#secrets));
  }

  /** `err` as a SomError whose message, stack and causes hold no token. */
  #sanitise(err: unknown): SomError {
    const secrets = [...this.#secrets];
    const leaks = (text: string): boolean => secrets.some((s) => text.includes(s));
    if (err instanceof SomError && !leaks(inspect(err, { depth: 8 }))) return err;
    const code = err instanceof SomError ? err.code : 'Internal';
    return new SomError(code, redact(errorMessage(err), secrets));
  }
}
