/**
 * The identifying strings of one file (names, IDs, birth date, address, ...), to decide
 * whether a descriptor text is clean: it mentions none of them and holds nothing that
 * looks like a date, an ID or a phone number.
 */
import type { DicomDataset } from '../dataset';
import type { DicomHeader } from '../header';

/** Person-name attributes whose components are identifying words. */
const NAME_KEYWORDS = [
  'PatientName',
  'OtherPatientNames',
  'PatientBirthName',
  'PatientMotherBirthName',
  'ReferringPhysicianName',
  'PerformingPhysicianName',
  'NameOfPhysiciansReadingStudy',
  'RequestingPhysician',
  'PhysiciansOfRecord',
  'OperatorsName',
  'PatientAddress',
  'InstitutionName',
  'InstitutionAddress',
  'StationName',
];

/** Identifier attributes whose whole value (letters and digits only) must not appear. */
const ID_KEYWORDS = [
  'PatientID',
  'OtherPatientIDs',
  'AccessionNumber',
  'StudyID',
  'PatientTelephoneNumbers',
  'DeviceSerialNumber',
];

const WORD = /[\p{L}\p{N}]+/gu;
const DIGIT_RUN = /\d{5,}/;
const SEPARATED_DATE = /\d{1,4}[-./]\d{1,2}[-./]\d{1,4}/;

function words(text: string): string[] {
  return (text.toLowerCase().match(WORD) ?? []).filter((w) => w.length >= 2);
}

function alnum(text: string): string {
  return (text.toLowerCase().match(WORD) ?? []).join('');
}

/** The identifying strings of one file, gathered from its original header. */
export class IdentityTokens {
  private readonly nameWords = new Set<string>();
  private readonly ids: string[] = [];

  /** Gather from the top level of `header` and the items of Other Patient IDs Sequence. */
  constructor(header: DicomHeader) {
    this.collect(header.dataset);
    for (const item of header.items('OtherPatientIDsSequence')) this.collect(item);
  }

  private collect(dataset: DicomDataset): void {
    for (const keyword of NAME_KEYWORDS) {
      for (const w of words(dataset.string(keyword) ?? '')) this.nameWords.add(w);
    }
    for (const keyword of ID_KEYWORDS) {
      const id = alnum(dataset.string(keyword) ?? '');
      if (id.length >= 3) this.ids.push(id);
    }
  }

  /** True when `text` holds none of the identifying strings, and no date, ID or phone-like digits. */
  isClean(text: string): boolean {
    if (DIGIT_RUN.test(text) || SEPARATED_DATE.test(text)) return false;
    if (words(text).some((w) => this.nameWords.has(w))) return false;
    const compact = alnum(text);
    return !this.ids.some((id) => compact.includes(id));
  }
}
