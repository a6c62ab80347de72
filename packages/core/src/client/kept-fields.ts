/**
 * User fields kept with each image's object, so that a record lost between the two stores
 * (a crash, a metadata store restored from an older backup) is rebuilt with them: the
 * fields its image record and its entity record were given at upload, as JSON in the
 * object's user metadata. The searchable DICOM fields are not kept: they are read again
 * from the object's header.
 */
import { SomError } from '../errors';
import { isJsonObject, parseJson } from '../json-text';
import type { RecordData } from '../metadata-store/driver';
import type { ObjectMetadata } from '../object-store/driver';

/** The object metadata name of the image record's user fields. */
export const IMAGE_FIELDS_METADATA = 'user-image-fields';

/** The object metadata name of the entity record's user fields. */
export const ENTITY_FIELDS_METADATA = 'user-entity-fields';

/**
 * The most bytes of kept fields (as JSON) an object carries: S3 allows 2 KiB of user
 * metadata in all, and names and encoding take their share.
 */
export const MAX_KEPT_FIELDS_BYTES = 1536;

/** User fields of an image upload: its own and its entity's. */
export interface KeptFields {
  image: RecordData;
  entity: RecordData;
}

/**
 * The object metadata keeping `fields` (none for empty ones).
 * @throws SomError InvalidArgument when they take more than {@link MAX_KEPT_FIELDS_BYTES}.
 */
export function keptFieldsMetadata(fields: KeptFields, where: string): ObjectMetadata {
  const metadata: ObjectMetadata = {};
  // In field order, so that the same fields given in another order keep the same text.
  const json = (data: RecordData): string =>
    JSON.stringify(Object.fromEntries(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : 1))));
  if (Object.keys(fields.image).length > 0) metadata[IMAGE_FIELDS_METADATA] = json(fields.image);
  if (Object.keys(fields.entity).length > 0) metadata[ENTITY_FIELDS_METADATA] = json(fields.entity);
  const bytes = Object.values(metadata).reduce((n, v) => n + Buffer.byteLength(v), 0);
  if (bytes > MAX_KEPT_FIELDS_BYTES) {
    throw new SomError(
      'InvalidArgument',
      `${where}: user metadata takes ${bytes} bytes as JSON; at most ${MAX_KEPT_FIELDS_BYTES} are kept with each object`,
    );
  }
  return metadata;
}

function fieldsAt(metadata: ObjectMetadata, name: string, where: string): RecordData {
  const text = metadata[name];
  if (text === undefined) return {};
  const value = parseJson(text, `${name} of ${where}`);
  if (!isJsonObject(value))
    throw new SomError('InvalidArgument', `${name} of ${where} is not a JSON object`);
  return value as RecordData;
}

/**
 * The user fields kept in an object's metadata (empty when it keeps none).
 * @throws SomError InvalidArgument when they are not the JSON objects som writes.
 */
export function keptFieldsOf(metadata: ObjectMetadata, where: string): KeptFields {
  return {
    image: fieldsAt(metadata, IMAGE_FIELDS_METADATA, where),
    entity: fieldsAt(metadata, ENTITY_FIELDS_METADATA, where),
  };
}

/** True when `stored` keeps exactly what `wanted` would (other metadata is ignored). */
export function sameKeptFields(stored: ObjectMetadata, wanted: ObjectMetadata): boolean {
  return [IMAGE_FIELDS_METADATA, ENTITY_FIELDS_METADATA].every(
    (name) => stored[name] === wanted[name],
  );
}
