/**
 * The local pseudonymisation key file: created on first use (32 random bytes as 64 hex
 * characters, mode 0600), then read on every run so aliases stay the same. Losing it
 * changes every alias: back it up.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SomError } from '@som/core';
import { createFileExclusive, fileReadError } from './files';
import { MIN_KEY_LENGTH, SecretKey } from './secret';

/** Options of {@link loadOrCreateKey}. */
export interface LoadKeyOptions {
  /** Called with the path when this call created the key file (e.g. to say "back it up"). */
  onCreate?: (path: string) => void;
}

const WHAT = 'pseudonymisation key file';

/** Read a key file; undefined when it does not exist. Never puts the content in an error. */
async function readKeyFile(path: string): Promise<SecretKey | undefined> {
  let text: string;
  try {
    const handle = await open(path, 'r');
    try {
      const stat = await handle.stat();
      if (!stat.isFile())
        throw new SomError('InvalidArgument', `${WHAT} ${path} is not a regular file`);
      // Group or other access to the key would let them recompute every alias: refuse, like ssh does.
      if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
        const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
        throw new SomError(
          'FailedPrecondition',
          `${WHAT} ${path} is accessible by group or others (mode ${mode}); run: chmod 600 ${path}`,
        );
      }
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof SomError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileReadError(path, WHAT, err);
  }
  const key = text.trim();
  if (key.length < MIN_KEY_LENGTH) {
    const length = key.length === 0 ? 'is empty' : `holds a key of ${key.length} characters`;
    throw new SomError(
      'FailedPrecondition',
      `${WHAT} ${path} ${length}; at least ${MIN_KEY_LENGTH} are required (restore it from your backup)`,
    );
  }
  return SecretKey.from(key);
}

/**
 * The key in `path`, creating the file on first use.
 *
 * The key is the file's text with surrounding white space removed (so `SOM_SECRET="$(cat
 * <path>)"` gives the same aliases). A new file holds 32 random bytes as 64 hex characters
 * and a newline, mode 0600, in a directory created with mode 0700 when missing; it is
 * created atomically and exclusively, so concurrent first runs agree on one key.
 *
 * @throws SomError FailedPrecondition when the file is readable or writable by group or
 *   others (on POSIX systems), or holds fewer than {@link MIN_KEY_LENGTH} characters;
 *   PermissionDenied when it cannot be read; InvalidArgument when it is not a regular file.
 *   No message ever contains the key.
 */
export async function loadOrCreateKey(
  path: string,
  options: LoadKeyOptions = {},
): Promise<SecretKey> {
  const existing = await readKeyFile(path);
  if (existing !== undefined) return existing;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const created = await createFileExclusive(path, `${randomBytes(32).toString('hex')}\n`, 0o600);
    if (created) options.onCreate?.(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    const kind = code === 'EACCES' || code === 'EPERM' ? 'PermissionDenied' : 'Internal';
    throw new SomError(kind, `cannot create ${WHAT} ${path} (${code})`, { cause: err });
  }
  const key = await readKeyFile(path);
  if (key === undefined)
    throw new SomError('Internal', `${WHAT} ${path} vanished right after it was created`);
  return key;
}
