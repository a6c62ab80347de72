/**
 * `verify`: find (and optionally repair) what a crash or a partial failure left between the
 * object store and the metadata store. Objects are the truth: records follow them.
 */
import type { Readable } from 'node:stream';
import { toSomError } from '../errors';
import { md5OfStream } from '../md5';
import type { RecordData } from '../metadata-store/driver';
import {
  collectionKey,
  entityImagesPrefix,
  entityKey,
  imageKey,
  isValidUid,
  type EntityRef,
} from '../names';
import type { ObjectAttributes, ObjectSummary } from '../object-store/driver';
import type { ObjectStore } from '../object-store/object-store';
import { imageRecordData } from '../model';
import type { Catalog } from './catalog';
import { keptFieldsOf } from './kept-fields';
import { applySummaryPlan, planStudySeriesSummaries } from './summaries';

/** Rebuilds the searchable fields of an image from its bytes (e.g. from its DICOM header). */
export type ImageFieldsReader = (
  bytes: Readable,
  attributes: ObjectAttributes,
) => Promise<RecordData>;

/** Options of a verification. */
export interface VerifyOptions {
  /** Fix what can be fixed (see {@link VerifyProblemType}). */
  repair?: boolean;
  /** Only this collection. */
  collection?: string;
  /** Also re-read every object and check its bytes against its stored md5. */
  deep?: boolean;
  /** Rebuilds fields of records recreated for orphan objects. */
  imageFields?: ImageFieldsReader;
  /** Called for each problem as it is found. */
  onProblem?: (problem: VerifyProblem) => void;
  /**
   * Called once per entity after repairs changed its images or created its record, so that
   * fields derived from the images (an application's aggregates) can be recomputed.
   */
  onEntityRepaired?: (ref: EntityRef) => Promise<void>;
}

/**
 * What can be wrong, and its repair:
 * - `missing-object`: an image record without its object; repair deletes the record and
 *   what the store kept of the object (an fs sidecar), and the entity when none of its
 *   images is left.
 * - `orphan-object`: an object without its record (a crash between the two); repair writes
 *   the record, with the user fields kept with the object.
 * - `mismatch`: the record's size or md5 differs from the object's; repair rewrites them from the object.
 * - `missing-parent`: images of an entity or collection with no record of it; repair creates it.
 * - `stale-summary`: an entity's Study and Series summary records are missing, out of date
 *   or left over (e.g. a dataset stored before they existed); repair rewrites them from its
 *   image records.
 * - `corrupt`: (deep) the object's bytes do not match its md5; not repairable: re-upload it.
 */
export type VerifyProblemType =
  'missing-object' | 'orphan-object' | 'mismatch' | 'missing-parent' | 'stale-summary' | 'corrupt';

/** One problem found. */
export interface VerifyProblem {
  type: VerifyProblemType;
  /** Object key or record path concerned. */
  subject: string;
  /** A readable explanation. */
  detail: string;
  /** True when `repair` fixed it. */
  repaired: boolean;
}

/** What a verification found. */
export interface VerifyReport {
  /** Image records and objects compared. */
  images: number;
  /** Every problem found. */
  problems: VerifyProblem[];
}

const COLLECTIONS_PREFIX = 'Collection/';

