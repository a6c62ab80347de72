/**
 * The searchable fields of a de-identified file, read from the de-identified output only.
 */
import { resolveKey } from '../dataset';
import type { DicomHeader } from '../header';

/** Attributes copied into the metadata record of an image, and whether they are numbers. */
export const SEARCHABLE_FIELDS: ReadonlyArray<readonly [keyword: string, numeric: boolean]> = [
  ['Modality', false],
  ['BodyPartExamined', false],
  ['StudyDate', false],
  ['SeriesDate', false],
  ['StudyDescription', false],
  ['SeriesDescription', false],
  ['ProtocolName', false],
  ['Manufacturer', false],
  ['ManufacturerModelName', false],
  ['ImageType', false],
  ['PhotometricInterpretation', false],
  ['Rows', true],
  ['Columns', true],
  ['NumberOfFrames', true],
  ['BitsAllocated', true],
  ['SliceThickness', true],
  ['PixelSpacing', false],
  ['SeriesNumber', true],
  ['InstanceNumber', true],
  ['PatientSex', false],
  ['PatientAge', false],
  ['SOPClassUID', false],
  ['StudyInstanceUID', false],
  ['SeriesInstanceUID', false],
  ['SOPInstanceUID', false],
  ['PatientID', false],
  ['AccessionNumber', false],
];

let tags: ReadonlyArray<readonly [keyword: string, tag: number, numeric: boolean]> | undefined;

/**
 * The non-empty searchable fields of `header` (numbers as numbers, the rest as text). Give
 * it only de-identified headers: it copies what it finds.
 */
export function searchableFields(
  header: Pick<DicomHeader, 'string' | 'number'>,
): Record<string, string | number> {
  tags ??= SEARCHABLE_FIELDS.map(
    ([keyword, numeric]) => [keyword, resolveKey(keyword), numeric] as const,
  );
  const out: Record<string, string | number> = {};
  for (const [keyword, tag, numeric] of tags) {
    if (numeric) {
      const n = header.number(tag);
      if (n !== undefined && Number.isFinite(n)) out[keyword] = n;
    } else {
      const s = header.string(tag);
      if (s !== undefined && s !== '') out[keyword] = s;
    }
  }
  return out;
}
