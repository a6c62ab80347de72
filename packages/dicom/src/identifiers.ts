/**
 * The identifiers of one DICOM file that its aliases are requested and looked up by (see
 * `DasherRequestBuilder` and `FileAliasLookup` of @som/identifiers), read from its header.
 */
import { SomError } from '@som/core';
import type { FileIdentifiers } from '@som/identifiers';
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
 * `YYYY-MM-DDTHH:MM:SS[+hhmm]`; undefined without a valid date.
 */
export function isoTimestamp(
  date: string | undefined,
  time?: string,
  offset?: string,
): string | undefined {
  const d = /^(\d{4})(\d{2})(\d{2})$/.exec(date?.trim() ?? '');
  if (!d) return undefined;
  const t = /^(\d{2})(\d{2})?(\d{2})?/.exec(time?.trim() ?? '');
  const zone = /^[+-]\d{4}$/.test(offset?.trim() ?? '') ? offset?.trim() : '';
  return `${d[1]}-${d[2]}-${d[3]}T${t?.[1] ?? '00'}:${t?.[2] ?? '00'}:${t?.[3] ?? '00'}${zone}`;
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
 * Every identifier of the file of `header` that its aliases may be requested and looked up
 * by (PatientID, AccessionNumber, StudyInstanceUID, SOPInstanceUID), with the timestamps and
 * extra fields a DASHER request sends for its patient, study and image.
 * @throws SomError InvalidArgument when it has no PatientID.
 */
export function fileIdentifiersOf(header: DicomHeader): FileIdentifiers {
  const offset = header.string('TimezoneOffsetFromUTC');
  const optional = (keyword: string): string | undefined => header.string(keyword) || undefined;
  return {
    entityId: required(header, 'PatientID'),
    accessionNumber: optional('AccessionNumber'),
    studyInstanceUid: optional('StudyInstanceUID'),
    sopInstanceUid: optional('SOPInstanceUID'),
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
