/** Unit tests of the error mapping: constructed library and network errors, no server. */
import { inspect } from 'node:util';
import { ApiError } from '@google-cloud/storage';
import { SomError } from '@som/core';
import { gcsError, gcsErrorCode } from './errors';

const apiError = (code: number, message = `status ${code}`): ApiError =>
  Object.assign(new ApiError(message), { code });
const networkError = (code: string): Error =>
  Object.assign(new Error(`request failed: ${code}`), { code });

describe('gcsErrorCode', () => {
  it.each([
    [400, 'InvalidArgument'],
    [401, 'PermissionDenied'],
    [403, 'PermissionDenied'],
    [404, 'NotFound'],
    [408, 'DeadlineExceeded'],
    [409, 'AlreadyExists'],
    [412, 'FailedPrecondition'],
    [416, 'InvalidArgument'],
    [429, 'ResourceExhausted'],
    [500, 'Unavailable'],
    [501, 'Unimplemented'],
    [502, 'Unavailable'],
    [503, 'Unavailable'],
    [504, 'Unavailable'],
    [418, 'Internal'],
  ])('maps HTTP %i to %s', (status, code) => {
    expect(gcsErrorCode(apiError(status))).toBe(code);
  });

  it('reads the status of HTTP client errors that keep it elsewhere', () => {
    expect(gcsErrorCode(Object.assign(new Error('x'), { status: 403 }))).toBe('PermissionDenied');
    expect(gcsErrorCode(Object.assign(new Error('x'), { response: { status: 404 } }))).toBe(
      'NotFound',
    );
    expect(gcsErrorCode(Object.assign(new Error('x'), { code: '429' }))).toBe('ResourceExhausted');
  });

  it.each([
    ['ECONNREFUSED', 'Unavailable'],
    ['ECONNRESET', 'Unavailable'],
    ['EPIPE', 'Unavailable'],
    ['ENOTFOUND', 'Unavailable'],
    ['ETIMEDOUT', 'DeadlineExceeded'],
    ['FILE_NO_UPLOAD', 'Internal'],
    ['CONTENT_DOWNLOAD_MISMATCH', 'Internal'],
  ])('maps network code %s to %s', (code, expected) => {
    expect(gcsErrorCode(networkError(code))).toBe(expected);
  });

  it('maps timeouts, aborts and exhausted upload retries', () => {
    expect(
      gcsErrorCode(Object.assign(new Error('network timeout'), { type: 'request-timeout' })),
    ).toBe('DeadlineExceeded');
    expect(gcsErrorCode(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBe(
      'Canceled',
    );
    expect(gcsErrorCode(new Error('Retry limit exceeded - {"error":"..."}'))).toBe('Unavailable');
  });

  it('keeps the code of a SomError and calls anything else Internal', () => {
    expect(gcsErrorCode(new SomError('AlreadyExists', 'x'))).toBe('AlreadyExists');
    expect(gcsErrorCode(new Error('something odd'))).toBe('Internal');
    expect(gcsErrorCode('a string')).toBe('Internal');
    expect(gcsErrorCode(null)).toBe('Internal');
  });
});

describe('gcsError', () => {
  it('names the store and the operation, and keeps no request details (credentials) in the cause', () => {
    const err = apiError(
      403,
      'som-test@demo.iam.gserviceaccount.com does not have storage.objects.get access',
    );
    Object.assign(err, {
      response: { request: { headers: { Authorization: 'Bearer ya29.SECRET-TOKEN' } } },
    });
    const wrapped = gcsError(err, 'storage.google.radiology', 'read a/b');
    expect(wrapped).toBeInstanceOf(SomError);
    expect(wrapped.code).toBe('PermissionDenied');
    expect(wrapped.message).toBe(
      'storage.google.radiology: read a/b: som-test@demo.iam.gserviceaccount.com does not have storage.objects.get access',
    );
    expect(inspect(wrapped, { depth: 20 })).not.toContain('SECRET-TOKEN');
    expect(JSON.stringify(wrapped)).not.toContain('SECRET-TOKEN');
  });

  it('passes a SomError through unchanged', () => {
    const original = new SomError('InvalidArgument', 'md5 mismatch');
    expect(gcsError(original, 's', 'w')).toBe(original);
  });
});
