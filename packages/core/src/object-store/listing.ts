/**
 * Listing semantics shared by drivers that hold (or can enumerate) their keys: prefix,
 * delimiter grouping, UTF-8 byte order, and opaque page tokens that name the last entry.
 */
import { SomError } from '../errors';
import type { ListOptions, ListPage, ObjectSummary } from './driver';

/** Compare two keys in UTF-8 byte order (the order of GCS and S3 listings). */
export function compareObjectKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Encode the last entry of a page as an opaque token. */
export function encodeListToken(lastEntry: string): string {
  return Buffer.from(lastEntry, 'utf8').toString('base64url');
}

/** Decode a token made by {@link encodeListToken}. */
export function decodeListToken(token: string): string {
  const entry = Buffer.from(token, 'base64url').toString('utf8');
  if (entry === '' || encodeListToken(entry) !== token) {
    throw new SomError('InvalidArgument', 'invalid listing page token');
  }
  return entry;
}

/**
 * The common prefix `key` falls in under `prefix` and `delimiter`, or undefined when the key
 * is listed as an object.
 */
export function commonPrefixOf(
  key: string,
  prefix: string,
  delimiter: string | undefined,
): string | undefined {
  if (!delimiter) return undefined;
  const at = key.indexOf(delimiter, prefix.length);
  return at < 0 ? undefined : key.slice(0, at + delimiter.length);
}

/**
 * One page of a listing over `objects` (any order): keys under `options.prefix`, grouped by
 * `options.delimiter`, after the entry named by `options.pageToken`, at most `pageSize` entries.
 */
export function listingPage(objects: readonly ObjectSummary[], options: ListOptions): ListPage {
  const prefix = options.prefix ?? '';
  const after = options.pageToken === undefined ? undefined : decodeListToken(options.pageToken);
  const pageSize = options.pageSize ?? 1000;
  const sorted = objects
    .filter((o) => o.key.startsWith(prefix))
    .sort((a, b) => compareObjectKeys(a.key, b.key));
  const page: ListPage = { objects: [], prefixes: [] };
  let last: string | undefined;
  for (const object of sorted) {
    const common = commonPrefixOf(object.key, prefix, options.delimiter);
    const entry = common ?? object.key;
    if (after !== undefined && compareObjectKeys(entry, after) <= 0) continue;
    if (entry === last) continue; // further keys of the same common prefix
    if (page.objects.length + page.prefixes.length === pageSize) {
      page.nextPageToken = encodeListToken(last as string);
      break;
    }
    if (common === undefined) page.objects.push(object);
    else page.prefixes.push(common);
    last = entry;
  }
  return page;
}
