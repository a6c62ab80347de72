import { SomError } from '@som/core';
import { RequestTimeoutError, S3ResponseError, s3ErrorCode } from '.';

/** An error shaped as the minio client throws them: an S3 code from the XML body. */
function s3Error(code: string): Error {
  return Object.assign(new Error('from the server'), { name: 'S3Error', code });
}

describe('s3ErrorCode', () => {
  it.each([
    ['NoSuchKey', 'NotFound'],
    ['NotFound', 'NotFound'],
    ['NoSuchBucket', 'NotFound'],
    ['AccessDenied', 'PermissionDenied'],
    ['InvalidAccessKeyId', 'PermissionDenied'],
    ['SignatureDoesNotMatch', 'PermissionDenied'],
    ['PreconditionFailed', 'FailedPrecondition'],
    ['InvalidRange', 'InvalidArgument'],
    ['BadDigest', 'InvalidArgument'],
    ['InvalidDigest', 'InvalidArgument'],
    ['SlowDown', 'ResourceExhausted'],
    ['ServiceUnavailable', 'Unavailable'],
    ['InternalError', 'Unavailable'],
    ['NotImplemented', 'Unimplemented'],
    ['RequestTimeout', 'DeadlineExceeded'],
    ['SomethingNew', 'Internal'],
  ])('maps the S3 code %s to %s', (code, expected) => {
    expect(s3ErrorCode(s3Error(code))).toBe(expected);
  });

  it.each([
    ['ECONNREFUSED', 'Unavailable'],
    ['ECONNRESET', 'Unavailable'],
    ['ENOTFOUND', 'Unavailable'],
    ['ETIMEDOUT', 'DeadlineExceeded'],
  ])('maps the network error %s to %s', (code, expected) => {
    expect(s3ErrorCode(Object.assign(new Error(code), { code }))).toBe(expected);
  });

  it.each([
    [503, 'Unavailable'],
    [500, 'Unavailable'],
    [502, 'Unavailable'],
    [429, 'ResourceExhausted'],
    [504, 'DeadlineExceeded'],
  ])('maps the minio client\u2019s "Retryable HTTP status: %i" to %s', (status, expected) => {
    expect(
      s3ErrorCode(
        new Error(`Request failed after 0 retries: Error: Retryable HTTP status: ${status}`),
      ),
    ).toBe(expected);
  });

  it('maps its own errors, statuses, aborts and client validation errors', () => {
    expect(s3ErrorCode(new RequestTimeoutError(10))).toBe('DeadlineExceeded');
    expect(s3ErrorCode(new S3ResponseError('InvalidResponse', 'odd answer'))).toBe('Internal');
    expect(s3ErrorCode(new S3ResponseError('NoSuchUpload', 'gone'))).toBe('NotFound');
    expect(s3ErrorCode(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBe(
      'Canceled',
    );
    expect(
      s3ErrorCode(Object.assign(new Error('bad name'), { name: 'InvalidObjectNameError' })),
    ).toBe('InvalidArgument');
    expect(s3ErrorCode(new SomError('AlreadyExists', 'x'))).toBe('AlreadyExists');
    expect(s3ErrorCode('a string')).toBe('Internal');
  });
});