/** Names one level below `prefix` in the object store (`prefix<name>/...`), in order. */
async function objectChildren(objects: ObjectStore, prefix: string): Promise<string[]> {
  const names: string[] = [];
  let pageToken: string | undefined;
  do {
    const page = await objects.list({
      prefix,
      delimiter: '/',
      ...(pageToken ? { pageToken } : {}),
    });
    for (const child of page.prefixes) {
      const name = child.slice(prefix.length, -1);
      if (isValidUid(name)) names.push(name);
    }
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
  return names;
}

class Verifier {
  readonly report: VerifyReport = { images: 0, problems: [] };
  /** Problems repaired so far. */
  private repairs = 0;

  constructor(
    private readonly objects: ObjectStore,
    private readonly catalog: Catalog,
    private readonly options: VerifyOptions,
  ) {}

  async run(): Promise<VerifyReport> {
    const collections = new Set<string>(await objectChildren(this.objects, COLLECTIONS_PREFIX));
    for await (const record of this.catalog.listCollections()) collections.add(record.uid);
    for (const collection of [...collections].sort()) {
      if (this.options.collection === undefined || this.options.collection === collection) {
        await this.verifyCollection(collection);
      }
    }
    return this.report;
  }

  private async problem(
    type: VerifyProblemType,
    subject: string,
    detail: string,
    repair?: () => Promise<void>,
  ): Promise<void> {
    let repaired = false;
    if (this.options.repair && repair) {
      await repair();
      repaired = true;
      this.repairs++;
    }
    const problem = { type, subject, detail, repaired };
    this.report.problems.push(problem);
    this.options.onProblem?.(problem);
  }

  private async verifyCollection(collection: string): Promise<void> {
    const records = this.catalog.records;
    if ((await records.get(collectionKey(collection))) === undefined) {
      await this.problem(
        'missing-parent',
        `Collection/${collection}`,
        'images stored but no collection record',
        async () => {
          await this.catalog.createCollection({ uid: collection });
        },
      );
    }
    const entities = new Set(
      await objectChildren(this.objects, `${COLLECTIONS_PREFIX}${collection}/Entity/`),
    );
    for await (const entity of this.catalog.listEntities(collection)) entities.add(entity.uid);
    for (const entity of [...entities].sort()) await this.verifyEntity({ collection, entity });
  }

  private async verifyEntity(ref: EntityRef): Promise<void> {
    const repairsBefore = this.repairs;
    // An entity the repairs left without images is gone, with its summaries.
    if (await this.verifyEntityImages(ref)) return;
    if (this.repairs > repairsBefore) await this.options.onEntityRepaired?.(ref);
    await this.verifySummaries(ref);
  }

  /** The entity's Study and Series records against its image records (as repaired). */
  private async verifySummaries(ref: EntityRef): Promise<void> {
    const plan = await planStudySeriesSummaries(this.catalog, ref, { now: this.catalog.clock });
    const { writes, deletes } = plan;
    if (writes.length === 0 && deletes.length === 0) return;
    const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
    await this.problem(
      'stale-summary',
      `Collection/${ref.collection}/Entity/${ref.entity}`,
      `study and series summaries out of date: ${count(writes.length, 'record')} to write, ${count(deletes.length, 'record')} to delete`,
      async () => {
        await applySummaryPlan(this.catalog, plan);
      },
    );
  }

  /** Returns true when the repairs left the entity without images and it was removed. */
  private async verifyEntityImages(ref: EntityRef): Promise<boolean> {
    const objects = new Map<string, ObjectSummary>();
    const prefix = entityImagesPrefix(ref);
    for await (const object of this.objects.listAll(prefix))
      objects.set(object.key.slice(prefix.length), object);
    const [first] = objects.values();
    if (first !== undefined && (await this.catalog.records.get(entityKey(ref))) === undefined) {
      await this.problem(
        'missing-parent',
        `Collection/${ref.collection}/Entity/${ref.entity}`,
        'images stored but no entity record',
        async () => {
          const { metadata } = await this.objects.head(first.key);
          const fields = keptFieldsOf(metadata, first.key).entity;
          await this.catalog.createEntity({
            collection: ref.collection,
            uid: ref.entity,
            metadata: fields,
          });
        },
      );
    }
    let missing = 0;
    let images = 0;
    for await (const image of this.catalog.listImages(ref)) {
      this.report.images++;
      images++;
      const object = objects.get(image.uid);
      objects.delete(image.uid);
      const subject = image.data.objectName;
      if (object === undefined) {
        missing++;
        await this.problem('missing-object', subject, 'record without object', async () => {
          await this.objects.delete(subject, { ignoreMissing: true });
          await this.catalog.records.delete(image.key);
        });
        continue;
      }
      const attributes = await this.objects.head(object.key);
      if (attributes.size !== image.data.size || attributes.md5 !== image.data.md5) {
        const detail = `record says ${image.data.size} bytes md5 ${image.data.md5}, object has ${attributes.size} bytes md5 ${attributes.md5}`;
        await this.problem('mismatch', subject, detail, () =>
          this.catalog.records.put(image.key, {
            ...image.data,
            size: attributes.size,
            md5: attributes.md5,
            updated: this.catalog.now(),
          }),
        );
      }
      if (this.options.deep) await this.checkBytes(attributes);
    }
    for (const [uid, object] of objects) {
      this.report.images++;
      if (!isValidUid(uid)) continue;
      await this.problem('orphan-object', object.key, 'object without record', () =>
        this.recreateRecord({ ...ref, image: uid }, object.key),
      );
    }
    // Every image of the entity was a record without its object: the entity is empty.
    if (this.options.repair && images > 0 && missing === images && objects.size === 0) {
      await this.catalog.deleteEntityRecords(ref);
      return true;
    }
    return false;
  }

  private async checkBytes(attributes: ObjectAttributes): Promise<void> {
    const actual = await md5OfStream(await this.objects.get(attributes.key));
    if (actual !== attributes.md5) {
      await this.problem(
        'corrupt',
        attributes.key,
        `bytes have md5 ${actual}, stored md5 is ${attributes.md5}: upload it again`,
      );
    }
  }

  private async recreateRecord(
    ref: EntityRef & { image: string },
    objectName: string,
  ): Promise<void> {
    const attributes = await this.objects.head(objectName);
    let fields: RecordData = {};
    const kept = keptFieldsOf(attributes.metadata, objectName).image;
    if (this.options.imageFields) {
      try {
        fields = await this.options.imageFields(await this.objects.get(objectName), attributes);
      } catch (err) {
        throw toSomError(err, `rebuilding the record of ${objectName}`);
      }
    }
    const now = this.catalog.now();
    await this.catalog.records.put(
      imageKey(ref),
      imageRecordData(ref, attributes, { ...fields, ...kept }, { created: now, updated: now }),
    );
  }
}

/**
 * Verify that the objects and the catalog's records agree; see {@link VerifyOptions} and
 * {@link VerifyProblemType}. Repairs write records with the catalog's clock.
 */
export async function verifyStores(
  objects: ObjectStore,
  catalog: Catalog,
  options: VerifyOptions,
): Promise<VerifyReport> {
  return new Verifier(objects, catalog, options).run();
}
