/**
 * Rebuilding an image record's searchable fields from a stored object (for `som verify
 * --repair` of an object whose record a crash lost): its de-identified DICOM header, read
 * with the same field list `deidentify` uses for new records.
 */
import type { ImageFieldsReader } from '@som/core';
import type { DicomHeader } from '@som/dicom';
// @som/dicom does not export its field list from its index (yet): this is the module its
// `deidentify` takes the `searchable` fields from, so both kinds of records agree. Only the
// header's `string` and `number` are used (its class may come from sources in tests).
import * as searchable from '@som/dicom/dist/deid/searchable';
import { readStreamHeader } from './header';

const searchableFields = searchable.searchableFields as (
  header: Pick<DicomHeader, 'string' | 'number'>,
) => Record<string, string | number>;

/** Reads the searchable fields of a stored DICOM object, reading only its header. */
export const imageFieldsReader: ImageFieldsReader = async (bytes, attributes) =>
  searchableFields(await readStreamHeader(bytes, attributes.size, attributes.key));
