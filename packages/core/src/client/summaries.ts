/**
 * Study and Series summary records: one record per study and per series of an entity,
 * computed from its image records and kept under the entity (`['Collection', c, 'Entity', e,
 * 'Study', StudyInstanceUID]`, `[..., 'Series', SeriesInstanceUID]`). They make study and
 * series listings (the pages, DICOMweb's QIDO-RS) indexed reads instead of scans of images.
 * Images without a valid Study or Series Instance UID are in no summary.
 */
import type { FieldValue, RecordData, StoredRecord } from '../metadata-store/driver';
import { sameFields, type ImageRecord } from '../model';
import {
  entityKey,
  isValidUid,
  seriesKey,
  SERIES_KIND,
  studyKey,
  STUDY_KIND,
  type EntityRef,
  type KeyPath,
} from '../names';
import type { Catalog } from './catalog';

/** Where the summaries are read from and written to: a Client, or its record catalog. */
export type SummaryRecords = Pick<Catalog, 'records' | 'listImages'>;

/** Study-level attributes copied from the first image of the study that has them. */
const STUDY_FIELDS = [
  'StudyDate',
  'StudyDescription',
  'AccessionNumber',
  'PatientID',
  'PatientSex',
  'PatientAge',
] as const;

/** Series-level attributes copied from the first image of the series that has them. */
const SERIES_FIELDS = [
  'Modality',
  'SeriesDescription',
  'SeriesNumber',
  'SeriesDate',
  'BodyPartExamined',
  'ProtocolName',
] as const;

/** The summaries of one entity: field sets keyed by Study or Series Instance UID. */
export interface EntitySummaries {
  /** Per StudyInstanceUID: the fields of its Study record (without created/updated). */
  studies: Map<string, RecordData>;
  /** Per SeriesInstanceUID: the fields of its Series record (without created/updated). */
  series: Map<string, RecordData>;
}

interface SeriesImages {
  fields: RecordData;
  /** [InstanceNumber, image uid, md5] of every image, to find the middle one. */
  images: [number, string, string][];
}

function copyFirst(target: RecordData, source: RecordData, fields: readonly string[]): void {
  for (const field of fields) {
    const value = source[field];
    if (target[field] === undefined && value !== undefined && value !== '') target[field] = value;
  }
}

/** The image in the middle of a series ordered by InstanceNumber (then image uid). */
function middleOf(images: [number, string, string][]): [number, string, string] {
  const sorted = [...images].sort(([a, x], [b, y]) => a - b || (x < y ? -1 : x > y ? 1 : 0));
  return sorted[Math.floor((sorted.length - 1) / 2)] as [number, string, string];
}

/**
 * The study and series summaries of `images` (the image records of one entity): per study
 * its date, description, accession number, patient fields, modalities (`ModalitiesInStudy`,
 * comma-separated and sorted, so it can be searched) and counts; per series its modality,
 * description, number, date, body part, image count and its middle image (`MiddleImage`,
 * `MiddleImageMd5`: what a thumbnail of the series shows).
 */
export function summarizeImages(ref: EntityRef, images: Iterable<ImageRecord>): EntitySummaries {
  const studies = new Map<string, { fields: RecordData; modalities: Set<string> }>();
  const series = new Map<string, SeriesImages>();
  for (const image of images) {
    const { StudyInstanceUID: study, SeriesInstanceUID: uid } = image.data;
    if (!isValidUid(study) || !isValidUid(uid)) continue;
    let s = studies.get(study);
    if (s === undefined) {
      s = {
        fields: { uid: study, collection: ref.collection, entity: ref.entity },
        modalities: new Set(),
      };
      s.fields.StudyInstanceUID = study;
      studies.set(study, s);
    }
    copyFirst(s.fields, image.data, STUDY_FIELDS);
    if (typeof image.data.Modality === 'string' && image.data.Modality !== '')
      s.modalities.add(image.data.Modality);
    let se = series.get(uid);
    if (se === undefined) {
      se = {
        fields: {
          uid,
          collection: ref.collection,
          entity: ref.entity,
          StudyInstanceUID: study,
          SeriesInstanceUID: uid,
        },
        images: [],
      };
      series.set(uid, se);
    }
    copyFirst(se.fields, image.data, SERIES_FIELDS);
    const number = image.data.InstanceNumber;
    se.images.push([
      typeof number === 'number' ? number : Number.MAX_SAFE_INTEGER,
      image.uid,
      image.data.md5,
    ]);
  }
  const seriesOut = new Map<string, RecordData>();
  const counts = new Map<string, { series: number; images: number }>();
  for (const [uid, { fields, images: list }] of series) {
    const [, middle, md5] = middleOf(list);
    seriesOut.set(uid, {
      ...fields,
      NumberOfSeriesRelatedInstances: list.length,
      MiddleImage: middle,
      MiddleImageMd5: md5,
    });
    const study = fields.StudyInstanceUID as string;
    const count = counts.get(study) ?? { series: 0, images: 0 };
    count.series++;
    count.images += list.length;
    counts.set(study, count);
  }
  const studiesOut = new Map<string, RecordData>();
  for (const [uid, { fields, modalities }] of studies) {
    const count = counts.get(uid) ?? { series: 0, images: 0 };
    studiesOut.set(uid, {
      ...fields,
      ModalitiesInStudy: [...modalities].sort().join(','),
      NumberOfStudyRelatedSeries: count.series,
      NumberOfStudyRelatedInstances: count.images,
    });
  }
  return { studies: studiesOut, series: seriesOut };
}

