/**
 * Directories under the root, never through a symbolic link: a path is used only when its
 * real path is the path itself, and created one level at a time with each level checked.
 * A directory found plain is trusted for {@link VERIFIED_FOR_MS}, then checked again.
 */
import { lstat, mkdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { SomError } from '@som/core';
import { nativeCode } from './errors';

/** How long a directory found free of links is trusted before its next check. */
export const VERIFIED_FOR_MS = 1000;

/** Most directories remembered as checked. */
const REMEMBERED = 4096;

function throughLink(what: string): SomError {
  return new SomError(
    'InvalidArgument',
    `${what}: its path passes through a symbolic link; the fs store never follows links`,
  );
}

/** The directories of one root, checked for links and made on demand. */
export class Directories {
  private readonly verified = new Map<string, number>();

  /**
   * @param root the root's real path.
   */
  constructor(readonly root: string) {}

  /**
   * Check the directory `dir` (for `what`, named in errors) is reached without links: true
   * when it is, false when it does not exist, InvalidArgument when a link is on the way.
   */
  async isPlain(dir: string, what: string): Promise<boolean> {
    const until = this.verified.get(dir);
    if (until !== undefined && until > Date.now()) return true;
    let real: string;
    try {
      real = await realpath(dir);
    } catch (err) {
      if (nativeCode(err) === 'ENOENT' || nativeCode(err) === 'ENOTDIR') return false;
      throw err;
    }
    if (real !== dir) throw throughLink(what);
    this.remember(dir);
    return true;
  }

  /** Forget a directory (it was removed): the next use checks it again. */
  forget(dir: string): void {
    this.verified.delete(dir);
  }

  /**
   * Make the directories `names` (outermost first) under the root. Returns the directories
   * in which new entries were made (their fsync makes them durable).
   */
  async make(names: readonly string[], what: string): Promise<string[]> {
    const dir = join(this.root, ...names);
    if (await this.isPlain(dir, what)) return [];
    const grown: string[] = [];
    let current = this.root;
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
    this.remember(dir);
    return grown;
  }

  private remember(dir: string): void {
    if (this.verified.size >= REMEMBERED)
      this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(dir, Date.now() + VERIFIED_FOR_MS);
  }
}
