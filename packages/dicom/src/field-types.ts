/**
 * The types of the fields som writes, so a search compares with the right type: som's own
 * record fields, the entity aggregates, the study and series summaries, and DICOM attributes
 * by their VR (single numeric values are numbers in image records; everything else is text).
 */
import type { FieldType } from '@som/core';
import { lookupTag, tagOfKeyword } from './dictionary';

/** Fields som maintains or computes, by type. */
const SOM_FIELDS: Readonly<Record<string, FieldType>> = {
  uid: 'string',
  collection: 'string',
  entity: 'string',
  created: 'string',
  updated: 'string',
  objectName: 'string',
  md5: 'string',
  crc32c: 'string',
  contentType: 'string',
  size: 'number',
  Modalities: 'string',
  StudyDates: 'string',
  FirstStudyDate: 'string',
  LastStudyDate: 'string',
  NumberOfStudies: 'number',
  NumberOfSeries: 'number',
  NumberOfImages: 'number',
  ModalitiesInStudy: 'string',
  NumberOfStudyRelatedSeries: 'number',
  NumberOfStudyRelatedInstances: 'number',
  NumberOfSeriesRelatedInstances: 'number',
  MiddleImage: 'string',
  MiddleImageMd5: 'string',
};

/** VRs whose single values image records hold as numbers. */
const NUMERIC_VRS = new Set(['IS', 'DS', 'US', 'SS', 'UL', 'SL', 'FL', 'FD', 'UV', 'SV']);

/** The type of `field`'s values, or undefined when som does not know it. */
export function fieldType(field: string): FieldType | undefined {
  const own = SOM_FIELDS[field];
  if (own !== undefined) return own;
  const tag = tagOfKeyword(field);
  const entry = tag === undefined ? undefined : lookupTag(tag);
  if (entry === undefined || entry.keyword !== field) return undefined;
  if (entry.vr === 'SQ') return undefined;
  return NUMERIC_VRS.has(entry.vr) && entry.vm === '1' ? 'number' : 'string';
}
