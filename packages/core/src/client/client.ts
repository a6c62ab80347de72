/**
 * The Client: collections, entities and images. Collections hold entities, entities hold
 * images; objects go to the object store first, records to the metadata store second. The
 * records are the catalog's ({@link Catalog}), an image's object and record are worked out
 * by {@link storeImage}, and the records of an upload are written in batches
 * ({@link RecordBatcher}).
 */
import type { Readable } from 'node:stream';
import { mapBounded } from '../concurrency';
import { allPages } from '../paging';
import { SomError, toSomError } from '../errors';
import type { MetadataStoreDriver, OrderBy, Filter, RecordData } from '../metadata-store/driver';
import { MetadataStore } from '../metadata-store/metadata-store';
import { toModelRecord, type ImageRecord, type ModelRecord } from '../model';
import {
  collectionKey,
  collectionPrefix,
  entityImagesPrefix,
  entityKey,
  imageKey,
  imageObjectKey,
  validateUid,
  type EntityRef,
  type ImageRef,
} from '../names';
import type { ByteRange, ObjectStoreDriver } from '../object-store/driver';
import { ObjectStore } from '../object-store/object-store';
import { Catalog, type CreateCollectionInput, type CreateEntityInput } from './catalog';
import { resolveImage, type ImageSource } from './image-source';
import {
  holdsImages,
  md5Need,
  storeImage,
  type ImageOutcome,
  type ImageUploadResult,
  type Md5Need,
  type StoredImage,
} from './image-writer';
import { RecordBatcher } from './record-batcher';
import {
  verifyStores,
  type ImageFieldsReader,
  type VerifyOptions,
  type VerifyReport,
} from './verify';

