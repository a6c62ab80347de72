/**
 * The portable query subset as a Datastore query. Datastore orders values of different
 * types by type (null, integers, booleans, strings, doubles, ...) and a range filter would
 * run across types, so each range gets the bounds of its value's type: strings from `""`
 * to below the smallest double, numbers (doubles) from -Infinity to +Infinity. Equality is
 * type-strict as it is (7 never equals "7").
 */
import {
  Datastore,
  PropertyFilter,
  and,
  type Query as DatastoreQuery,
} from '@google-cloud/datastore';
import { SomError, type Filter, type Query, type ScalarValue } from '@som/core';
import { filterValue } from './values';

type Operator = '=' | '<' | '<=' | '>' | '>=' | 'IN';

const RANGE_OPS = new Set(['<', '<=', '>', '>=']);

/** The filters a portable filter becomes. */
function propertyFilters(filter: Filter): PropertyFilter<string>[] {
  if (filter.op === 'in') {
    return [
      new PropertyFilter(filter.field, 'IN', (filter.value as ScalarValue[]).map(filterValue)),
    ];
  }
  return [
    new PropertyFilter(
      filter.field,
      filter.op as Operator,
      filterValue(filter.value as ScalarValue),
    ),
  ];
}

/** Bounds that keep a range on `field` within the type of `value`. */
function typeBounds(field: string, value: string | number): PropertyFilter<string>[] {
  return typeof value === 'string'
    ? [
        new PropertyFilter(field, '>=', ''),
        new PropertyFilter(field, '<', Datastore.double(-Infinity)),
      ]
    : [
        new PropertyFilter(field, '>=', Datastore.double(-Infinity)),
        new PropertyFilter(field, '<=', Datastore.double(Infinity)),
      ];
}

/** Every Datastore filter of a portable query (range bounds included), in a stable order. */
export function datastoreFilters(filters: readonly Filter[]): PropertyFilter<string>[] {
  const bounded = new Map<string, PropertyFilter<string>[]>();
  for (const filter of filters) {
    if (!RANGE_OPS.has(filter.op)) continue;
    const value = filter.value as string | number;
    bounded.set(`${filter.field}\u0000${typeof value}`, typeBounds(filter.field, value));
  }
  return [...filters.flatMap(propertyFilters), ...[...bounded.values()].flat()];
}

/** A page token is a Datastore cursor (base64); anything else is InvalidArgument. */
export function cursorOfToken(token: string): string {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(token))
    throw new SomError('InvalidArgument', 'invalid query page token');
  return token;
}

/** Apply a portable query's filters, order, limit and page token to `query`. */
export function refineQuery(query: DatastoreQuery, portable: Query): DatastoreQuery {
  const filters = datastoreFilters(portable.filters ?? []);
  let refined = query;
  if (filters.length === 1) refined = refined.filter(filters[0] as PropertyFilter<string>);
  else if (filters.length > 1) refined = refined.filter(and(filters));
  if (portable.orderBy)
    refined = refined.order(portable.orderBy.field, {
      descending: portable.orderBy.direction === 'desc',
    });
  if (portable.limit !== undefined) refined = refined.limit(portable.limit);
  if (portable.pageToken !== undefined) refined = refined.start(cursorOfToken(portable.pageToken));
  return refined;
}
