/**
 * Walking the inputs of a command: files given directly and directory trees, in a stable
 * order, streamed (never the whole tree in memory). Symbolic links are followed, each
 * directory is walked once (so link loops end), and what cannot be walked is reported.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';

/** A regular file found among the inputs. */
export interface InputFile {
  /** The path as the user would write it: the input joined with the path inside it. */
  path: string;
  /** The absolute path. */
  absolute: string;
  /** The path relative to its input directory (the file name for a file given directly). */
  relative: string;
  /** Its size in bytes. */
  size: number;
}

/** Something among the inputs that is not a readable regular file. */
export interface InputProblem {
  /** The path as the user would write it. */
  path: string;
  /** Why it was not used. */
  reason: string;
}

/** One result of {@link walkInputs}. */
export type WalkEntry = ({ kind: 'file' } & InputFile) | ({ kind: 'problem' } & InputProblem);

/** Options of {@link walkInputs}. */
export interface WalkOptions {
  /** Resolve relative inputs against this directory (default `process.cwd()`). */
  cwd?: string;
  /** Directories not to walk into and files to leave out (e.g. the output directory of `som deid`). */
  exclude?: readonly string[];
}

function reasonOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'ENOTDIR':
      return 'a path component is not a directory';
    default:
      return `cannot be read (${code ?? String(err)})`;
  }
}

/** The identity of a file or directory, to recognise it when reached again. */
const identity = (s: { dev: number; ino: number }): string => `${s.dev}:${s.ino}`;

/**
 * Every regular file under `inputs`, in order: inputs as given, directory entries sorted
 * by name. Missing paths, unreadable directories, broken links and special files (FIFOs,
 * sockets, devices) are yielded as problems; the walk goes on.
 */
export async function* walkInputs(
  inputs: readonly string[],
  options: WalkOptions = {},
): AsyncGenerator<WalkEntry> {
  const cwd = options.cwd ?? process.cwd();
  // Directories walked (or excluded) and files excluded, by identity.
  const visited = new Set<string>();
  for (const excluded of options.exclude ?? []) {
    try {
      visited.add(identity(await stat(resolve(cwd, excluded))));
    } catch {
      // What does not exist cannot be met during the walk either.
    }
  }
  for (const input of inputs) {
    let info;
    try {
      info = await stat(resolve(cwd, input));
    } catch (err) {
      yield { kind: 'problem', path: input, reason: reasonOf(err) };
      continue;
    }
    if (info.isFile())
      yield {
        kind: 'file',
        path: input,
        absolute: resolve(cwd, input),
        relative: basename(input),
        size: info.size,
      };
    else if (info.isDirectory()) yield* walkDirectory(resolve(cwd, input), input, '', visited);
    else yield { kind: 'problem', path: input, reason: 'not a regular file or directory' };
  }
}

async function* walkDirectory(
  absolute: string,
  shown: string,
  inside: string,
  visited: Set<string>,
): AsyncGenerator<WalkEntry> {
  let info;
  try {
    info = await stat(absolute);
  } catch (err) {
    yield { kind: 'problem', path: shown, reason: reasonOf(err) };
    return;
  }
  if (visited.has(identity(info))) return;
  visited.add(identity(info));
  let names: string[];
  try {
    names = (await readdir(absolute)).sort();
  } catch (err) {
    yield { kind: 'problem', path: shown, reason: `directory ${reasonOf(err)}` };
    return;
  }
  for (const name of names) {
    const path = join(absolute, name);
    const shownPath = join(shown, name);
    const rel = inside === '' ? name : join(inside, name);
    let entry;
    try {
      entry = await stat(path);
    } catch (err) {
      const broken =
        (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'broken symbolic link' : reasonOf(err);
      yield { kind: 'problem', path: shownPath, reason: broken };
      continue;
    }
    if (visited.has(identity(entry))) continue;
    if (entry.isDirectory()) yield* walkDirectory(path, shownPath, rel, visited);
    else if (entry.isFile())
      yield { kind: 'file', path: shownPath, absolute: path, relative: rel, size: entry.size };
    else
      yield {
        kind: 'problem',
        path: shownPath,
        reason: 'not a regular file (FIFO, socket or device)',
      };
  }
}
