/**
 * The Client: collections, entities and images. Collections hold entities, entities hold
 * images; objects go to the object store first, records to the metadata store second.
 */
import type { Readable } from 'node:stream';
import { mapBounded } from '../concurrency';
import { allPages } from '../paging';
import { SomError, toSomError } from '../errors';
import type { MetadataStoreDriver, OrderBy, Filter, RecordData } from '../metadata-store/driver';
import { MetadataStore } from '../metadata-store/metadata-store';
import {
  DICOM_CONTENT_TYPE,
  imageRecordData,
  sameFields,
  toModelRecord,
  validateUserMetadata,
  type ImageRecord,
  type ModelRecord,
} from '../model';
import {
  collectionKey,
  entityImagesPrefix,
  entityKey,
  imageKey,
  imageObjectKey,
  validateUid,
  type EntityRef,
  type ImageRef,
  type KeyPath,
} from '../names';
import type { ByteRange, ObjectStoreDriver } from '../object-store/driver';
import { ObjectStore } from '../object-store/object-store';
import {
  describeImage,
  md5OfImage,
  openImage,
  resolveImage,
  type ImageSource,
  type ResolvedImage,
} from './image-source';
import {
  verifyStores,
  type ImageFieldsReader,
  type VerifyOptions,
  type VerifyReport,
} from './verify';

/** Default number of images uploaded at once. */
export const DEFAULT_UPLOAD_CONCURRENCY = 8;

/**
 * What `promise` settles to; when `ms` (if given) pass first, `onTimeout` runs and the wait
 * goes on (`onTimeout` runs at most once).
 */
async function settledWithin<T>(
  promise: Promise<T>,
  ms: number | undefined,
  onTimeout: () => Promise<void>,
): Promise<T> {
  if (ms === undefined) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, ms));
  });
  try {
    const first = await Promise.race([promise, timedOut]);
    if (first !== 'timeout') return first;
  } finally {
    clearTimeout(timer);
  }
  await onTimeout();
  return promise;
}

/** How many image records are written per batch. */
export const RECORD_BATCH_SIZE = 250;

/** Longest a stored object waits for its record batch (so progress and records keep up). */
export const RECORD_BATCH_MAX_WAIT_MS = 1000;

/**
 * Computes an entity's aggregate fields (e.g. its modalities and counts of studies) from its
 * image records, for the entity record.
 */
export type EntityAggregates = (images: AsyncIterable<ImageRecord>) => Promise<RecordData>;

/** Options of a {@link Client}. */
export interface ClientOptions {
  /** Where image objects go. */
  objectStore: ObjectStore | ObjectStoreDriver;
  /** Where records go. */
  metadataStore: MetadataStore | MetadataStoreDriver;
  /** Rebuilds an image's searchable fields from its bytes, for `verify({repair})`. */
  imageFields?: ImageFieldsReader;
  /**
   * Recomputes an entity's aggregate fields from its images: `verify({repair})` refreshes
   * them for every entity whose images it repaired (unless its options say otherwise).
   */
  entityAggregates?: EntityAggregates;
  /** The clock (for tests). */
  now?: () => Date;
}

/** Arguments of {@link Client.createCollection}. */
export interface CreateCollectionInput {
  uid: string;
  metadata?: RecordData;
}

/** Arguments of {@link Client.createEntity}. */
export interface CreateEntityInput {
  collection: string;
  uid: string;
  metadata?: RecordData;
}

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

/** Arguments of {@link Client.uploadImage}. */
export interface UploadImageInput extends EntityRef {
  image: ImageSource;
}

/** Arguments of {@link Client.uploadDataset}. */
export interface UploadDatasetInput {
  /** The collection (created when absent). */
  collection: string;
  /** The entity uid (created when absent). */
  uid: string;
  /** The images: paths, or inputs with bytes/streams; may be an async stream of them. */
  images: Iterable<ImageSource> | AsyncIterable<ImageSource>;
  /** Fields of the entity record. */
  metadata?: RecordData;
  /** Fields per image uid, merged into each image's own metadata. */
  imagesMetadata?: Record<string, RecordData>;
  /** Images uploaded at once (default {@link DEFAULT_UPLOAD_CONCURRENCY}). */
  concurrency?: number;
  /** Called after each image, whatever its outcome. */
  onImage?: (result: ImageUploadResult) => void;
  /**
   * Called once per image as soon as its bytes are no longer needed (its object stored or
   * found unchanged, or the image failed), before its record is written with a batch: a
   * caller holding images in memory can let this one go.
   */
  onBytesDone?: (source: ImageSource) => void;
  /** Stop starting new images; those in flight finish. */
  signal?: AbortSignal;
}

