/** Mapping of native errors to portable codes (unit: errors built by hand). */
import { SomError } from '@som/core';
import { sqliteErrorCode } from '../errors';

const native = (code: string): Error => Object.assign(new Error(code), { code });

describe('SQLite error codes', () => {
  it.each([
    ['SQLITE_BUSY', 'Unavailable'],
    ['SQLITE_BUSY_SNAPSHOT', 'Unavailable'],
    ['SQLITE_LOCKED', 'Unavailable'],
    ['SQLITE_READONLY', 'PermissionDenied'],
    ['SQLITE_READONLY_DIRECTORY', 'PermissionDenied'],
    ['SQLITE_NOTADB', 'FailedPrecondition'],
    ['SQLITE_CORRUPT_INDEX', 'FailedPrecondition'],
    ['SQLITE_FULL', 'ResourceExhausted'],
    ['SQLITE_IOERR_NOMEM', 'ResourceExhausted'],
    ['SQLITE_IOERR_SHORT_READ', 'Internal'],
    ['SQLITE_TOOBIG', 'InvalidArgument'],
    ['SQLITE_CANTOPEN', 'Unavailable'],
    ['SQLITE_BUSYNESS', 'Internal'],
    ['EACCES', 'PermissionDenied'],
    ['ENOSPC', 'ResourceExhausted'],
    ['EDQUOT', 'ResourceExhausted'],
    ['ENOTDIR', 'FailedPrecondition'],
    ['EIO', 'Internal'],
  ])('maps %s to %s', (code, expected) => {
    expect(sqliteErrorCode(native(code))).toBe(expected);
  });

  it('keeps the code of a SomError and answers Internal for anything else', () => {
    expect(sqliteErrorCode(new SomError('NotFound', 'x'))).toBe('NotFound');
    expect(sqliteErrorCode(new Error('no code'))).toBe('Internal');
    expect(sqliteErrorCode('a string')).toBe('Internal');
    expect(sqliteErrorCode(null)).toBe('Internal');
  });
});
