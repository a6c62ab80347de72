/**
 * Storing one image: its object first (skipped when the same bytes are stored), then the
 * record it needs, handed back to be written with a batch. Who computes the MD5 of the bytes
 * is decided here alone, from the object store's capability `md5FromCaller`.
 */
import { toSomError, type SomError } from '../errors';
import type { RecordData } from '../metadata-store/driver';
import { DICOM_CONTENT_TYPE, imageRecordData, sameFields, validateUserMetadata } from '../model';
import {
  entityImagesPrefix,
  imageKey,
  imageObjectKey,
  validateUid,
  type EntityRef,
  type ImageRef,
  type KeyPath,
} from '../names';
import type { Durability } from '../object-store/driver';
import type { ObjectStore } from '../object-store/object-store';
import type { Catalog } from './catalog';
import { describeImage, md5OfImage, openImage, type ResolvedImage } from './image-source';
import { keptFieldsMetadata, sameKeptFields } from './kept-fields';

/** What happened to one image of an upload. */
export type ImageOutcome = 'uploaded' | 'unchanged' | 'recorded' | 'failed';

/** The result of uploading one image. */
export interface ImageUploadResult {
  /** The image's address (uid decided). */
  image: ImageRef;
  /** Where the bytes came from. */
  source: string;
  /** uploaded: object written; recorded: object already there, record written; unchanged: nothing to do. */
  outcome: ImageOutcome;
  /** Bytes of the object. */
  size?: number;
  /** Why it failed. */
  error?: SomError;
}

/** An image stored (or not), and the record still to write for it. */
export interface StoredImage {
  result: ImageUploadResult;
  /** The image record to write (absent when it is unchanged, or the image failed). */
  record?: { key: KeyPath; data: RecordData };
}

/**
 * Whether an upload into an entity needs the MD5 of each image's bytes before its put:
 * - `required`: the object store is reached over a network and checks what it receives
 *   against the MD5 the caller sends (capability `md5FromCaller`): every put carries one.
 * - `useful`: objects are stored under the entity already (a rerun): each image is compared
 *   with its stored object by MD5 before it is written again.
 * - `unneeded`: the store computes the MD5 of what it writes, and there is nothing to compare.
 * The Client computes what it needs and is not given ({@link ImageInput.md5}); a caller that
 * can hash beside other work (e.g. in the threads that make the bytes) uses this to know
 * whether that is worth it.
 */
export type Md5Need = 'required' | 'useful' | 'unneeded';

/** The {@link Md5Need} of an upload into `entity` of `objects`. */
export async function md5Need(objects: ObjectStore, entity: EntityRef): Promise<Md5Need> {
  if (objects.capabilities.md5FromCaller) return 'required';
  return (await holdsImages(objects, entity)) ? 'useful' : 'unneeded';
}

/** Whether `objects` holds any image object of `entity`. */
export async function holdsImages(objects: ObjectStore, entity: EntityRef): Promise<boolean> {
  const page = await objects.list({ prefix: entityImagesPrefix(entity), pageSize: 1 });
  return page.objects.length > 0;
}

/** How {@link storeImage} stores an image. */
export interface StoreImageOptions {
  /** More fields of the image's record. */
  extra?: RecordData;
  /** Fields of its entity, kept with its object (so a lost entity record is rebuilt with them). */
  entityFields?: RecordData;
  /**
   * When its object must be durable (default `now`): `deferred` when the caller passes the
   * object store's durability point (`ObjectStore.flush`) before it writes the record.
   */
  durable?: Durability;
  /**
   * The caller found no image object under the entity before it began (see
   * {@link holdsImages}): the image is written without first looking for a stored one (a
   * round trip per image saved; an object another process stored meanwhile is replaced).
   */
  noneStored?: boolean;
}

/**
 * Store one image's object into `entity` (unless the same bytes and kept fields are there)
 * and work out its record (returned, not written). Its `userMetadata` and
 * `options.entityFields` are kept with the object, so that a lost record is rebuilt with
 * them. Never throws: a failure is the result's `error`.
 */
export async function storeImage(
  objects: ObjectStore,
  catalog: Catalog,
  entity: EntityRef,
  image: ResolvedImage,
  options: StoreImageOptions = {},
): Promise<StoredImage> {
  const { extra = {}, entityFields = {}, durable = 'now', noneStored = false } = options;
  const source = describeImage(image);
  let ref: ImageRef = { ...entity, image: '?' };
  try {
    ref = { ...entity, image: validateUid('image', image.uid) };
    const objectName = imageObjectKey(ref);
    const metadata = validateUserMetadata(
      { ...image.metadata, ...image.userMetadata, ...extra },
      `image ${source}`,
    );
    const kept = keptFieldsMetadata(
      { image: image.userMetadata ?? {}, entity: entityFields },
      `image ${source}`,
    );
    const contentType = image.contentType ?? DICOM_CONTENT_TYPE;
    // A stream without its MD5 cannot be hashed before it is written (it is read once): it
    // is written without comparing, and without an MD5 for the store to check.
    const hashable = image.md5 !== undefined || image.stream === undefined;
    const existingObject = hashable && !noneStored ? await objects.tryHead(objectName) : undefined;
    const wanted = existingObject !== undefined || objects.capabilities.md5FromCaller;
    const md5 = hashable && wanted ? await md5OfImage(image) : image.md5;
    const sameObject =
      existingObject !== undefined &&
      existingObject.md5 === md5 &&
      existingObject.contentType === contentType &&
      sameKeptFields(existingObject.metadata, kept);
    const attributes = sameObject
      ? existingObject
      : await objects.put(objectName, await openImage(image), {
          contentType,
          durable,
          ...(md5 !== undefined ? { md5 } : {}),
          ...(Object.keys(kept).length > 0 ? { metadata: kept } : {}),
        });
    const key = imageKey(ref);
    const existing = await catalog.records.get(key);
    const now = catalog.now();
    const data = imageRecordData(ref, attributes, metadata, {
      created: String(existing?.data.created ?? now),
      updated: now,
    });
    const result: ImageUploadResult = {
      image: ref,
      source,
      outcome: sameObject ? 'recorded' : 'uploaded',
      size: attributes.size,
    };
    if (sameObject && existing && sameFields(existing.data, data))
      return { result: { ...result, outcome: 'unchanged' } };
    return { result, record: { key, data } };
  } catch (err) {
    const error = toSomError(err, `image ${source}`);
    return { result: { image: ref, source, outcome: 'failed', error } };
  }
}
