/**
 * Map node:fs errors (their `code`, e.g. `ENOENT`) to portable codes.
 */
import { SomError, type ErrorCode } from '@som/core';

const CODES: Readonly<Record<string, ErrorCode>> = {
  ENOENT: 'NotFound',
  EACCES: 'PermissionDenied',
  EPERM: 'PermissionDenied',
  EROFS: 'PermissionDenied',
  ENOSPC: 'ResourceExhausted',
  EDQUOT: 'ResourceExhausted',
  EFBIG: 'ResourceExhausted',
  EMFILE: 'ResourceExhausted',
  ENFILE: 'ResourceExhausted',
  EEXIST: 'AlreadyExists',
  ENAMETOOLONG: 'InvalidArgument',
  ELOOP: 'InvalidArgument',
  EBUSY: 'Unavailable',
  EAGAIN: 'Unavailable',
  ABORT_ERR: 'Canceled',
};

/** The native code of an error (`ENOENT`, ...), if it has one. */
export function nativeCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The portable code of an error thrown by node:fs or by a stream (Internal when unknown). */
export function fsErrorCode(err: unknown): ErrorCode {
  if (err instanceof SomError) return err.code;
  const code = nativeCode(err);
  if (code !== undefined && code in CODES) return CODES[code] as ErrorCode;
  return (err as { name?: unknown } | null)?.name === 'AbortError' ? 'Canceled' : 'Internal';
}
