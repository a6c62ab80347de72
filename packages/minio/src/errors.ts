/**
 * The portable code of what the minio client, the network or an S3 server threw: S3 error
 * codes (from the XML body or the status of a HEAD), Node's network errors, timeouts.
 */
import { SomError, type ErrorCode } from '@som/core';

/** S3 error codes (the `<Code>` of an error response) and the portable code of each. */
const S3_CODES: Record<string, ErrorCode> = {
  NoSuchKey: 'NotFound',
  NotFound: 'NotFound',
  NoSuchBucket: 'NotFound',
  NoSuchUpload: 'NotFound',
  AccessDenied: 'PermissionDenied',
  AllAccessDisabled: 'PermissionDenied',
  AccountProblem: 'PermissionDenied',
  InvalidAccessKeyId: 'PermissionDenied',
  SignatureDoesNotMatch: 'PermissionDenied',
  ExpiredToken: 'PermissionDenied',
  InvalidToken: 'PermissionDenied',
  RequestTimeTooSkewed: 'PermissionDenied',
  PreconditionFailed: 'FailedPrecondition',
  ConditionalRequestConflict: 'FailedPrecondition',
  BucketAlreadyExists: 'AlreadyExists',
  BucketAlreadyOwnedByYou: 'AlreadyExists',
  InvalidRange: 'InvalidArgument',
  BadDigest: 'InvalidArgument',
  InvalidDigest: 'InvalidArgument',
  InvalidArgument: 'InvalidArgument',
  InvalidRequest: 'InvalidArgument',
  InvalidBucketName: 'InvalidArgument',
  InvalidPart: 'InvalidArgument',
  InvalidPartOrder: 'InvalidArgument',
  EntityTooSmall: 'InvalidArgument',
  EntityTooLarge: 'InvalidArgument',
  KeyTooLongError: 'InvalidArgument',
  MetadataTooLarge: 'InvalidArgument',
  MalformedXML: 'InvalidArgument',
  SlowDown: 'ResourceExhausted',
  TooManyRequests: 'ResourceExhausted',
  RequestLimitExceeded: 'ResourceExhausted',
  ServiceUnavailable: 'Unavailable',
  InternalError: 'Unavailable',
  RequestTimeout: 'DeadlineExceeded',
  NotImplemented: 'Unimplemented',
  MethodNotAllowed: 'Unimplemented',
};

/** Node's network error codes and the portable code of each. */
const NETWORK_CODES: Record<string, ErrorCode> = {
  ECONNREFUSED: 'Unavailable',
  ECONNRESET: 'Unavailable',
  ECONNABORTED: 'Unavailable',
  EPIPE: 'Unavailable',
  EHOSTUNREACH: 'Unavailable',
  ENETUNREACH: 'Unavailable',
  ENOTFOUND: 'Unavailable',
  EAI_AGAIN: 'Unavailable',
  ERR_STREAM_PREMATURE_CLOSE: 'Unavailable',
  ETIMEDOUT: 'DeadlineExceeded',
  ESOCKETTIMEDOUT: 'DeadlineExceeded',
  ABORT_ERR: 'Canceled',
};

/** minio's validation errors (its class names) and the portable code of each. */
const CLIENT_ERRORS: Record<string, ErrorCode> = {
  InvalidArgumentError: 'InvalidArgument',
  InvalidBucketNameError: 'InvalidArgument',
  InvalidObjectNameError: 'InvalidArgument',
  ExpiresParamError: 'InvalidArgument',
};

/** The portable code of a status the minio client reports as retryable (408, 429, 5xx). */
function retryableStatusCode(status: number): ErrorCode {
  if (status === 429) return 'ResourceExhausted';
  if (status === 408 || status === 504) return 'DeadlineExceeded';
  return 'Unavailable';
}

/**
 * A failed request: the S3 `code` and the server's message. Thrown by this package for
 * answers the minio client does not check (an error inside a 200 response to
 * CompleteMultipartUpload or CopyObject, a response missing what it must have).
 */
export class S3ResponseError extends Error {
  /**
   * @param code the S3 error code.
   * @param message the server's message.
   */
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'S3ResponseError';
  }
}

/** A request that made no progress for too long (code `ETIMEDOUT`). */
export class RequestTimeoutError extends Error {
  /** Node's code for a timeout. */
  readonly code = 'ETIMEDOUT';

  /** @param timeoutMs the limit that passed. */
  constructor(timeoutMs: number) {
    super(`no progress for ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
  }
}

function property(err: object, name: string): unknown {
  return (err as Record<string, unknown>)[name];
}

/** The portable code of anything the minio client or the network threw (Internal when unknown). */
export function s3ErrorCode(err: unknown): ErrorCode {
  if (err instanceof SomError) return err.code;
  if (typeof err !== 'object' || err === null) return 'Internal';
  const code = property(err, 'code');
  if (typeof code === 'string') {
    const mapped = S3_CODES[code] ?? NETWORK_CODES[code];
    if (mapped !== undefined) return mapped;
  }
  const name = property(err, 'name');
  if (name === 'AbortError') return 'Canceled';
  if (typeof name === 'string' && CLIENT_ERRORS[name] !== undefined) return CLIENT_ERRORS[name];
  // minio turns a 5xx/429/408 answer into a plain Error naming the status.
  const message = err instanceof Error ? err.message : '';
  const retryable = /Retryable HTTP status: (\d{3})/.exec(message);
  if (retryable?.[1] !== undefined) return retryableStatusCode(Number(retryable[1]));
  return 'Internal';
}

/** True for codes worth one more try of an idempotent request. */
export function isTransient(code: ErrorCode): boolean {
  return code === 'Unavailable' || code === 'ResourceExhausted' || code === 'DeadlineExceeded';
}
