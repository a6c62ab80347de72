/**
 * The record catalog: the Collection, Entity and Image records of a metadata store, created
 * and updated with their `created` / `updated` times from one clock. The Client, `verify`
 * and the upload all write records through it.
 */
import type { MetadataStore } from '../metadata-store/metadata-store';
import type { RecordData } from '../metadata-store/driver';
import {
  sameFields,
  toModelRecord,
  validateUserMetadata,
  type ImageRecord,
  type ModelRecord,
} from '../model';
import {
  collectionKey,
  entityKey,
  imageKey,
  SERIES_KIND,
  STUDY_KIND,
  type EntityRef,
  type ImageRef,
  type KeyPath,
} from '../names';
import { RECORD_BATCH_SIZE } from './record-batcher';

/** Records listed per page of the metadata store. */
const LIST_PAGE = 500;

/** Arguments of {@link Catalog.createCollection}. */
export interface CreateCollectionInput {
  uid: string;
  metadata?: RecordData;
}

/** Arguments of {@link Catalog.createEntity}. */
export interface CreateEntityInput {
  collection: string;
  uid: string;
  metadata?: RecordData;
}

/** The model's records in a metadata store, timed by one clock. */
export class Catalog {
  /**
   * @param records the metadata store.
   * @param clock gives the `created` and `updated` times of the records written.
   */
  constructor(
    readonly records: MetadataStore,
    readonly clock: () => Date = () => new Date(),
  ) {}

  /** The clock's time now, as records store it (ISO 8601). */
  now(): string {
    return this.clock().toISOString();
  }

  /** Create a collection, or update the metadata of an existing one; returns its record. */
  async createCollection(input: CreateCollectionInput): Promise<ModelRecord> {
    return this.upsert(collectionKey(input.uid), {
      uid: input.uid,
      ...validateUserMetadata(input.metadata ?? {}, `collection ${input.uid}`),
    });
  }

  /** Create the collection record when absent. */
  async ensureCollection(uid: string): Promise<void> {
    if ((await this.records.get(collectionKey(uid))) === undefined)
      await this.createCollection({ uid });
  }

  /** The collection's record; NotFound when absent. */
  async getCollection(uid: string): Promise<ModelRecord> {
    return toModelRecord(await this.records.require(collectionKey(uid), `collection ${uid}`));
  }

  /** Every collection. */
  async *listCollections(): AsyncGenerator<ModelRecord> {
    for await (const record of this.records.queryAll({ kind: 'Collection', limit: LIST_PAGE }))
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
    const query = { kind: 'Entity', ancestor: collectionKey(collection), limit: LIST_PAGE };
    for await (const record of this.records.queryAll(query)) yield toModelRecord(record);
  }

  /** The image's record; NotFound when absent. */
  async getImage(ref: ImageRef): Promise<ImageRecord> {
    const what = `image ${ref.collection}/${ref.entity}/${ref.image}`;
    return toModelRecord(await this.records.require(imageKey(ref), what)) as ImageRecord;
  }

  /** Every image record of an entity. */
  async *listImages(ref: EntityRef): AsyncGenerator<ImageRecord> {
    const query = { kind: 'Image', ancestor: entityKey(ref), limit: LIST_PAGE };
    for await (const record of this.records.queryAll(query))
      yield toModelRecord(record) as ImageRecord;
  }

  /**
   * Insert or update a record, keeping its `created` time (nothing is written when no field
   * changes); returns the stored record.
   */
  async upsert(key: KeyPath, fields: RecordData): Promise<ModelRecord> {
    const existing = await this.records.get(key);
    const now = this.now();
    const data = existing
      ? { ...existing.data, ...fields, created: existing.data.created ?? now, updated: now }
      : { ...fields, created: now, updated: now };
    if (existing && sameFields(existing.data, data)) return toModelRecord(existing);
    await this.records.put(key, data);
    return toModelRecord({ key, data });
  }
  /** Delete the records of an entity: its images' and summaries' records, then its own. */
  async deleteEntityRecords(ref: EntityRef): Promise<void> {
    await this.deleteRecordsUnder(entityKey(ref), ['Image', STUDY_KIND, SERIES_KIND]);
    await this.records.delete(entityKey(ref));
  }

  /** Delete the records of a collection: everything under it, then its own. */
  async deleteCollectionRecords(uid: string): Promise<void> {
    const kinds = ['Image', STUDY_KIND, SERIES_KIND, 'Entity'];
    await this.deleteRecordsUnder(collectionKey(uid), kinds);
    await this.records.delete(collectionKey(uid));
  }

  /** Delete every record of `kinds` under `ancestor`, kind after kind, in batches. */
  private async deleteRecordsUnder(ancestor: KeyPath, kinds: readonly string[]): Promise<void> {
    for (const kind of kinds) {
      const keys: KeyPath[] = [];
      for await (const record of this.records.queryAll({ kind, ancestor, limit: LIST_PAGE })) {
        keys.push(record.key);
        if (keys.length === RECORD_BATCH_SIZE) await this.records.deleteMany(keys.splice(0));
      }
      await this.records.deleteMany(keys);
    }
  }
}