/** The result of {@link Client.uploadDataset}. */
export interface DatasetUploadResult {
  entity: ModelRecord;
  /** Count per outcome. */
  counts: Record<ImageOutcome, number>;
  /** Every failed image with its reason. */
  failed: ImageUploadResult[];
}

/** Arguments of {@link Client.search}. */
export interface SearchInput {
  /** Kind of records (default `Image`). */
  kind?: 'Collection' | 'Entity' | 'Image';
  /** Only within this collection. */
  collection?: string;
  /** Only within this entity (needs `collection`). */
  entity?: string;
  /** All must hold. */
  filters?: Filter[];
  orderBy?: OrderBy;
  /** Page size (default 100). */
  limit?: number;
  pageToken?: string;
}

/** One page of search results. */
export interface SearchPage {
  records: ModelRecord[];
  nextPageToken?: string;
}

/** Collections, entities and images over an object store and a metadata store. */
export class Client {
  /** The object store. */
  readonly objects: ObjectStore;
  /** The metadata store. */
  readonly records: MetadataStore;
  private readonly imageFields: ImageFieldsReader | undefined;
  private readonly entityAggregates: EntityAggregates | undefined;
  private readonly now: () => Date;

  /** @param options the two stores (portable or bare drivers) and options. */
  constructor(options: ClientOptions) {
    this.objects =
      options.objectStore instanceof ObjectStore
        ? options.objectStore
        : new ObjectStore(options.objectStore);
    this.records =
      options.metadataStore instanceof MetadataStore
        ? options.metadataStore
        : new MetadataStore(options.metadataStore);
    this.imageFields = options.imageFields;
    this.entityAggregates = options.entityAggregates;
    this.now = options.now ?? (() => new Date());
  }

  /** The client is named by its object store, e.g. `storage.google.radiology`. */
  toString(): string {
    return this.objects.name;
  }

  /** Create a collection, or update the metadata of an existing one; returns its record. */
  async createCollection(input: CreateCollectionInput): Promise<ModelRecord> {
    const key = collectionKey(input.uid);
    return this.upsert(key, {
      uid: input.uid,
      ...validateUserMetadata(input.metadata ?? {}, `collection ${input.uid}`),
    });
  }

  /** The collection's record; NotFound when absent. */
  async getCollection(uid: string): Promise<ModelRecord> {
    return toModelRecord(await this.records.require(collectionKey(uid), `collection ${uid}`));
  }

  /** Every collection. */
  async *listCollections(): AsyncGenerator<ModelRecord> {
    for await (const record of this.records.queryAll({ kind: 'Collection', limit: 500 }))
      yield toModelRecord(record);
  }

  /** Create an entity in an existing collection, or update its metadata; returns its record. */
  async createEntity(input: CreateEntityInput): Promise<ModelRecord> {
    const key = entityKey({ collection: input.collection, entity: input.uid });
    await this.getCollection(input.collection);
    const metadata = validateUserMetadata(input.metadata ?? {}, `entity ${input.uid}`);
    return this.upsert(key, { uid: input.uid, collection: input.collection, ...metadata });
  }

  /** The entity's record; NotFound when absent. */
  async getEntity(ref: EntityRef): Promise<ModelRecord> {
    return toModelRecord(
      await this.records.require(entityKey(ref), `entity ${ref.collection}/${ref.entity}`),
    );
  }

  /** Every entity of a collection. */
  async *listEntities(collection: string): AsyncGenerator<ModelRecord> {
    const query = { kind: 'Entity', ancestor: collectionKey(collection), limit: 500 };
    for await (const record of this.records.queryAll(query)) yield toModelRecord(record);
  }

  /** Every image record of an entity. */
  async *listImages(ref: EntityRef): AsyncGenerator<ImageRecord> {
    const query = { kind: 'Image', ancestor: entityKey(ref), limit: 500 };
    for await (const record of this.records.queryAll(query))
      yield toModelRecord(record) as ImageRecord;
  }

  /** The image's record; NotFound when absent. */
  async getImage(ref: ImageRef): Promise<ImageRecord> {
    const what = `image ${ref.collection}/${ref.entity}/${ref.image}`;
    return toModelRecord(await this.records.require(imageKey(ref), what)) as ImageRecord;
  }

  /** A stream of the image's bytes (or a range of them); NotFound when absent. */
  async readImage(ref: ImageRef, range?: ByteRange): Promise<Readable> {
    return this.objects.get(imageObjectKey(ref), range ? { range } : {});
  }

  /**
   * Upload one image to an existing entity: the object first (skipped when the same bytes
   * are stored), then its record.
   */
  async uploadImage(input: UploadImageInput): Promise<ImageUploadResult> {
    await this.getEntity(input);
    const result = await this.storeImage(input, resolveImage(input.image), {});
    if (result.error) throw result.error;
    await this.records.putMany(result.pending ? [result.pending] : []);
    return result.result;
  }

