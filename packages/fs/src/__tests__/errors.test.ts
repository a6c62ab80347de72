/**
 * Error codes: the mapping of native errors (unit, with errors built by hand: a full disk
 * cannot be made portably without mounting a file system), and real permission errors.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObjectStore, SomError } from '@som/core';
import { FsObjectDriver } from '@som/fs';
import { fsErrorCode } from '../errors';
import { asUnprivileged } from '@som/testing';

const native = (code: string, message = code): Error => Object.assign(new Error(message), { code });

describe('fs error codes', () => {
  it.each([
    ['ENOENT', 'NotFound'],
    ['EACCES', 'PermissionDenied'],
    ['EPERM', 'PermissionDenied'],
    ['EROFS', 'PermissionDenied'],
    ['ENOSPC', 'ResourceExhausted'],
    ['EDQUOT', 'ResourceExhausted'],
    ['EFBIG', 'ResourceExhausted'],
    ['EMFILE', 'ResourceExhausted'],
    ['EEXIST', 'AlreadyExists'],
    ['ENAMETOOLONG', 'InvalidArgument'],
    ['ELOOP', 'InvalidArgument'],
    ['ABORT_ERR', 'Canceled'],
    ['EIO', 'Internal'],
    ['EXDEV', 'Internal'],
  ])('maps %s to %s', (code, expected) => {
    expect(fsErrorCode(native(code))).toBe(expected);
  });

  it('maps an AbortError without a code to Canceled, keeps SomError codes, and answers Internal otherwise', () => {
    expect(fsErrorCode(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBe(
      'Canceled',
    );
    expect(fsErrorCode(new SomError('AlreadyExists', 'x'))).toBe('AlreadyExists');
    expect(fsErrorCode(new Error('plain'))).toBe('Internal');
    expect(fsErrorCode(undefined)).toBe('Internal');
  });

  it('reports a full disk as ResourceExhausted naming the key, through the portable layer', () => {
    const store = new ObjectStore(new FsObjectDriver({ root: '/unused' }));
    const err = store.toError(
      native('ENOSPC', 'ENOSPC: no space left on device, write'),
      'put Collection/c/Entity/e/Images/i',
    );
    expect(err).toMatchObject({
      code: 'ResourceExhausted',
      message:
        'fs:/unused: put Collection/c/Entity/e/Images/i: ENOSPC: no space left on device, write',
    });
  });

  it('answers PermissionDenied for writes to a read-only store, still reading it', async () => {
    const base = mkdtempSync(join(tmpdir(), 'som-fs-readonly-'));
    try {
      chmodSync(base, 0o755);
      const root = join(base, 'objects');
      const store = new ObjectStore(new FsObjectDriver({ root }));
      await store.put('d/x', 'readable');
      chmodSync(join(root, 'd'), 0o555);
      chmodSync(join(root, '.som', 'tmp'), 0o555);
      await asUnprivileged(async () => {
        const reader = new ObjectStore(new FsObjectDriver({ root }));
        expect((await reader.getBuffer('d/x')).toString()).toBe('readable');
        const err = await reader.put('d/y', 'x').catch((e: unknown) => e);
        expect(err).toMatchObject({
          code: 'PermissionDenied',
          message: expect.stringMatching(/put d\/y: .*EACCES/),
        });
        const err2 = await reader.delete('d/x').catch((e: unknown) => e);
        expect(err2).toMatchObject({
          code: 'PermissionDenied',
          message: expect.stringMatching(/delete d\/x: .*EACCES/),
        });
      });
      expect((await store.getBuffer('d/x')).toString()).toBe('readable');
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
