/**
 * The meaning of the portable query subset, as plain functions: the in-memory driver runs
 * queries with them, and other drivers' results are checked against them by the
 * conformance suite.
 */
import { SomError } from '../errors';
import { keyKind, type KeyPath } from '../names';
import type { FieldValue, Filter, Query, ScalarValue, StoredRecord } from './driver';

/** The type class of a value for comparisons: values of different classes never match. */
function typeClass(value: FieldValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Compare two values of the same type class (strings by UTF-8 bytes); NaN when not comparable. */
export function compareScalars(a: ScalarValue, b: ScalarValue): number {
  if (typeClass(a) !== typeClass(b)) return Number.NaN;
  if (typeof a === 'string' && typeof b === 'string')
    return Buffer.compare(Buffer.from(a), Buffer.from(b));
  if (typeof a === 'number' && typeof b === 'number') return a === b ? 0 : a < b ? -1 : 1;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return 0; // both null
}

/** True when a record's field value satisfies `filter` (type-strict). */
export function valueMatches(value: FieldValue | undefined, filter: Filter): boolean {
  if (value === undefined || Array.isArray(value) || (typeof value === 'object' && value !== null))
    return false;
  if (filter.op === 'in') {
    return (filter.value as ScalarValue[]).some(
      (candidate) => compareScalars(value, candidate) === 0,
    );
  }
  const order = compareScalars(value, filter.value as ScalarValue);
  if (Number.isNaN(order)) return false;
  switch (filter.op) {
    case '=':
      return order === 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
  }
}

/** Compare key paths element by element (UTF-8 byte order); shorter first on a tie. */
export function compareKeys(a: KeyPath, b: KeyPath): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const order = Buffer.compare(Buffer.from(a[i] as string), Buffer.from(b[i] as string));
    if (order !== 0) return order;
  }
  return a.length - b.length;
}

/** True when `ancestor` is a proper prefix of `key`. */
export function isUnder(key: KeyPath, ancestor: KeyPath): boolean {
  return key.length > ancestor.length && ancestor.every((part, i) => key[i] === part);
}

/** True when `record` is of the query's kind, under its ancestor, and passes every filter. */
export function recordMatches(record: StoredRecord, query: Query): boolean {
  if (keyKind(record.key) !== query.kind) return false;
  if (query.ancestor !== undefined && !isUnder(record.key, query.ancestor)) return false;
  if (query.orderBy !== undefined && record.data[query.orderBy.field] === undefined) return false;
  return (query.filters ?? []).every((filter) => valueMatches(record.data[filter.field], filter));
}

/** Sort order of query results: by the order field (type class first), then by key. */
export function compareForQuery(query: Query): (a: StoredRecord, b: StoredRecord) => number {
  const order = query.orderBy;
  if (order === undefined) return (a, b) => compareKeys(a.key, b.key);
  const sign = order.direction === 'desc' ? -1 : 1;
  return (a, b) => {
    const va = a.data[order.field] as ScalarValue;
    const vb = b.data[order.field] as ScalarValue;
    const byClass = typeClass(va).localeCompare(typeClass(vb));
    const byValue = byClass !== 0 ? byClass : compareScalars(va, vb);
    return byValue !== 0 ? sign * byValue : compareKeys(a.key, b.key);
  };
}

/** The position a keyset page token stands for: the last record of the previous page. */
export interface QueryCursor {
  /** The order field's value of the last record (absent when unordered). */
  value?: FieldValue;
  /** The key of the last record. */
  key: KeyPath;
}

/** Encode a cursor as an opaque page token. */
export function encodeCursor(cursor: QueryCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

/** Decode a page token made by {@link encodeCursor}; InvalidArgument when it is not one. */
export function decodeCursor(token: string): QueryCursor {
  try {
    const cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as QueryCursor;
    if (!Array.isArray(cursor.key) || !cursor.key.every((part) => typeof part === 'string'))
      throw new Error('no key');
    return cursor;
  } catch (err) {
    throw new SomError('InvalidArgument', 'invalid query page token', { cause: err });
  }
}

/** The cursor of `record` in the order of `query`. */
export function cursorOf(record: StoredRecord, query: Query): QueryCursor {
  return query.orderBy === undefined
    ? { key: record.key }
    : { value: record.data[query.orderBy.field] ?? null, key: record.key };
}