/** What {@link refreshStudySeriesSummaries} changed. */
export interface SummaryRefresh {
  /** Study and Series records written (new or changed). */
  written: number;
  /** Study and Series records deleted (their study or series has no image left). */
  deleted: number;
}

/** The writes and deletes that bring an entity's Study and Series records up to date. */
export interface SummaryPlan {
  /** Records to write: new ones, and changed ones (keeping their `created` time). */
  writes: StoredRecord[];
  /** Records to delete: their study or series has no image left. */
  deletes: KeyPath[];
}

/** Options of {@link planStudySeriesSummaries} and {@link refreshStudySeriesSummaries}. */
export interface SummaryOptions {
  /** The entity's image records, when the caller has read them already (default: read them). */
  images?: readonly ImageRecord[];
  /** The clock (for tests). */
  now?: () => Date;
}

async function existingUnder(
  catalog: SummaryRecords,
  ancestor: KeyPath,
  kind: string,
): Promise<Map<string, StoredRecord>> {
  const found = new Map<string, StoredRecord>();
  for await (const record of catalog.records.queryAll({ kind, ancestor, limit: 500 }))
    found.set(record.key[record.key.length - 1] as string, record);
  return found;
}

/**
 * Compare the Study and Series records of an entity with the ones its image records give,
 * and say what to write and delete (nothing when they agree; `updated` times aside).
 */
export async function planStudySeriesSummaries(
  catalog: SummaryRecords,
  ref: EntityRef,
  options: SummaryOptions = {},
): Promise<SummaryPlan> {
  let images = options.images;
  if (images === undefined) {
    const read: ImageRecord[] = [];
    for await (const image of catalog.listImages(ref)) read.push(image);
    images = read;
  }
  const { studies, series } = summarizeImages(ref, images);
  const ancestor = entityKey(ref);
  const time = (options.now ?? (() => new Date()))().toISOString();
  const plan: SummaryPlan = { writes: [], deletes: [] };
  const compare = async (
    kind: string,
    wanted: Map<string, RecordData>,
    keyOf: (uid: string) => KeyPath,
  ): Promise<void> => {
    const existing = await existingUnder(catalog, ancestor, kind);
    for (const [uid, fields] of wanted) {
      const old = existing.get(uid);
      const created: FieldValue = old?.data.created ?? time;
      const data = { ...fields, created, updated: time };
      if (old === undefined || !sameFields(old.data, data))
        plan.writes.push({ key: keyOf(uid), data });
    }
    for (const [uid, old] of existing) if (!wanted.has(uid)) plan.deletes.push(old.key);
  };
  await compare(STUDY_KIND, studies, (uid) => studyKey(ref, uid));
  await compare(SERIES_KIND, series, (uid) => seriesKey(ref, uid));
  return plan;
}

/** Carry out a {@link SummaryPlan}. */
export async function applySummaryPlan(
  catalog: SummaryRecords,
  plan: SummaryPlan,
): Promise<SummaryRefresh> {
  await catalog.records.putMany(plan.writes);
  await catalog.records.deleteMany(plan.deletes);
  return { written: plan.writes.length, deleted: plan.deletes.length };
}

/**
 * Recompute the Study and Series records of an entity from its image records, and write
 * them: new and changed ones are written (keeping their `created` time), unchanged ones are
 * left alone, and the ones whose study or series has no image any more are deleted. Call it
 * whenever the images of an entity change (an upload, a repair).
 */
export async function refreshStudySeriesSummaries(
  catalog: SummaryRecords,
  ref: EntityRef,
  options: SummaryOptions = {},
): Promise<SummaryRefresh> {
  return applySummaryPlan(catalog, await planStudySeriesSummaries(catalog, ref, options));
}
