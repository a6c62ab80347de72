/**
 * One error type for the whole project, with the code set of Go CDK's `gcerrors`
 * (plus `Unavailable`). Drivers map their native errors to a code; the portable layer
 * never lets a raw driver error escape: the original is kept as `cause`.
 */

/** The portable error codes. */
export const ErrorCodes = [
  'NotFound',
  'AlreadyExists',
  'InvalidArgument',
  'FailedPrecondition',
  'PermissionDenied',
  'ResourceExhausted',
  'Unimplemented',
  'Unavailable',
  'Internal',
  'Canceled',
  'DeadlineExceeded',
] as const;

/** One of {@link ErrorCodes}. */
export type ErrorCode = (typeof ErrorCodes)[number];

/** Options of {@link SomError}. */
export interface SomErrorOptions {
  /** The underlying (native) error. */
  cause?: unknown;
}

/** The error every som package throws: a code from {@link ErrorCodes} and a readable message. */
export class SomError extends Error {
  /** What kind of failure this is; callers branch on it, never on the message. */
  readonly code: ErrorCode;

  /**
   * @param code the portable code.
   * @param message one readable sentence naming the file, field or object concerned.
   * @param options the native error, kept as `cause`.
   */
  constructor(code: ErrorCode, message: string, options: SomErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SomError';
    this.code = code;
  }
}

/** True when `err` is a {@link SomError}, and (when given) has the code `code`. */
export function isSomError(err: unknown, code?: ErrorCode): err is SomError {
  return err instanceof SomError && (code === undefined || err.code === code);
}

/** The portable code of any error: its own code for a {@link SomError}, else `Internal`. */
export function errorCode(err: unknown): ErrorCode {
  return err instanceof SomError ? err.code : 'Internal';
}

/** A readable one-line description of any thrown value. */
export function errorMessage(err: unknown): string {
  // Not `instanceof Error`: errors made in another realm (a vm context, jest) fail that test.
  if (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { message?: unknown }).message === 'string'
  ) {
    return (err as { message: string }).message;
  }
  return String(err);
}

/**
 * What kind of error `err` is, without its message (which may quote a value it was given):
 * a SomError's code, else a Node error's code (`ENOENT`, `ERR_...`), else its class name.
 */
export function errorKind(err: unknown): string {
  if (err instanceof SomError) return err.code;
  const word = (value: unknown): string | undefined =>
    typeof value === 'string' && /^[A-Za-z0-9_]{1,40}$/.test(value) ? value : undefined;
  const { code, name } = (typeof err === 'object' && err !== null ? err : {}) as {
    code?: unknown;
    name?: unknown;
  };
  return word(code) ?? word(name) ?? typeof err;
}

/**
 * Wrap `err` as a {@link SomError}: a SomError passes through unchanged; anything else
 * gets `code` (default `Internal`), `context` prefixed to its message, and is kept as cause.
 */
export function toSomError(err: unknown, context: string, code: ErrorCode = 'Internal'): SomError {
  if (err instanceof SomError) return err;
  return new SomError(code, `${context}: ${errorMessage(err)}`, { cause: err });
}
