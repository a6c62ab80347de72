/**
 * Rebuilding an image record's searchable fields from a stored object (for `som verify
 * --repair` of an object whose record a crash lost): its de-identified DICOM header, read
 * with the same field list `deidentify` uses for new records.
 */
import type { ImageFieldsReader } from '@som/core';
import { readStreamHeader, searchableFields } from '@som/dicom';

/** Reads the searchable fields of a stored DICOM object, reading only its header. */
export const imageFieldsReader: ImageFieldsReader = async (bytes, attributes) =>
  searchableFields(await readStreamHeader(bytes, attributes.size, attributes.key));
