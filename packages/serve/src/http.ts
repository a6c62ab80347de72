/**
 * HTTP plumbing of the server: the request as handlers see it (path segments already
 * decoded and checked), replies with the security headers every response carries, and the
 * mapping of errors to status codes with one readable message (never a stack trace).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SomError, type ErrorCode } from '@som/core';

/** The Content-Security-Policy of som's own pages: no script at all, styles and images from here. */
export const PAGE_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** A request as the handlers see it. */
export interface Request {
  /** The raw request. */
  readonly raw: IncomingMessage;
  /** GET or HEAD. */
  readonly method: string;
  /** The path segments, percent-decoded, none empty, `.` or `..`, none holding `/` or `\`. */
  readonly segments: readonly string[];
  /** The query parameters. */
  readonly query: URLSearchParams;
}

/** HTTP status of each error code. */
const STATUS: Readonly<Record<ErrorCode, number>> = {
  NotFound: 404,
  AlreadyExists: 409,
  InvalidArgument: 400,
  FailedPrecondition: 412,
  PermissionDenied: 403,
  ResourceExhausted: 429,
  Unimplemented: 501,
  Unavailable: 503,
  Internal: 500,
  Canceled: 499,
  DeadlineExceeded: 504,
};

/** An error with the HTTP status it answers with (and headers, e.g. `Allow`). */
export class HttpError extends SomError {
  /**
   * @param status the HTTP status.
   * @param code the portable code.
   * @param message one readable sentence, safe to show.
   * @param headers extra response headers.
   */
  constructor(
    readonly status: number,
    code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(code, message);
  }
}

/** The status and message an error answers with. Internal errors are not described. */
export function describeError(err: unknown): { status: number; code: ErrorCode; message: string } {
  if (err instanceof HttpError) return { status: err.status, code: err.code, message: err.message };
  if (err instanceof SomError && err.code !== 'Internal')
    return { status: STATUS[err.code], code: err.code, message: err.message };
  return { status: 500, code: 'Internal', message: 'internal error (see the server log)' };
}

/**
 * The path segments of `pathname`, percent-decoded. Refuses (400) what could name something
 * else than it seems: empty, `.` and `..` segments, encoded slashes and backslashes, NUL,
 * and malformed percent-encoding.
 */
export function pathSegments(pathname: string): string[] {
  const parts = pathname.split('/').slice(1);
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.map((part) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      throw new HttpError(400, 'InvalidArgument', 'malformed percent-encoding in the path');
    }
    if (decoded === '' || decoded === '.' || decoded === '..' || /[/\\\0]/.test(decoded))
      throw new HttpError(
        400,
        'InvalidArgument',
        'invalid path: empty, "." or ".." segments and encoded slashes are refused',
      );
    return decoded;
  });
}

/** Headers every response carries. */
export function baseHeaders(res: ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-site');
}

/** Send `body` (a HEAD request gets the headers only). */
export function send(
  req: Request,
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': String(bytes.length),
    ...headers,
  });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

/** Send a value as JSON (`contentType` for DICOM JSON). */
export function sendJson(
  req: Request,
  res: ServerResponse,
  value: unknown,
  contentType = 'application/json',
  headers: Record<string, string> = {},
): void {
  send(req, res, 200, `${contentType}; charset=utf-8`, JSON.stringify(value), {
    'Cache-Control': 'no-store',
    ...headers,
  });
}

/** Send an HTML page under the pages' Content-Security-Policy. */
export function sendHtml(req: Request, res: ServerResponse, status: number, page: string): void {
  send(req, res, status, 'text/html; charset=utf-8', page, {
    'Content-Security-Policy': PAGE_CSP,
    'Cache-Control': 'no-store',
  });
}

/** Write a JSON array as its elements arrive (so a long listing never sits in memory whole). */
export async function streamJsonArray(
  req: Request,
  res: ServerResponse,
  items: AsyncIterable<unknown>,
  contentType = 'application/json',
  headers: Record<string, string> = {},
): Promise<void> {
  const iterator = items[Symbol.asyncIterator]();
  // The first element decides the status: an error before it is still a clean error reply.
  const first = await iterator.next();
  res.writeHead(200, {
    'Content-Type': `${contentType}; charset=utf-8`,
    'Cache-Control': 'no-store',
    ...headers,
  });
  if (req.method === 'HEAD') {
    res.end();
    await iterator.return?.();
    return;
  }
  if (first.done) {
    res.end('[]');
    return;
  }
  res.write(`[${JSON.stringify(first.value)}`);
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    if (!res.write(`,${JSON.stringify(next.value)}`))
      await new Promise((resolve) => res.once('drain', resolve));
  }
  res.end(']');
}

/** One positive whole number query parameter in `[min, max]`, or `fallback` when absent. */
export function intParam(
  query: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = query.get(name);
  if (text === null || text === '') return fallback;
  const n = /^\d{1,15}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new HttpError(
      400,
      'InvalidArgument',
      `query parameter ${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text.slice(0, 40))}`,
    );
  return n;
}
