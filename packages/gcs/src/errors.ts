/**
 * Google Cloud Storage errors to portable codes, and to SomErrors that carry no request
 * details: a library error keeps the HTTP request it came from (with its Authorization
 * header), so it is never kept as a cause.
 */
import { SomError, errorMessage, type ErrorCode } from '@som/core';

/** HTTP statuses of the JSON API to portable codes. */
const BY_STATUS: Record<number, ErrorCode> = {
  400: 'InvalidArgument',
  401: 'PermissionDenied',
  403: 'PermissionDenied',
  404: 'NotFound',
  408: 'DeadlineExceeded',
  409: 'AlreadyExists',
  412: 'FailedPrecondition',
  416: 'InvalidArgument',
  429: 'ResourceExhausted',
  501: 'Unimplemented',
};

/** Network failures (Node and HTTP client codes) to portable codes. */
const BY_NETWORK_CODE: Record<string, ErrorCode> = {
  ECONNREFUSED: 'Unavailable',
  ECONNRESET: 'Unavailable',
  EPIPE: 'Unavailable',
  EHOSTUNREACH: 'Unavailable',
  ENETUNREACH: 'Unavailable',
  ENOTFOUND: 'Unavailable',
  EAI_AGAIN: 'Unavailable',
  ECONNABORTED: 'Unavailable',
  ETIMEDOUT: 'DeadlineExceeded',
  ESOCKETTIMEDOUT: 'DeadlineExceeded',
  ABORT_ERR: 'Canceled',
  // The library's own checks: bytes received differ from what the server reports.
  FILE_NO_UPLOAD: 'Internal',
  FILE_NO_UPLOAD_DELETE: 'Internal',
  CONTENT_DOWNLOAD_MISMATCH: 'Internal',
};

interface ErrorFields {
  code?: unknown;
  status?: unknown;
  type?: unknown;
  name?: unknown;
  message?: unknown;
  response?: { status?: unknown; statusCode?: unknown };
}

/** The HTTP status of a library error, when it has one. */
function httpStatus(err: ErrorFields): number | undefined {
  const candidates = [err.code, err.status, err.response?.status, err.response?.statusCode];
  const status = candidates.find(
    (value) => typeof value === 'number' && value >= 100 && value < 600,
  );
  if (status !== undefined) return status as number;
  return typeof err.code === 'string' && /^[1-5]\d\d$/.test(err.code)
    ? Number(err.code)
    : undefined;
}

/** The portable code of an error from `@google-cloud/storage` (or the network under it). */
export function gcsErrorCode(err: unknown): ErrorCode {
  if (err instanceof SomError) return err.code;
  if (typeof err !== 'object' || err === null) return 'Internal';
  const fields = err as ErrorFields;
  const status = httpStatus(fields);
  if (status !== undefined)
    return BY_STATUS[status] ?? (status >= 500 ? 'Unavailable' : 'Internal');
  if (fields.name === 'AbortError') return 'Canceled';
  if (fields.type === 'request-timeout' || fields.name === 'TimeoutError')
    return 'DeadlineExceeded';
  if (typeof fields.code === 'string' && BY_NETWORK_CODE[fields.code])
    return BY_NETWORK_CODE[fields.code] as ErrorCode;
  if (typeof fields.message === 'string' && /retry limit exceeded/i.test(fields.message))
    return 'Unavailable';
  return 'Internal';
}

/**
 * A SomError for a failed `what` on `store`: the code from {@link gcsErrorCode}, the
 * library's message, and as cause only a plain Error with that message and code (never the
 * library error, whose request holds credentials). SomErrors pass through.
 */
export function gcsError(
  err: unknown,
  store: string,
  what: string,
  code: ErrorCode = gcsErrorCode(err),
): SomError {
  if (err instanceof SomError) return err;
  const message = errorMessage(err).split('\n')[0] ?? '';
  const cause = Object.assign(new Error(message), { code: (err as ErrorFields | null)?.code });
  return new SomError(code, `${store}: ${what}: ${message}`, { cause });
}
