/**
 * Names of the model (stable: stored data depends on them): uid rules, object keys and
 * record key paths.
 */
import { SomError } from './errors';

/** The kinds of the model: the three of its layout, and the study and series summaries of an entity. */
export type Kind = 'Collection' | 'Entity' | 'Image' | 'Study' | 'Series';

/** Which part of a name a uid is, for error messages. */
export type UidRole = 'collection' | 'entity' | 'image' | 'study' | 'series';

const UID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/** True when `uid` is 1-128 characters of `[A-Za-z0-9._-]` and not `.` or `..`. */
export function isValidUid(uid: unknown): uid is string {
  return typeof uid === 'string' && UID_PATTERN.test(uid) && uid !== '.' && uid !== '..';
}

/**
 * Return `uid` when it is a valid uid (see {@link isValidUid}); else throw InvalidArgument
 * naming the role and the offending value.
 */
export function validateUid(role: UidRole, uid: unknown): string {
  if (isValidUid(uid)) return uid;
  const shown = typeof uid === 'string' ? JSON.stringify(uid.slice(0, 140)) : String(uid);
  throw new SomError(
    'InvalidArgument',
    `invalid ${role} uid ${shown}: use 1-128 characters of A-Z a-z 0-9 . _ - (not "." or "..")`,
  );
}

/**
 * Turn an arbitrary string into a valid uid: characters outside `[A-Za-z0-9._-]` become `_`,
 * the result is cut to 128 characters, and `.`/`..`/empty become `_`.
 */
export function sanitizeUid(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 128);
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? '_' : cleaned;
}

/** The address of a collection. */
export interface CollectionRef {
  collection: string;
}

/** The address of an entity. */
export interface EntityRef extends CollectionRef {
  entity: string;
}

/** The address of an image. */
export interface ImageRef extends EntityRef {
  image: string;
}

/** Object key prefix of everything in a collection: `Collection/<c>/`. */
export function collectionPrefix(collection: string): string {
  return `Collection/${validateUid('collection', collection)}/`;
}

/** Object key prefix of an entity's images: `Collection/<c>/Entity/<e>/Images/`. */
export function entityImagesPrefix(ref: EntityRef): string {
  return `${collectionPrefix(ref.collection)}Entity/${validateUid('entity', ref.entity)}/Images/`;
}

/** Object key of an image (stable): `Collection/<c>/Entity/<e>/Images/<i>`. */
export function imageObjectKey(ref: ImageRef): string {
  return `${entityImagesPrefix(ref)}${validateUid('image', ref.image)}`;
}

/** The image an object key names, or undefined when the key is not an image key. */
export function parseImageObjectKey(key: string): ImageRef | undefined {
  const parts = key.split('/');
  if (parts.length !== 6 || parts[0] !== 'Collection' || parts[2] !== 'Entity') return undefined;
  if (parts[4] !== 'Images') return undefined;
  const [, collection, , entity, , image] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (![collection, entity, image].every(isValidUid)) return undefined;
  return { collection, entity, image };
}

/**
 * A record key path: alternating kind and name, outermost first, as Datastore key paths:
 * `['Collection', c]`, `['Collection', c, 'Entity', e]`, `['Collection', c, 'Entity', e, 'Image', i]`.
 */
export type KeyPath = readonly string[];

/** Key path of a collection record. */
export function collectionKey(collection: string): KeyPath {
  return ['Collection', validateUid('collection', collection)];
}

/** Key path of an entity record. */
export function entityKey(ref: EntityRef): KeyPath {
  return [...collectionKey(ref.collection), 'Entity', validateUid('entity', ref.entity)];
}

/** Key path of an image record. */
export function imageKey(ref: ImageRef): KeyPath {
  return [...entityKey(ref), 'Image', validateUid('image', ref.image)];
}

/** Key path of the summary record of a study (by its StudyInstanceUID) of an entity. */
export function studyKey(ref: EntityRef, study: string): KeyPath {
  return [...entityKey(ref), 'Study', validateUid('study', study)];
}

/** Key path of the summary record of a series (by its SeriesInstanceUID) of an entity. */
export function seriesKey(ref: EntityRef, series: string): KeyPath {
  return [...entityKey(ref), 'Series', validateUid('series', series)];
}

/** The kind of the record a key path names (its last kind). */
export function keyKind(key: KeyPath): string {
  const kind = key[key.length - 2];
  if (kind === undefined) throw new SomError('InvalidArgument', 'empty record key path');
  return kind;
}

/**
 * The model address a key path names, for a path of the model's shape; else undefined. A
 * study or series summary record is addressed by its entity.
 */
export function refOfKey(key: KeyPath): Partial<ImageRef> | undefined {
  const [k0, collection, k1, entity, k2, image] = key;
  if (k0 !== 'Collection' || collection === undefined) return undefined;
  if (key.length === 2) return { collection };
  if (k1 !== 'Entity' || entity === undefined) return undefined;
  if (key.length === 4) return { collection, entity };
  if (image === undefined || key.length !== 6) return undefined;
  if (k2 === 'Study' || k2 === 'Series') return { collection, entity };
  if (k2 !== 'Image') return undefined;
  return { collection, entity, image };
}

/** A stable, readable string form of a key path: `Collection/c/Entity/e/Image/i`. */
export function formatKey(key: KeyPath): string {
  return key.join('/');
}
