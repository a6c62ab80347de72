/**
 * What a file is known by when its aliases are looked up (its patient and the identifiers
 * an item may stand for), and which of them an item's `id_source` names.
 */

/**
 * What the items of a DASHER request or response identify: an accession (AccessionNumber),
 * a study (StudyInstanceUID) or an image (SOPInstanceUID).
 */
export type ItemLevel = 'accession' | 'study' | 'image';

/** Every item level, in the order a file's identifiers are tried against unnamed items. */
export const ITEM_LEVELS: readonly ItemLevel[] = Object.freeze(['accession', 'study', 'image']);

/** The DICOM attribute each item level stands for. */
export const ITEM_LEVEL_ATTRIBUTES: Readonly<Record<ItemLevel, string>> = Object.freeze({
  accession: 'AccessionNumber',
  study: 'StudyInstanceUID',
  image: 'SOPInstanceUID',
});

/**
 * The original identifiers of one file that its aliases are looked up by. Empty or missing
 * values are ones the file does not have.
 */
export interface FileKeys {
  /** The entity id: the file's PatientID. */
  readonly entityId: string;
  /** The file's AccessionNumber. */
  readonly accessionNumber?: string;
  /** The file's StudyInstanceUID. */
  readonly studyInstanceUid?: string;
  /** The file's SOPInstanceUID. */
  readonly sopInstanceUid?: string;
}

/**
 * The identifier of `file` at `level` without DICOM padding (spaces, or NULs after a UID);
 * undefined when the file has none.
 */
export function fileKeyAt(file: FileKeys, level: ItemLevel): string | undefined {
  const value =
    level === 'accession'
      ? file.accessionNumber
      : level === 'study'
        ? file.studyInstanceUid
        : file.sopInstanceUid;
  const trimmed = value?.replace(/^[\s\0]+|[\s\0]+$/g, '');
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/** `text` as lower-case words: split at anything not a letter or digit and inside camelCase. */
function wordsOf(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '');
}

const ACCESSION_WORDS = new Set(['accession', 'accessions']);
const STUDY_WORDS = new Set(['study', 'studies']);
const IMAGE_WORDS = new Set(['instance', 'instances', 'image', 'images']);

/**
 * The item level an `id_source` names, by its words (case-insensitive, camelCase split):
 * "accession" names accessions (`DCM Accession #`), else "study" studies
 * (`DICOM StudyInstanceUID`), else "instance" or "image" images (`DICOM SOPInstanceUID`).
 * A series (`SeriesInstanceUID`) is none of them. Undefined when it names none
 * (`Lab Result`, `Stanford PACS`, an empty string).
 */
export function itemLevelOfSource(idSource: string): ItemLevel | undefined {
  const words = wordsOf(idSource);
  const has = (set: ReadonlySet<string>): boolean => words.some((word) => set.has(word));
  if (has(ACCESSION_WORDS)) return 'accession';
  if (has(STUDY_WORDS)) return 'study';
  if (words.includes('series')) return undefined;
  if (has(IMAGE_WORDS)) return 'image';
  return undefined;
}
