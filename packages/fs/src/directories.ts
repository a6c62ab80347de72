/**
 * Directories under the root, never through a symbolic link: a path is used only when its
 * real path is the path itself, and created one level at a time with each level checked.
 */
import { lstat, mkdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { SomError } from '@som/core';
import { nativeCode } from './errors';

function throughLink(what: string): SomError {
  return new SomError(
    'InvalidArgument',
    `${what}: its path passes through a symbolic link; the fs store never follows links`,
  );
}

/**
 * Check the existing directory `dir` (named `what` in errors) is reached without links:
 * true when it is, false when it does not exist, InvalidArgument when a link is on the way.
 */
export async function isPlainDirectory(dir: string, what: string): Promise<boolean> {
  let real: string;
  try {
    real = await realpath(dir);
  } catch (err) {
    if (nativeCode(err) === 'ENOENT' || nativeCode(err) === 'ENOTDIR') return false;
    throw err;
  }
  if (real !== dir) throw throughLink(what);
  return true;
}

/**
 * Make the directories `names` (outermost first) under `root`, which is a real path.
 * Returns the directories in which new entries were made (their fsync makes them durable).
 */
export async function makeDirectories(
  root: string,
  names: readonly string[],
  what: string,
): Promise<string[]> {
  const dir = join(root, ...names);
  if (await isPlainDirectory(dir, what)) return [];
  const grown: string[] = [];
  let current = root;
  for (const name of names) {
    const next = join(current, name);
    try {
      await mkdir(next);
      grown.push(current);
    } catch (err) {
      if (nativeCode(err) !== 'EEXIST') throw err;
    }
    const stats = await lstat(next);
    if (stats.isSymbolicLink()) throw throughLink(what);
    if (!stats.isDirectory()) {
      throw new SomError(
        'FailedPrecondition',
        `${what}: ${next} is not a directory (a file not written by som is in the way)`,
      );
    }
    current = next;
  }
  return grown;
}
