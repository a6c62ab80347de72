/**
 * The store's directory: where each key's data file and sidecar live, and som's own
 * directory `.som/` (the format marker and the temporary files of writes in progress).
 */
import { lstat, mkdir, readFile, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SomError } from '@som/core';
import { nativeCode } from './errors';
import { keySegments, segmentNames, sidecarName } from './key-encoding';

/** som's own directory under the root. */
const INTERNAL_DIR = '.som';

/** The format marker: what a root written by this code holds. */
const FORMAT = { format: 'som-fs', version: 1 } as const;

/** Temporary files untouched for this long are leftovers of crashed writes, removed at open. */
export const STALE_TEMP_MS = 60 * 60 * 1000;

/** Where one object lives. */
export interface ObjectLocation {
  /** The key. */
  key: string;
  /** The directory names from the root to the data file's directory. */
  dirNames: string[];
  /** The data file's directory. */
  dir: string;
  /** The data file's name. */
  dataName: string;
  /** The data file. */
  data: string;
  /** The sidecar (attributes) file. */
  sidecar: string;
}

/** Paths of a prepared root (see {@link prepareRoot}). */
export class Layout {
  /** Directory of temporary files (same file system as the objects, so renames are atomic). */
  readonly tempDir: string;

  /**
   * @param root the root's real path (no symbolic links).
   */
  constructor(readonly root: string) {
    this.tempDir = join(root, INTERNAL_DIR, 'tmp');
  }

  /** Where `key` lives; InvalidArgument for keys the fs store refuses. */
  locate(key: string): ObjectLocation {
    const segments = keySegments(key);
    const last = segments.length - 1;
    const names = segments.flatMap((segment, i) =>
      segmentNames(segment, i === last ? 'file' : 'dir'),
    );
    const dataName = names.pop() as string;
    const dir = join(this.root, ...names);
    return {
      key,
      dirNames: names,
      dir,
      dataName,
      data: join(dir, dataName),
      sidecar: join(dir, sidecarName(dataName)),
    };
  }

  /** The directory holding the keys that start with `segments.join('/') + '/'`. */
  directoryOf(segments: readonly string[]): string {
    return join(this.root, ...segments.flatMap((segment) => segmentNames(segment, 'dir')));
  }
}

/**
 * Make `root` ready and return its layout: create it when missing, mark it with the format
 * file, refuse a non-empty directory that is not a som store (or a newer format), and remove
 * temporary files left by crashed writes.
 */
export async function prepareRoot(root: string): Promise<Layout> {
  await mkdir(root, { recursive: true });
  const layout = new Layout(await realpath(root));
  const internal = join(layout.root, INTERNAL_DIR);
  const formatFile = join(internal, 'format.json');
  const marker = await readFile(formatFile, 'utf8').catch((err: unknown) => {
    if (nativeCode(err) === 'ENOENT') return undefined;
    throw err;
  });
  if (marker === undefined) {
    const others = (await readdir(layout.root)).filter((name) => name !== INTERNAL_DIR);
    if (others.length > 0) {
      throw new SomError(
        'FailedPrecondition',
        `${root} is not empty and is not a som object store (no ${INTERNAL_DIR}/format.json): choose a new or empty directory`,
      );
    }
    await mkdir(layout.tempDir, { recursive: true });
    await writeFile(formatFile, `${JSON.stringify(FORMAT)}\n`);
  } else {
    let found: unknown;
    try {
      found = JSON.parse(marker);
    } catch {
      found = undefined;
    }
    const { format, version } = (found ?? {}) as { format?: unknown; version?: unknown };
    if (format !== FORMAT.format || version !== FORMAT.version) {
      throw new SomError(
        'FailedPrecondition',
        `${root}: ${INTERNAL_DIR}/format.json says ${marker.trim()}; this som reads ${JSON.stringify(FORMAT)}: upgrade som`,
      );
    }
    await mkdir(layout.tempDir, { recursive: true });
  }
  await removeStaleTemps(layout.tempDir);
  return layout;
}

/** Remove temporary files not written to for {@link STALE_TEMP_MS} (another process may still be writing newer ones). */
async function removeStaleTemps(dir: string): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    const stats = await lstat(path).catch(() => undefined);
    if (stats !== undefined && now - stats.mtimeMs > STALE_TEMP_MS)
      await rm(path, { force: true, recursive: true });
  }
}
