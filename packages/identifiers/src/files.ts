/**
 * Small file helpers for secrets: errors that name the path (never the content), atomic
 * replacement, and create-if-absent that never exposes a partly written file.
 */
import { randomBytes } from 'node:crypto';
import { link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SomError } from '@som/core';

/**
 * The SomError for a failed read of `path`: NotFound, PermissionDenied, InvalidArgument
 * (a directory) or Internal, with `what` and the path in the message and the errno code.
 */
export function fileReadError(path: string, what: string, err: unknown): SomError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return new SomError('NotFound', `${what} ${path} does not exist`, { cause: err });
    case 'EACCES':
    case 'EPERM':
      return new SomError('PermissionDenied', `cannot read ${what} ${path}: permission denied`, {
        cause: err,
      });
    case 'EISDIR':
      return new SomError('InvalidArgument', `${what} ${path} is a directory, not a file`, {
        cause: err,
      });
    default:
      return new SomError('Internal', `cannot read ${what} ${path} (${code ?? 'unknown error'})`, {
        cause: err,
      });
  }
}

/** A fresh temporary path beside `path` (same directory, so rename and link stay atomic). */
function tempPathBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Write `data` to a new file `path` (must not exist) with `mode`, and flush it to disk. */
async function writeNewFile(path: string, data: string, mode: number): Promise<void> {
  const handle = await open(path, 'wx', mode);
  try {
    await handle.chmod(mode); // exactly `mode`, whatever the umask
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replace `path` with `data` atomically: readers see the old or the new content, never a
 * mix. The file gets `mode` (default 0600).
 */
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const temp = tempPathBeside(path);
  try {
    await writeNewFile(temp, data, mode);
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

/**
 * Create `path` with `data` only if it does not exist (O_EXCL semantics), never showing a
 * partly written file: the data goes to a temporary file that is then hard-linked into
 * place (where hard links are unsupported: `open(path, 'wx')` and one write).
 * @returns true when this call created the file, false when it already existed.
 */
export async function createFileExclusive(
  path: string,
  data: string,
  mode = 0o600,
): Promise<boolean> {
  const temp = tempPathBeside(path);
  try {
    await writeNewFile(temp, data, mode);
    await link(temp, path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS')
      throw err;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  try {
    await writeNewFile(path, data, mode);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}
