/**
 * The identifiers of one DICOM file that its aliases are requested and looked up by (see
 * `DasherRequestBuilder` and `FileAliasLookup` of @som/identifiers), read from its header.
 */
import { SomError } from '@som/core';
import type { FileIdentifiers, FileKeys } from '@som/identifiers';
import type { DicomHeader } from './header';

const ENTITY_FIELDS = ['PatientName', 'PatientBirthDate', 'PatientSex', 'IssuerOfPatientID'];
const STUDY_FIELDS = ['AccessionNumber', 'StudyID', 'StudyDate', 'StudyTime'];
const IMAGE_FIELDS = ['StudyInstanceUID', 'SeriesInstanceUID', 'ContentDate', 'ContentTime'];

function fieldsOf(header: DicomHeader, keywords: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keywords) {
    const v = header.string(k);
    if (v) out[k] = v;
  }
  return out;
}

/**
 * An ISO 8601 timestamp from DICOM DA, TM and a UTC offset (`+hhmm`), in DASHER's form
 * `YYYY-MM-DDTHH:MM:SS[+hhmm]`; undefined without a valid date. A date that does not exist
 * (`00000000`, `19000229`, `20231345`) or lies in the first or last year of 0001-9999 (a
 * jitter could move it out) is no date; a time or offset that does not exist is left out.
 */
export function isoTimestamp(
  date: string | undefined,
  time?: string,
  offset?: string,
): string | undefined {
  const d = /^(\d{4})(\d{2})(\d{2})$/.exec(date?.trim() ?? '');
  if (!d || !isCalendarDate(Number(d[1]), Number(d[2]), Number(d[3]))) return undefined;
  const t = /^(\d{2})(\d{2})?(\d{2})?/.exec(time?.trim() ?? '');
  const [hh = '00', mm = '00', ss = '00'] = t ? [t[1], t[2], t[3]] : [];
  const validTime = Number(hh) < 24 && Number(mm) < 60 && Number(ss) < 60;
  const [h, m, s] = validTime ? [hh, mm, ss] : ['00', '00', '00'];
  const z = /^[+-](\d{2})(\d{2})$/.exec(offset?.trim() ?? '');
  const zone = z && Number(z[1]) <= 14 && Number(z[2]) < 60 ? z[0] : '';
  return `${d[1]}-${d[2]}-${d[3]}T${h}:${m}:${s}${zone}`;
}

/** True for a date of the calendar within the years 0002-9998. */
function isCalendarDate(year: number, month: number, day: number): boolean {
  if (year < 2 || year > 9998 || month < 1 || month > 12 || day < 1) return false;
  return (
    day <= new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeap(year) ? 1 : 0)
  );
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function required(header: DicomHeader, keyword: string): string {
  const value = header.string(keyword);
  if (!value)
    throw new SomError(
      'InvalidArgument',
      `${header.source}: no ${keyword}, cannot tell which alias applies`,
    );
  return value;
}

/**
 * What the aliases of the file of `header` are looked up by: its PatientID, and its
 * AccessionNumber, StudyInstanceUID and SOPInstanceUID when it has them (undefined when not).
 * Four values: all a run needs when its aliases are made locally.
 * @throws SomError InvalidArgument when it has no PatientID.
 */
export function fileKeysOf(header: DicomHeader): FileKeys {
  const optional = (keyword: string): string | undefined => header.string(keyword) || undefined;
  return {
    entityId: required(header, 'PatientID'),
    accessionNumber: optional('AccessionNumber'),
    studyInstanceUid: optional('StudyInstanceUID'),
    sopInstanceUid: optional('SOPInstanceUID'),
  };
}

/**
 * Every identifier of the file of `header` that its aliases may be requested and looked up
 * by (see {@link fileKeysOf}), with the timestamps and extra fields a DASHER request sends
 * for its patient, study and image.
 * @throws SomError InvalidArgument when it has no PatientID.
 */
export function fileIdentifiersOf(header: DicomHeader): FileIdentifiers {
  const offset = header.string('TimezoneOffsetFromUTC');
  return {
    ...fileKeysOf(header),
    entity: {
      timestamp: isoTimestamp(header.string('PatientBirthDate')),
      fields: fieldsOf(header, ENTITY_FIELDS),
    },
    study: {
      timestamp: isoTimestamp(header.string('StudyDate'), header.string('StudyTime'), offset),
      fields: fieldsOf(header, STUDY_FIELDS),
    },
    image: {
      timestamp: isoTimestamp(header.string('ContentDate'), header.string('ContentTime'), offset),
      fields: fieldsOf(header, IMAGE_FIELDS),
    },
  };
}
