/**
 * Datastore (gRPC) errors to portable codes.
 */
import type { ErrorCode } from '@som/core';

/** gRPC status codes to portable codes. */
const BY_GRPC_STATUS: Record<number, ErrorCode> = {
  1: 'Canceled', // CANCELLED
  2: 'Internal', // UNKNOWN
  3: 'InvalidArgument', // INVALID_ARGUMENT
  4: 'DeadlineExceeded', // DEADLINE_EXCEEDED
  5: 'NotFound', // NOT_FOUND
  6: 'AlreadyExists', // ALREADY_EXISTS
  7: 'PermissionDenied', // PERMISSION_DENIED
  8: 'ResourceExhausted', // RESOURCE_EXHAUSTED
  9: 'FailedPrecondition', // FAILED_PRECONDITION (e.g. a composite index is missing)
  10: 'Unavailable', // ABORTED: contention; retried, and worth retrying later
  11: 'InvalidArgument', // OUT_OF_RANGE
  12: 'Unimplemented', // UNIMPLEMENTED
  13: 'Internal', // INTERNAL
  14: 'Unavailable', // UNAVAILABLE
  15: 'Internal', // DATA_LOSS
  16: 'PermissionDenied', // UNAUTHENTICATED
};

/** gRPC codes worth retrying a read, or a commit of idempotent mutations (upserts, deletes), on. */
export const RETRYABLE_GRPC_CODES: ReadonlySet<number> = new Set([10, 14]);

/** The gRPC status code of an error, when it has one. */
export function grpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' && Number.isInteger(code) && code >= 0 && code <= 16
    ? code
    : undefined;
}

/**
 * The portable code of an error from `@google-cloud/datastore`. A deadline reached while
 * retrying an unavailable server is Unavailable (the server was down, not slow).
 */
export function datastoreErrorCode(err: unknown): ErrorCode {
  const code = grpcCode(err);
  if (code === undefined) {
    const name = (err as { code?: unknown } | null)?.code;
    if (name === 'ECONNREFUSED' || name === 'ECONNRESET') return 'Unavailable';
    // google-auth-library found no credentials: an unauthenticated caller, not a bug.
    const message = (err as { message?: unknown } | null)?.message;
    return typeof message === 'string' && /Could not load the default credentials/.test(message)
      ? 'PermissionDenied'
      : 'Internal';
  }
  const message = (err as { message?: unknown }).message;
  if (
    code === 4 &&
    typeof message === 'string' &&
    /retrying error Error: 14 UNAVAILABLE/.test(message)
  )
    return 'Unavailable';
  return BY_GRPC_STATUS[code] ?? 'Internal';
}
