/**
 * Translate a portable {@link Query} into one SQL statement with bound values.
 *
 * Values are always bound; field names enter the SQL only as JSON paths, after
 * {@link assertFieldName}. Every filter compares `json_extract(props,'$.F')` (the indexed
 * expression) and pins the JSON type with `json_type(props,'$.F')`, so 7 never equals "7"
 * and a range never crosses types; ranges also get a type bound on their open side, so an
 * index scan stays inside one type's part of the index (in SQLite, numbers < text).
 * Order follows the reference semantics: type class (array < boolean < null < number <
 * object < string), then value, then key ascending; pages are keyset cursors (value, key).
 */
import {
  SomError,
  decodeCursor,
  type Filter,
  type FieldValue,
  type Query,
  type ScalarValue,
} from '@som/core';
import { descendantRange, encodeKey } from './key-codec';
import { KIND_INDEX, fieldTypeSql, fieldValueSql } from './schema';

/** A value bound to a statement parameter. */
export type SqlValue = string | number | Buffer | null;

/** One SQL statement and the values of its `?` parameters, in order. */
export interface SqlStatement {
  sql: string;
  params: SqlValue[];
}

/** The largest page returned when a query gives no limit. */
export const DEFAULT_PAGE_SIZE = 1000;

/** The comparison classes of values: values of different classes never compare. */
type TypeClass = 'array' | 'boolean' | 'null' | 'number' | 'object' | 'string';

/** Rank of each class in the order of the reference semantics (class names sorted). */
const CLASS_RANK: Record<TypeClass, number> = {
  array: 0,
  boolean: 1,
  null: 2,
  number: 3,
  object: 4,
  string: 5,
};

/** The `json_type` names of each class. */
const JSON_TYPES: Record<TypeClass, string[]> = {
  array: ['array'],
  boolean: ['true', 'false'],
  null: ['null'],
  number: ['integer', 'real'],
  object: ['object'],
  string: ['text'],
};

function classOf(value: FieldValue | undefined): TypeClass {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as TypeClass;
}

/** Classes whose values all compare equal in the reference semantics (ties go by key). */
const VALUELESS = new Set<TypeClass>(['array', 'null', 'object']);

function jsonTypeIn(field: string, types: readonly string[]): string {
  return `${fieldTypeSql(field)} IN (${types.map((t) => `'${t}'`).join(',')})`;
}

/** The bound form of a scalar: booleans as SQLite sees JSON true/false (1/0). */
function bound(value: ScalarValue): SqlValue {
  return typeof value === 'boolean' ? Number(value) : value;
}

/** `field = value`, type-strict. */
function equality(field: string, value: ScalarValue, params: SqlValue[]): string {
  const cls = classOf(value);
  if (cls === 'null') return `${fieldValueSql(field)} IS NULL AND ${fieldTypeSql(field)} = 'null'`;
  params.push(bound(value));
  const types = cls === 'boolean' ? [value ? 'true' : 'false'] : JSON_TYPES[cls];
  return `${fieldValueSql(field)} = ? AND ${jsonTypeIn(field, types)}`;
}

/** `field in values`, type-strict: one condition per class of value, ORed. */
function membership(field: string, values: ScalarValue[], params: SqlValue[]): string {
  const byClass = new Map<TypeClass, ScalarValue[]>();
  for (const value of values)
    byClass.set(classOf(value), [...(byClass.get(classOf(value)) ?? []), value]);
  const alternatives: string[] = [];
  for (const [cls, members] of byClass) {
    if (cls === 'string' || cls === 'number') {
      params.push(...members.map(bound));
      alternatives.push(
        `(${fieldValueSql(field)} IN (${members.map(() => '?').join(',')}) AND ${jsonTypeIn(field, JSON_TYPES[cls])})`,
      );
    } else {
      alternatives.push(
        ...[...new Set(members)].map((member) => `(${equality(field, member, params)})`),
      );
    }
  }
  return `(${alternatives.join(' OR ')})`;
}

/**
 * The range filters on one field (strings or numbers), plus a bound on the side they leave
 * open so the scan stays in that type's part of the index: numbers sort below '' and text
 * at or above it.
 */
function ranges(field: string, filters: Filter[], params: SqlValue[]): string[] {
  const value = fieldValueSql(field);
  const classes = new Set(filters.map((f) => classOf(f.value as ScalarValue)));
  if (classes.size > 1) return ['0']; // a string range and a number range: nothing can satisfy both
  const cls = classes.values().next().value as TypeClass;
  const conditions = filters.map((f) => {
    params.push(bound(f.value as ScalarValue));
    return `${value} ${f.op} ?`;
  });
  const hasLower = filters.some((f) => f.op === '>' || f.op === '>=');
  const hasUpper = filters.some((f) => f.op === '<' || f.op === '<=');
  if (cls === 'string' && !hasLower) conditions.push(`${value} >= ''`);
  if (cls === 'number' && !hasUpper) conditions.push(`${value} < ''`);
  conditions.push(jsonTypeIn(field, JSON_TYPES[cls]));
  return conditions;
}

