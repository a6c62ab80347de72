/**
 * Map SQLite's errors (better-sqlite3's `SqliteError.code`, e.g. `SQLITE_BUSY`,
 * `SQLITE_READONLY_DIRECTORY`) and the file system errors of opening to portable codes,
 * with advice for the messages of failures at open.
 */
import { closeSync, existsSync, openSync, unlinkSync } from 'node:fs';
import { SomError, errorMessage, type ErrorCode } from '@som/core';

function nativeCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for "another connection holds the lock" errors, which are worth retrying. */
export function isBusy(err: unknown): boolean {
  const code = nativeCode(err) ?? '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

const NO_WRITE =
  'som needs write access to the database file and to its directory (for the -wal and -shm files)';
const DAMAGED =
  'the file is not a SQLite database or is damaged: restore it from a backup or choose another path';

/** Native code prefix, portable code, and what to do about it at open. */
const TABLE: readonly [string, ErrorCode, string?][] = [
  [
    'SQLITE_BUSY',
    'Unavailable',
    'another process holds the database lock; try again when it is done',
  ],
  [
    'SQLITE_LOCKED',
    'Unavailable',
    'another process holds the database lock; try again when it is done',
  ],
  ['SQLITE_READONLY', 'PermissionDenied', NO_WRITE],
  ['SQLITE_PERM', 'PermissionDenied', NO_WRITE],
  ['SQLITE_AUTH', 'PermissionDenied'],
  ['SQLITE_NOTADB', 'FailedPrecondition', DAMAGED],
  ['SQLITE_CORRUPT', 'FailedPrecondition', DAMAGED],
  ['SQLITE_FULL', 'ResourceExhausted', 'the disk is full'],
  ['SQLITE_NOMEM', 'ResourceExhausted'],
  ['SQLITE_IOERR_NOMEM', 'ResourceExhausted'],
  ['SQLITE_TOOBIG', 'InvalidArgument'],
  ['SQLITE_CANTOPEN', 'Unavailable'],
  ['EACCES', 'PermissionDenied', NO_WRITE],
  ['EPERM', 'PermissionDenied', NO_WRITE],
  ['EROFS', 'PermissionDenied', 'the file system is read-only'],
  ['ENOSPC', 'ResourceExhausted', 'the disk is full'],
  ['EDQUOT', 'ResourceExhausted', 'the disk quota is used up'],
  ['ENOTDIR', 'FailedPrecondition', 'a file stands where a directory of the path should be'],
  ['EEXIST', 'FailedPrecondition', 'a file stands where a directory of the path should be'],
  ['EISDIR', 'FailedPrecondition', 'the path is a directory: give the path of a database file'],
];

/** The table row of a native code: the longest matching prefix (SQLITE_IOERR_NOMEM before SQLITE_IOERR). */
function lookup(err: unknown): readonly [string, ErrorCode, string?] | undefined {
  const code = nativeCode(err);
  if (code === undefined) return undefined;
  return TABLE.filter(([prefix]) => code === prefix || code.startsWith(`${prefix}_`)).sort(
    (a, b) => b[0].length - a[0].length,
  )[0];
}

/** The portable code of an error thrown by better-sqlite3 or by node:fs while opening. */
export function sqliteErrorCode(err: unknown): ErrorCode {
  if (err instanceof SomError) return err.code;
  return lookup(err)?.[1] ?? 'Internal';
}

/**
 * SQLITE_CANTOPEN says nothing of why; find the operating system's reason (a directory at
 * the path, no write access to its directory, ...), else keep the original error.
 */
function cantOpenReason(err: unknown, path: string): unknown {
  if (nativeCode(err) !== 'SQLITE_CANTOPEN') return err;
  // Repeat SQLite's open (read-write, creating) to get the operating system's reason.
  const existed = existsSync(path);
  try {
    closeSync(openSync(path, existed ? 'r+' : 'wx'));
    if (!existed) unlinkSync(path);
  } catch (reason) {
    return reason;
  }
  return err;
}

/** A SomError for a failure of opening the database file `path` (named `name`), with what to do about it. */
export function openError(err: unknown, path: string, name: string): SomError {
  if (err instanceof SomError) return err;
  const reason = cantOpenReason(err, path);
  const [, code = 'Internal', advice] = lookup(reason) ?? [];
  return new SomError(
    code,
    `${name}: cannot open: ${errorMessage(reason)}${advice ? ` (${advice})` : ''}`,
    { cause: err },
  );
}
