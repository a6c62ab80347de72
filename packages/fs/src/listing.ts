/**
 * Listing by walking directories in key order (UTF-8 byte order), from the deepest
 * directory the prefix names, skipping whole subtrees that lie before the page token, and
 * grouping a subtree into one common prefix without reading it when the delimiter falls
 * inside its path. Each page reads only the directories on its way.
 */
import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  commonPrefixOf,
  decodeListToken,
  encodeListToken,
  type ListOptions,
  type ListPage,
  type ObjectSummary,
} from '@som/core';
import type { Directories } from './directories';
import { nativeCode } from './errors';
import { compareUtf8, parseName, segmentNames } from './key-encoding';
import type { Layout } from './layout';

/** A data file or a directory, by the full segment it stands for. */
interface Entry {
  /** The segment (long segments joined back from their pieces). */
  segment: string;
  kind: 'file' | 'dir';
  /** Its path. */
  path: string;
}

/** What a listing yields, in order. */
type Item = { key: string; path: string } | { prefix: string };

/** Objects statted at once for a page. */
const STAT_CONCURRENCY = 16;

async function readDirents(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (nativeCode(err) === 'ENOENT' || nativeCode(err) === 'ENOTDIR') return [];
    throw err;
  }
}

/**
 * The entries of `dir` whose segments continue `head` (empty for a plain directory); `chain`
 * holds the names from the segment's first piece down to `dir`. Names that are not in the
 * canonical form of their segment (not written by som) are ignored, as are links.
 */
async function entriesOf(dir: string, head = '', chain: readonly string[] = []): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (const dirent of await readDirents(dir)) {
    if (!dirent.isFile() && !dirent.isDirectory()) continue;
    const parsed = parseName(dirent.name, dirent.isDirectory());
    if (parsed === undefined) continue;
    const segment = head + parsed.piece;
    const path = join(dir, dirent.name);
    const names = [...chain, dirent.name];
    if (parsed.role === 'continuation') {
      entries.push(...(await entriesOf(path, segment, names)));
      continue;
    }
    const canonical = segmentNames(segment, parsed.role);
    if (canonical.length === names.length && canonical.every((name, i) => name === names[i])) {
      entries.push({ segment, kind: parsed.role, path });
    }
  }
  const sortKey = (e: Entry): string => (e.kind === 'dir' ? `${e.segment}/` : e.segment);
  return entries.sort((a, b) => compareUtf8(sortKey(a), sortKey(b)));
}

/** True when some data file lies under `dir`. */
async function holdsObject(dir: string): Promise<boolean> {
  for (const entry of await entriesOf(dir)) {
    if (entry.kind === 'file' || (await holdsObject(entry.path))) return true;
  }
  return false;
}

/** What one listing asks for. */
interface Walk {
  prefix: string;
  delimiter: string | undefined;
  /** The last entry of the previous page. */
  after: string | undefined;
}

/** The items under `dir` (which holds the keys starting with `dirKey`), in key order. */
async function* walk(dir: string, dirKey: string, w: Walk): AsyncGenerator<Item> {
  for (const entry of await entriesOf(dir)) {
    if (entry.kind === 'file') {
      const key = dirKey + entry.segment;
      if (!key.startsWith(w.prefix)) continue;
      const common = commonPrefixOf(key, w.prefix, w.delimiter);
      if (w.after !== undefined && compareUtf8(common ?? key, w.after) <= 0) continue;
      yield common === undefined ? { key, path: entry.path } : { prefix: common };
      continue;
    }
    const key = `${dirKey}${entry.segment}/`; // every key below starts with this
    if (!key.startsWith(w.prefix) && !w.prefix.startsWith(key)) continue;
    const common = key.startsWith(w.prefix)
      ? commonPrefixOf(key, w.prefix, w.delimiter)
      : undefined;
    if (common !== undefined) {
      // The whole subtree is one common prefix.
      if (w.after !== undefined && compareUtf8(common, w.after) <= 0) continue;
      if (await holdsObject(entry.path)) yield { prefix: common };
      continue;
    }
    if (w.after !== undefined && !w.after.startsWith(key) && compareUtf8(key, w.after) < 0)
      continue; // all before the token
    yield* walk(entry.path, key, w);
  }
}

/** Size and time of the objects of a page, in order; objects deleted meanwhile are left out. */
async function summaries(
  items: readonly { key: string; path: string }[],
): Promise<ObjectSummary[]> {
  const found: (ObjectSummary | undefined)[] = [];
  for (let start = 0; start < items.length; start += STAT_CONCURRENCY) {
    const batch = items.slice(start, start + STAT_CONCURRENCY).map(async ({ key, path }) => {
      const stats = await lstat(path).catch((err: unknown) => {
        if (nativeCode(err) === 'ENOENT') return undefined;
        throw err;
      });
      return stats === undefined ? undefined : { key, size: stats.size, updated: stats.mtime };
    });
    found.push(...(await Promise.all(batch)));
  }
  return found.filter((summary): summary is ObjectSummary => summary !== undefined);
}

/** One page of the listing of the store laid out by `layout` (its directories checked by `dirs`). */
export async function listPage(
  layout: Layout,
  dirs: Directories,
  options: ListOptions,
): Promise<ListPage> {
  const prefix = options.prefix ?? '';
  const pageSize = options.pageSize ?? 1000;
  const after = options.pageToken === undefined ? undefined : decodeListToken(options.pageToken);
  const dirSegments = prefix.split('/').slice(0, -1);
  // A prefix with an empty, "." or ".." segment names no key the store can hold.
  if (dirSegments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\\')))
    return { objects: [], prefixes: [] };
  const start = layout.directoryOf(dirSegments);
  if (!(await dirs.isPlain(start, `list ${prefix}`))) return { objects: [], prefixes: [] };
  const startKey = dirSegments.map((s) => `${s}/`).join('');

  const objects: { key: string; path: string }[] = [];
  const prefixes: string[] = [];
  let last: string | undefined;
  let nextPageToken: string | undefined;
  for await (const item of walk(start, startKey, {
    prefix,
    delimiter: options.delimiter || undefined,
    after,
  })) {
    const entry = 'prefix' in item ? item.prefix : item.key;
    if (entry === last) continue; // more keys of the same common prefix
    if (objects.length + prefixes.length === pageSize) {
      nextPageToken = encodeListToken(last as string);
      break;
    }
    if ('prefix' in item) prefixes.push(item.prefix);
    else objects.push(item);
    last = entry;
  }
  return {
    objects: await summaries(objects),
    prefixes,
    ...(nextPageToken ? { nextPageToken } : {}),
  };
}