/** Default number of images uploaded at once. */
export const DEFAULT_UPLOAD_CONCURRENCY = 8;

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
  /** The clock of the records' `created` and `updated` times (for tests). */
  now?: () => Date;
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
  /**
   * Keep `metadata` with every image's object too (its user metadata), so that
   * `verify({ repair: true })` rebuilds a lost entity record with it.
   */
  keepMetadata?: boolean;
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
  /** The records of collections, entities and images. */
  readonly catalog: Catalog;
  private readonly imageFields: ImageFieldsReader | undefined;
  private readonly entityAggregates: EntityAggregates | undefined;

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
    this.catalog = new Catalog(this.records, options.now);
    this.imageFields = options.imageFields;
    this.entityAggregates = options.entityAggregates;
  }

  /** The client is named by its object store, e.g. `storage.google.radiology`. */
  toString(): string {
    return this.objects.name;
  }

  /** Create a collection, or update the metadata of an existing one; returns its record. */
  async createCollection(input: CreateCollectionInput): Promise<ModelRecord> {
    return this.catalog.createCollection(input);
  }

  /** The collection's record; NotFound when absent. */
  async getCollection(uid: string): Promise<ModelRecord> {
    return this.catalog.getCollection(uid);
  }

  /** Every collection. */
  listCollections(): AsyncGenerator<ModelRecord> {
    return this.catalog.listCollections();
  }

  /** Create an entity in an existing collection, or update its metadata; returns its record. */
  async createEntity(input: CreateEntityInput): Promise<ModelRecord> {
    return this.catalog.createEntity(input);
  }

  /** The entity's record; NotFound when absent. */
  async getEntity(ref: EntityRef): Promise<ModelRecord> {
    return this.catalog.getEntity(ref);
  }

  /** Every entity of a collection. */
  listEntities(collection: string): AsyncGenerator<ModelRecord> {
    return this.catalog.listEntities(collection);
  }

  /** Every image record of an entity. */
  listImages(ref: EntityRef): AsyncGenerator<ImageRecord> {
    return this.catalog.listImages(ref);
  }

  /** The image's record; NotFound when absent. */
  async getImage(ref: ImageRef): Promise<ImageRecord> {
    return this.catalog.getImage(ref);
  }

  /** A stream of the image's bytes (or a range of them); NotFound when absent. */
  async readImage(ref: ImageRef, range?: ByteRange): Promise<Readable> {
    return this.objects.get(imageObjectKey(ref), range ? { range } : {});
  }

  /**
   * Whether an upload into `entity` needs each image's MD5 before its put (see
   * {@link Md5Need}): a caller that can compute it beside other work passes it as
   * `ImageInput.md5`; otherwise the Client computes what it needs.
   */
  async md5Need(entity: EntityRef): Promise<Md5Need> {
    return md5Need(this.objects, entity);
  }

  /**
   * Upload one image to an existing entity: the object first (skipped when the same bytes
   * are stored), then its record.
   */
  async uploadImage(input: UploadImageInput): Promise<ImageUploadResult> {
    await this.getEntity(input);
    const stored = await storeImage(this.objects, this.catalog, input, resolveImage(input.image));
    if (stored.result.error) throw stored.result.error;
    if (stored.record) await this.records.put(stored.record.key, stored.record.data);
    return stored.result;
  }

  /**
   * Upload a dataset: one entity with its images and metadata (`upload_dataset` of the Python client this follows).
   * The collection and entity are created when absent. Every image is tried; failures are
   * returned with their reasons, never skipped silently.
   */
  async uploadDataset(input: UploadDatasetInput): Promise<DatasetUploadResult> {
    const ref = { collection: input.collection, entity: validateUid('entity', input.uid) };
    await this.catalog.ensureCollection(input.collection);
    const entity = await this.catalog.createEntity({
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
    const noneStored = !(await holdsImages(this.objects, ref));
    const report = (result: ImageUploadResult): void => {
      counts[result.outcome]++;
      if (result.outcome === 'failed') failed.push(result);
      input.onImage?.(result);
    };
    // Objects are stored with their durability deferred: the batcher passes the object
    // store's durability point before it writes the records that name them.
    const batcher = new RecordBatcher<ImageUploadResult>(
      this.objects,
      this.records,
      (result, error) => report(error ? { ...result, outcome: 'failed', error } : result),
    );
    const tasks = mapBounded(
      input.images,
      input.concurrency ?? DEFAULT_UPLOAD_CONCURRENCY,
      async (source): Promise<StoredImage> => {
        try {
          const image = resolveImage(source);
          const extra = input.imagesMetadata?.[image.uid] ?? {};
          const entityFields = input.keepMetadata === true ? (input.metadata ?? {}) : {};
          return await storeImage(this.objects, this.catalog, ref, image, {
            extra,
            entityFields,
            durable: 'deferred',
            noneStored,
          });
        } catch (err) {
          const image = typeof source === 'string' ? source : (source.path ?? source.uid ?? '?');
          const error = toSomError(err, `image ${image}`);
          return {
            result: { image: { ...ref, image: '?' }, source: image, outcome: 'failed', error },
          };
        } finally {
          input.onBytesDone?.(source);
        }
      },
      input.signal,
    );
    let finished = false;
    try {
      for (;;) {
        const step = await batcher.meanwhile(tasks.next());
        if (step.done) break;
        const { result, record } = step.value;
        if (record) await batcher.add(result, record.key, record.data);
        else report(result);
      }
      finished = true;
    } finally {
      if (!finished) await tasks.return(undefined);
    }
    await batcher.flush();
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
    await this.deleteObjectsUnder(entityImagesPrefix(ref));
    await this.catalog.deleteEntityRecords(ref);
  }

  /**
   * Delete a collection: every object under it first, then the records under it (images,
   * study and series summaries, entities), then its record.
   */
  async deleteCollection(uid: string): Promise<void> {
    await this.getCollection(uid);
    await this.deleteObjectsUnder(collectionPrefix(uid));
    await this.catalog.deleteCollectionRecords(uid);
  }

  /** Delete every object whose key starts with `prefix`. */
  private async deleteObjectsUnder(prefix: string): Promise<void> {
    for await (const object of this.objects.listAll(prefix)) {
      await this.objects.delete(object.key, { ignoreMissing: true });
    }
  }

  /** Check that objects and records agree (and optionally repair); see {@link VerifyOptions}. */
  async verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    const aggregates = this.entityAggregates;
    return verifyStores(this.objects, this.catalog, {
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
    const metadata = await this.entityAggregates(this.catalog.listImages(ref));
    await this.catalog.createEntity({ collection: ref.collection, uid: ref.entity, metadata });
  }

  /** Release both stores. */
  async close(): Promise<void> {
    await Promise.all([this.objects.close(), this.records.close()]);
  }
}
