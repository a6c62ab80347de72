/**
 * The model: a Collection holds Entities, an Entity holds Images. Each has a
 * record in the metadata store; an Image also has an object in the object store.
 */
import { SomError } from './errors';
import type { FieldValue, RecordData, StoredRecord } from './metadata-store/driver';
import { keyKind, refOfKey, type ImageRef, type KeyPath } from './names';
import type { ObjectAttributes } from './object-store/driver';

/** Content type of DICOM objects. */
export const DICOM_CONTENT_TYPE = 'application/dicom';

/** The searchable DICOM fields of Image records; stores index at least these. */
export const SEARCHABLE_IMAGE_FIELDS = [
  'Modality',
  'BodyPartExamined',
  'StudyDate',
  'SeriesDescription',
  'Manufacturer',
  'Rows',
  'Columns',
] as const;

/** Fields som maintains on every record; user metadata may not set them. */
export const RESERVED_FIELDS = [
  'uid',
  'collection',
  'entity',
  'created',
  'updated',
  'objectName',
  'size',
  'md5',
  'crc32c',
  'contentType',
] as const;

const RESERVED = new Set<string>(RESERVED_FIELDS);

/** A record of the model as callers see it: its kind, address, uid and fields. */
export interface ModelRecord {
  /** `Collection`, `Entity` or `Image`. */
  kind: string;
  /** The record's key path. */
  key: KeyPath;
  /** The uid (last element of the key path). */
  uid: string;
  /** The collection it belongs to (its own uid for a collection). */
  collection: string;
  /** The entity it belongs to (for entities and images). */
  entity?: string;
  /** Every field, including `uid`, `created`, `updated`. */
  data: RecordData;
}

/** An image record: the fields every Image has (stable: searches depend on them). */
export interface ImageRecord extends ModelRecord {
  entity: string;
  data: RecordData & {
    objectName: string;
    size: number;
    md5: string;
    contentType: string;
    created: string;
    updated: string;
  };
}

/** Throw InvalidArgument when user metadata sets a field som maintains. */
export function validateUserMetadata(metadata: RecordData, where: string): RecordData {
  for (const field of Object.keys(metadata)) {
    if (RESERVED.has(field)) {
      throw new SomError(
        'InvalidArgument',
        `${where}: metadata field ${JSON.stringify(field)} is reserved`,
      );
    }
  }
  return metadata;
}

/** The caller's view of a stored record. */
export function toModelRecord(record: StoredRecord): ModelRecord {
  const ref = refOfKey(record.key) ?? {};
  return {
    kind: keyKind(record.key),
    key: record.key,
    uid: record.key[record.key.length - 1] as string,
    collection: ref.collection ?? '',
    ...(ref.entity !== undefined ? { entity: ref.entity } : {}),
    data: record.data,
  };
}

/** The image address of an image record. */
export function imageRefOf(record: ModelRecord): ImageRef {
  const ref = refOfKey(record.key);
  if (ref?.image === undefined || ref.entity === undefined || ref.collection === undefined) {
    throw new SomError('InvalidArgument', `${record.key.join('/')} is not an image record`);
  }
  return { collection: ref.collection, entity: ref.entity, image: ref.image };
}

/** True when the two field sets are equal, ignoring `created` and `updated`. */
export function sameFields(a: RecordData, b: RecordData): boolean {
  const strip = (data: RecordData): Record<string, FieldValue> =>
    Object.fromEntries(
      Object.entries(data)
        .filter(([k]) => k !== 'created' && k !== 'updated')
        .sort(([x], [y]) => (x < y ? -1 : 1)),
    );
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

/** The fields of an image record: user/searchable fields, then the ones som maintains. */
export function imageRecordData(
  ref: ImageRef,
  attributes: ObjectAttributes,
  fields: RecordData,
  times: { created: string; updated: string },
): RecordData {
  return {
    ...fields,
    uid: ref.image,
    collection: ref.collection,
    entity: ref.entity,
    objectName: attributes.key,
    size: attributes.size,
    md5: attributes.md5,
    ...(attributes.crc32c ? { crc32c: attributes.crc32c } : {}),
    contentType: attributes.contentType,
    ...times,
  };
}