/** The class every record matching `filters` has in `field`, when the filters pin one. */
function pinnedClass(field: string, filters: readonly Filter[]): TypeClass | undefined {
  for (const f of filters) {
    if (f.field !== field) continue;
    if (f.op !== 'in') return classOf(f.value as ScalarValue);
    const classes = new Set((f.value as ScalarValue[]).map(classOf));
    if (classes.size === 1) return classes.values().next().value;
  }
  return undefined;
}

/** `CASE json_type(...)` giving each record's class rank in `field`. */
function rankSql(field: string): string {
  const whens = (Object.keys(JSON_TYPES) as TypeClass[]).flatMap((cls) =>
    JSON_TYPES[cls].map((type) => `WHEN '${type}' THEN ${CLASS_RANK[cls]}`),
  );
  return `(CASE ${fieldTypeSql(field)} ${whens.join(' ')} END)`;
}

/** ORDER BY and the keyset condition after `cursor` of an ordered query. */
function orderedBy(
  query: Query,
  filters: readonly Filter[],
  params: SqlValue[],
): { where?: string; order: string } {
  const orderBy = query.orderBy as NonNullable<Query['orderBy']>;
  const desc = orderBy.direction === 'desc';
  const dir = desc ? 'DESC' : 'ASC';
  const value = fieldValueSql(orderBy.field);
  const pinned = pinnedClass(orderBy.field, filters);
  const cursor = query.pageToken === undefined ? undefined : decodeCursor(query.pageToken);
  const cursorClass = cursor === undefined ? undefined : classOf(cursor.value);
  if (pinned !== undefined && cursorClass !== undefined && cursorClass !== pinned) {
    throw new SomError('InvalidArgument', 'invalid query page token: it belongs to another query');
  }
  const after = (): string => {
    params.push(encodeKey(cursor?.key ?? []));
    return 'key > ?';
  };
  /** Records after the cursor among those of the cursor's class. */
  const withinClass = (cls: TypeClass): string => {
    if (VALUELESS.has(cls)) return after();
    const v = bound(cursor?.value as ScalarValue);
    if (!desc) {
      params.push(v, encodeKey(cursor?.key ?? []));
      return `(${value}, key) > (?, ?)`;
    }
    params.push(v, v);
    return `(${value} < ? OR (${value} = ? AND ${after()}))`;
  };
  if (pinned !== undefined) {
    const order = VALUELESS.has(pinned) ? 'key ASC' : `${value} ${dir}, key ASC`;
    return { order, ...(cursor ? { where: withinClass(pinned) } : {}) };
  }
  const rank = rankSql(orderBy.field);
  const scalar = `(CASE WHEN ${jsonTypeIn(orderBy.field, ['array', 'object', 'null'])} THEN NULL ELSE ${value} END)`;
  const order = `${rank} ${dir}, ${scalar} ${dir}, key ASC`;
  if (cursorClass === undefined) return { order };
  params.push(CLASS_RANK[cursorClass]);
  const otherClass = `${rank} ${desc ? '<' : '>'} ?`;
  params.push(CLASS_RANK[cursorClass]);
  return { order, where: `(${otherClass} OR (${rank} = ? AND ${withinClass(cursorClass)}))` };
}

/**
 * The statement answering one page of `query`: it selects `key` and `props` and fetches one
 * record more than the page, to tell whether another page follows. `indexed` names the
 * fields with an index: when the query filters and orders on none of them, it reads the
 * kind's records in key order (without statistics, SQLite would take any index starting
 * with the kind and sort every record of the kind).
 */
export function querySql(query: Query, indexed: ReadonlySet<string>): SqlStatement {
  const params: SqlValue[] = [query.kind];
  const where = ['kind = ?'];
  if (query.ancestor !== undefined) {
    const { low, high } = descendantRange(query.ancestor);
    where.push('key > ?', 'key < ?');
    params.push(low, high);
  }
  const filters = query.filters ?? [];
  const rangeFilters = new Map<string, Filter[]>();
  for (const filter of filters) {
    if (filter.op === '=') where.push(equality(filter.field, filter.value as ScalarValue, params));
    else if (filter.op === 'in')
      where.push(membership(filter.field, filter.value as ScalarValue[], params));
    else rangeFilters.set(filter.field, [...(rangeFilters.get(filter.field) ?? []), filter]);
  }
  for (const [field, fieldFilters] of rangeFilters)
    where.push(...ranges(field, fieldFilters, params));
  let order = 'key ASC';
  if (query.orderBy !== undefined) {
    where.push(`${fieldTypeSql(query.orderBy.field)} IS NOT NULL`);
    const ordered = orderedBy(query, filters, params);
    if (ordered.where !== undefined) where.push(ordered.where);
    order = ordered.order;
  } else if (query.pageToken !== undefined) {
    where.push('key > ?');
    params.push(encodeKey(decodeCursor(query.pageToken).key));
  }
  params.push((query.limit ?? DEFAULT_PAGE_SIZE) + 1);
  const fields = [...filters.map((f) => f.field), ...(query.orderBy ? [query.orderBy.field] : [])];
  const from = fields.some((field) => indexed.has(field))
    ? 'records'
    : `records INDEXED BY ${KIND_INDEX}`;
  return {
    sql: `SELECT key, props FROM ${from} WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ?`,
    params,
  };
}
