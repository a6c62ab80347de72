/**
 * Finding studies, series and instances of a collection by their DICOM UIDs, each with one
 * indexed query: Study and Series summary records by StudyInstanceUID / SeriesInstanceUID,
 * image records by SeriesInstanceUID or SOPInstanceUID.
 */
import {
  collectionKey,
  toModelRecord,
  type Client,
  type Filter,
  type ImageRecord,
  type ModelRecord,
} from '@som/core';
import { SERIES_KIND, STUDY_KIND } from './summaries';
import { HttpError } from './http';

/** Every record of `kind` in `collection` matching `filters`, in key order. */
export async function* recordsOf(
  client: Client,
  kind: string,
  collection: string,
  filters: Filter[],
  pageSize = 500,
): AsyncGenerator<ModelRecord> {
  const query = { kind, ancestor: collectionKey(collection), filters, limit: pageSize };
  for await (const record of client.records.queryAll(query)) yield toModelRecord(record);
}

async function first(records: AsyncIterable<ModelRecord>): Promise<ModelRecord | undefined> {
  for await (const record of records) return record;
  return undefined;
}

/** The Study record of `study` in `collection`; 404 when there is none. */
export async function findStudy(
  client: Client,
  collection: string,
  study: string,
): Promise<ModelRecord> {
  const found = await first(
    recordsOf(client, STUDY_KIND, collection, [
      { field: 'StudyInstanceUID', op: '=', value: study },
    ]),
  );
  if (found === undefined)
    throw new HttpError(404, 'NotFound', `study ${study} not found in collection ${collection}`);
  return found;
}

/** The Series record of `series` of `study` in `collection`; 404 when there is none. */
export async function findSeries(
  client: Client,
  collection: string,
  study: string,
  series: string,
): Promise<ModelRecord> {
  const found = await first(
    recordsOf(client, SERIES_KIND, collection, [
      { field: 'SeriesInstanceUID', op: '=', value: series },
    ]),
  );
  if (found === undefined || found.data.StudyInstanceUID !== study)
    throw new HttpError(404, 'NotFound', `series ${series} not found in study ${study}`);
  return found;
}

/** The image records of a series, in key order. */
export function imagesOfSeries(
  client: Client,
  collection: string,
  series: string,
): AsyncGenerator<ModelRecord> {
  return recordsOf(client, 'Image', collection, [
    { field: 'SeriesInstanceUID', op: '=', value: series },
  ]);
}

/** The image record of instance `sop` of the series; 404 when there is none. */
export async function findInstance(
  client: Client,
  collection: string,
  study: string,
  series: string,
  sop: string,
): Promise<ImageRecord> {
  const found = await first(
    recordsOf(client, 'Image', collection, [{ field: 'SOPInstanceUID', op: '=', value: sop }]),
  );
  if (
    found === undefined ||
    found.data.SeriesInstanceUID !== series ||
    found.data.StudyInstanceUID !== study
  )
    throw new HttpError(
      404,
      'NotFound',
      `instance ${sop} not found in series ${series} of study ${study}`,
    );
  return found as ImageRecord;
}
