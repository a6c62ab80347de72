/**
 * Study and Series summary records: one record per study and per series of an entity,
 * computed from its image records and kept under the entity (`['Collection', c, 'Entity', e,
 * 'Study', StudyInstanceUID]`, `[..., 'Series', SeriesInstanceUID]`). They make study and
 * series listings (the pages, DICOMweb's QIDO-RS) indexed reads instead of scans of images.
 * Images without a valid Study or Series Instance UID are in no summary.
 */
import {
  entityKey,
  isValidUid,
  sameFields,
  seriesKey,
  studyKey,
  type Client,
  type EntityRef,
  type FieldValue,
  type ImageRecord,
  type KeyPath,
  type RecordData,
  type StoredRecord,
} from '@som/core';

/** Record kind of a study summary. */
export const STUDY_KIND = 'Study';

/** Record kind of a series summary. */
export const SERIES_KIND = 'Series';

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

async function existingUnder(client: Client, ancestor: KeyPath, kind: string) {
  const found = new Map<string, StoredRecord>();
  for await (const record of client.records.queryAll({ kind, ancestor, limit: 500 }))
    found.set(record.key[record.key.length - 1] as string, record);
  return found;
}

/**
 * Recompute the Study and Series records of an entity from its image records, and write
 * them: new and changed ones are written (keeping their `created` time), unchanged ones are
 * left alone, and the ones whose study or series has no image any more are deleted. Call it
 * whenever the images of an entity change (an upload, a repair).
 */
export async function refreshStudySeriesSummaries(
  client: Client,
  ref: EntityRef,
  now: () => Date = () => new Date(),
): Promise<SummaryRefresh> {
  const images: ImageRecord[] = [];
  for await (const image of client.listImages(ref)) images.push(image);
  const { studies, series } = summarizeImages(ref, images);
  const ancestor = entityKey(ref);
  const time = now().toISOString();
  const writes: StoredRecord[] = [];
  const deletes: KeyPath[] = [];
  const plan = async (
    kind: string,
    wanted: Map<string, RecordData>,
    keyOf: (uid: string) => KeyPath,
  ): Promise<void> => {
    const existing = await existingUnder(client, ancestor, kind);
    for (const [uid, fields] of wanted) {
      const old = existing.get(uid);
      const created: FieldValue = old?.data.created ?? time;
      const data = { ...fields, created, updated: time };
      if (old === undefined || !sameFields(old.data, data)) writes.push({ key: keyOf(uid), data });
    }
    for (const [uid, old] of existing) if (!wanted.has(uid)) deletes.push(old.key);
  };
  await plan(STUDY_KIND, studies, (uid) => studyKey(ref, uid));
  await plan(SERIES_KIND, series, (uid) => seriesKey(ref, uid));
  await client.records.putMany(writes);
  await client.records.deleteMany(deletes);
  return { written: writes.length, deleted: deletes.length };
}