  /**
   * Upload a dataset: one entity with its images and metadata (`upload_dataset` of the Python client this follows).
   * The collection and entity are created when absent. Every image is tried; failures are
   * returned with their reasons, never skipped silently.
   */
  async uploadDataset(input: UploadDatasetInput): Promise<DatasetUploadResult> {
    const ref = { collection: input.collection, entity: validateUid('entity', input.uid) };
    await this.ensureCollection(input.collection);
    const entity = await this.createEntity({
      collection: input.collection,
      uid: input.uid,
      metadata: input.metadata ?? {},
    });
    const counts: Record<ImageOutcome, number> = {
      uploaded: 0,
      unchanged: 0,
      recorded: 0,
      failed: 0,
    };
    const failed: ImageUploadResult[] = [];
    let pending: { record: ImageUploadResult; key: KeyPath; data: RecordData }[] = [];
    let oldestPending = 0;
    const report = (result: ImageUploadResult): void => {
      counts[result.outcome]++;
      if (result.outcome === 'failed') failed.push(result);
      input.onImage?.(result);
    };
    const flush = async (): Promise<void> => {
      const batch = pending;
      pending = [];
      try {
        await this.records.putMany(batch.map(({ key, data }) => ({ key, data })));
        batch.forEach(({ record }) => report(record));
      } catch (err) {
        const error = toSomError(err, 'writing image records');
        batch.forEach(({ record }) => report({ ...record, outcome: 'failed', error }));
      }
    };
    const tasks = mapBounded(
      input.images,
      input.concurrency ?? DEFAULT_UPLOAD_CONCURRENCY,
      async (source) => {
        try {
          const image = resolveImage(source);
          return await this.storeImage(ref, image, input.imagesMetadata?.[image.uid] ?? {});
        } catch (err) {
          const image = typeof source === 'string' ? source : (source.path ?? source.uid ?? '?');
          const error = toSomError(err, `image ${image}`);
          return {
            result: {
              image: { ...ref, image: '?' },
              source: image,
              outcome: 'failed' as const,
              error,
            },
          };
        } finally {
          input.onBytesDone?.(source);
        }
      },
      input.signal,
    );
    // The records wait for a full batch, but never longer than RECORD_BATCH_MAX_WAIT_MS:
    // also not while the next image is slow to come.
    let finished = false;
    try {
      for (;;) {
        const wait =
          pending.length === 0 ? undefined : oldestPending + RECORD_BATCH_MAX_WAIT_MS - Date.now();
        const step = await settledWithin(tasks.next(), wait, flush);
        if (step.done) break;
        const stored = step.value;
        if (stored.pending) {
          if (pending.length === 0) oldestPending = Date.now();
          pending.push({ record: stored.result, ...stored.pending });
          const due = Date.now() - oldestPending >= RECORD_BATCH_MAX_WAIT_MS;
          if (pending.length >= RECORD_BATCH_SIZE || due) await flush();
        } else report(stored.result);
      }
      finished = true;
    } finally {
      if (!finished) await tasks.return(undefined);
    }
    await flush();
    return { entity, counts, failed };
  }

  /** Search records of one kind, optionally within a collection or entity. */
  async search(input: SearchInput): Promise<SearchPage> {
    const kind = input.kind ?? 'Image';
    if (input.entity !== undefined && input.collection === undefined) {
      throw new SomError('InvalidArgument', 'searching within an entity needs its collection');
    }
    const ancestor =
      input.entity !== undefined
        ? entityKey({ collection: input.collection as string, entity: input.entity })
        : input.collection !== undefined
          ? collectionKey(input.collection)
          : undefined;
    if (kind === 'Collection' && ancestor !== undefined) {
      throw new SomError('InvalidArgument', 'collections cannot be searched within a collection');
    }
    const page = await this.records.query({
      kind,
      limit: input.limit ?? 100,
      ...(ancestor ? { ancestor } : {}),
      ...(input.filters ? { filters: input.filters } : {}),
      ...(input.orderBy ? { orderBy: input.orderBy } : {}),
      ...(input.pageToken ? { pageToken: input.pageToken } : {}),
    });
    return {
      records: page.records.map(toModelRecord),
      ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    };
  }

  /** Every record a search finds, page after page of `input.limit` (default 100) records. */
  searchAll(input: Omit<SearchInput, 'pageToken'>): AsyncGenerator<ModelRecord> {
    return allPages((pageToken) => this.search({ ...input, ...(pageToken ? { pageToken } : {}) }));
  }

  /** Delete an image: its object first, then its record. */
  async deleteImage(ref: ImageRef): Promise<void> {
    await this.objects.delete(imageObjectKey(ref), { ignoreMissing: true });
    await this.records.delete(imageKey(ref));
  }

