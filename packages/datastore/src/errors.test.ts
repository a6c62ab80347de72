/** Unit tests of the gRPC error mapping: constructed errors, no server. */
import { datastoreErrorCode, grpcCode } from './errors';

const grpcError = (code: number, message = `${code} STATUS: details`): Error =>
  Object.assign(new Error(message), { code });

describe('datastoreErrorCode', () => {
  it.each([
    [1, 'CANCELLED', 'Canceled'],
    [2, 'UNKNOWN', 'Internal'],
    [3, 'INVALID_ARGUMENT', 'InvalidArgument'],
    [4, 'DEADLINE_EXCEEDED', 'DeadlineExceeded'],
    [5, 'NOT_FOUND', 'NotFound'],
    [6, 'ALREADY_EXISTS', 'AlreadyExists'],
    [7, 'PERMISSION_DENIED', 'PermissionDenied'],
    [8, 'RESOURCE_EXHAUSTED', 'ResourceExhausted'],
    [9, 'FAILED_PRECONDITION', 'FailedPrecondition'],
    [10, 'ABORTED', 'Unavailable'],
    [11, 'OUT_OF_RANGE', 'InvalidArgument'],
    [12, 'UNIMPLEMENTED', 'Unimplemented'],
    [13, 'INTERNAL', 'Internal'],
    [14, 'UNAVAILABLE', 'Unavailable'],
    [15, 'DATA_LOSS', 'Internal'],
    [16, 'UNAUTHENTICATED', 'PermissionDenied'],
  ])('maps gRPC %i (%s) to %s', (code, _name, expected) => {
    expect(datastoreErrorCode(grpcError(code))).toBe(expected);
  });

  it('calls a deadline reached while retrying an unavailable server Unavailable', () => {
    const message =
      'Total timeout of API google.datastore.v1.Datastore exceeded 2000 milliseconds retrying error Error: 14 UNAVAILABLE: No connection established.';
    expect(datastoreErrorCode(grpcError(4, message))).toBe('Unavailable');
    expect(datastoreErrorCode(grpcError(4, '4 DEADLINE_EXCEEDED: Deadline exceeded'))).toBe(
      'DeadlineExceeded',
    );
  });

  it('calls a stream reset before any status (a server gone mid-call) Unavailable', () => {
    const reset = '13 INTERNAL: Received RST_STREAM with code 0 (Call ended without gRPC status)';
    expect(datastoreErrorCode(grpcError(13, reset))).toBe('Unavailable');
    expect(datastoreErrorCode(grpcError(13, '13 INTERNAL: a failure of the service'))).toBe(
      'Internal',
    );
  });

  it('calls a client without credentials PermissionDenied, not Internal', () => {
    const err = new Error(
      'Could not load the default credentials. Browse to https://cloud.google.com/docs/authentication/getting-started for more information.',
    );
    expect(datastoreErrorCode(err)).toBe('PermissionDenied');
  });

  it('maps refused connections, and calls anything else Internal', () => {
    expect(datastoreErrorCode(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(
      'Unavailable',
    );
    expect(datastoreErrorCode(new Error('odd'))).toBe('Internal');
    expect(datastoreErrorCode(grpcError(99))).toBe('Internal');
    expect(datastoreErrorCode(undefined)).toBe('Internal');
  });

  it('reads gRPC codes only', () => {
    expect(grpcCode(grpcError(14))).toBe(14);
    expect(grpcCode({ code: 'ECONNRESET' })).toBeUndefined();
    expect(grpcCode({ code: 404 })).toBeUndefined();
    expect(grpcCode(null)).toBeUndefined();
  });
});
