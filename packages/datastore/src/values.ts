/**
 * Record fields as Datastore properties, and back, round-tripping every portable value:
 * - numbers are doubles (Datastore keeps integers and doubles apart: they never compare
 *   and order separately; the portable model has one number type);
 * - strings, booleans and null are themselves, indexed while short (strings of at most
 *   {@link MAX_INDEXED_STRING_BYTES}); longer strings are stored unindexed;
 * - arrays and objects are JSON in an unindexed blob (Datastore arrays would match a filter
 *   on any element and cannot nest; the portable model matches neither).
 * Unindexed values never match a filter nor appear in an ordered query.
 */
import { Datastore } from '@google-cloud/datastore';
import { SomError, type FieldValue, type RecordData } from '@som/core';

/** Longest string (UTF-8 bytes) Datastore indexes; longer ones are stored unindexed. */
export const MAX_INDEXED_STRING_BYTES = 1500;

/** One property of an entity to save. */
export interface EntityProperty {
  name: string;
  value: unknown;
  excludeFromIndexes: boolean;
}

/** The Datastore value of a scalar in a filter (numbers as doubles). */
export function filterValue(value: string | number | boolean | null): unknown {
  return typeof value === 'number' ? Datastore.double(value) : value;
}

/** True when a value is stored indexed (so filters and orders see it). */
export function isIndexed(value: FieldValue): boolean {
  if (typeof value === 'string')
    return Buffer.byteLength(value, 'utf8') <= MAX_INDEXED_STRING_BYTES;
  return value === null || typeof value !== 'object';
}

/** The properties of an entity holding `data`. */
export function toProperties(data: RecordData): EntityProperty[] {
  return Object.entries(data).map(([name, value]) => ({
    name,
    value:
      typeof value === 'number'
        ? Datastore.double(value)
        : value !== null && typeof value === 'object'
          ? Buffer.from(JSON.stringify(value), 'utf8')
          : value,
    excludeFromIndexes: !isIndexed(value),
  }));
}

/** The record fields of an entity read back (`where` names it in errors). */
export function fromEntity(entity: Record<string, unknown>, where: string): RecordData {
  const data: RecordData = {};
  for (const [name, value] of Object.entries(entity)) {
    if (Buffer.isBuffer(value)) {
      try {
        data[name] = JSON.parse(value.toString('utf8')) as FieldValue;
      } catch (err) {
        throw new SomError('Internal', `${where}: field ${name} holds bytes som did not write`, {
          cause: err,
        });
      }
    } else if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
      data[name] = value as FieldValue;
    } else {
      throw new SomError(
        'Internal',
        `${where}: field ${name} holds a Datastore value som does not use (${Object.prototype.toString.call(value)})`,
      );
    }
  }
  return data;
}