  /**
   * Delete an entity: every image object first, then the image records and the study and
   * series summaries, then the entity record.
   */
  async deleteEntity(ref: EntityRef): Promise<void> {
    await this.getEntity(ref);
    for await (const object of this.objects.listAll(entityImagesPrefix(ref))) {
      await this.objects.delete(object.key, { ignoreMissing: true });
    }
    for (const kind of ['Image', 'Study', 'Series']) {
      const keys: KeyPath[] = [];
      const query = { kind, ancestor: entityKey(ref), limit: 500 };
      for await (const record of this.records.queryAll(query)) {
        keys.push(record.key);
        if (keys.length === RECORD_BATCH_SIZE) await this.records.deleteMany(keys.splice(0));
      }
      await this.records.deleteMany(keys);
    }
    await this.records.delete(entityKey(ref));
  }

  /** Check that objects and records agree (and optionally repair); see {@link VerifyOptions}. */
  async verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    const aggregates = this.entityAggregates;
    return verifyStores(this, {
      ...(this.imageFields ? { imageFields: this.imageFields } : {}),
      ...(aggregates ? { onEntityRepaired: (ref) => this.refreshEntityAggregates(ref) } : {}),
      ...options,
    });
  }

  /**
   * Rewrite the aggregate fields of an entity record from its images with the
   * {@link ClientOptions.entityAggregates} of this client (nothing without them; a no-op
   * when they are unchanged).
   */
  async refreshEntityAggregates(ref: EntityRef): Promise<void> {
    if (this.entityAggregates === undefined) return;
    const metadata = await this.entityAggregates(this.listImages(ref));
    await this.createEntity({ collection: ref.collection, uid: ref.entity, metadata });
  }

  /** Release both stores. */
  async close(): Promise<void> {
    await Promise.all([this.objects.close(), this.records.close()]);
  }

  /** Create the collection record when absent. */
  private async ensureCollection(uid: string): Promise<void> {
    if ((await this.records.get(collectionKey(uid))) === undefined)
      await this.createCollection({ uid });
  }

  /** Insert or update a record, keeping its `created` time; returns the stored record. */
  private async upsert(key: KeyPath, fields: RecordData): Promise<ModelRecord> {
    const existing = await this.records.get(key);
    const now = this.now().toISOString();
    const data = existing
      ? { ...existing.data, ...fields, created: existing.data.created ?? now, updated: now }
      : { ...fields, created: now, updated: now };
    if (existing && sameFields(existing.data, data)) return toModelRecord(existing);
    await this.records.put(key, data);
    return toModelRecord({ key, data });
  }

  /**
   * Store one image's object (unless the same bytes are there) and work out its record.
   * Returns the record still to be written as `pending` (written in batches by the caller).
   */
  private async storeImage(
    entity: EntityRef,
    image: ResolvedImage,
    extra: RecordData,
  ): Promise<{
    result: ImageUploadResult;
    pending?: { key: KeyPath; data: RecordData };
    error?: SomError;
  }> {
    const ref: ImageRef = { ...entity, image: validateUid('image', image.uid) };
    const base = { image: ref, source: describeImage(image) };
    try {
      const objectName = imageObjectKey(ref);
      const metadata = validateUserMetadata(
        { ...image.metadata, ...extra },
        `image ${base.source}`,
      );
      const contentType = image.contentType ?? DICOM_CONTENT_TYPE;
      // The object first: a new one is written without hashing its bytes beforehand (the
      // store computes the MD5 of what it writes); an existing one is compared by MD5 (a
      // stream without a way to its MD5 cannot be compared, and is written).
      const comparable =
        image.md5 !== undefined || image.hash !== undefined || image.stream === undefined;
      const existingObject = comparable ? await this.objects.tryHead(objectName) : undefined;
      const md5 = existingObject === undefined ? image.md5 : await md5OfImage(image);
      const sameObject =
        existingObject !== undefined &&
        existingObject.md5 === md5 &&
        existingObject.contentType === contentType;
      const attributes = sameObject
        ? existingObject
        : await this.objects.put(objectName, await openImage(image), {
            contentType,
            ...(md5 ? { md5 } : {}),
          });
      const key = imageKey(ref);
      const existing = await this.records.get(key);
      const now = this.now().toISOString();
      const data = imageRecordData(ref, attributes, metadata, {
        created: String(existing?.data.created ?? now),
        updated: now,
      });
      const outcome: ImageOutcome = sameObject ? 'recorded' : 'uploaded';
      const result = { ...base, outcome, size: attributes.size };
      if (sameObject && existing && sameFields(existing.data, data))
        return { result: { ...result, outcome: 'unchanged' } };
      return { result, pending: { key, data } };
    } catch (err) {
      const error = toSomError(err, `image ${base.source}`);
      return { result: { ...base, outcome: 'failed', error }, error };
    }
  }
}
