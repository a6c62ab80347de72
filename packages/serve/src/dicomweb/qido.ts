/**
 * QIDO-RS (PS3.18 10.6): searching the studies, a study's series and a series' instances of
 * one collection. Studies and series come from their summary records, instances from image
 * records; the UID, patient, accession and date keys go to the metadata store as filters
 * (indexed reads), the others (wildcards, ModalitiesInStudy) are matched on the records
 * those filters return. Results are DICOM JSON with the attributes PS3.18 lists per level.
 */
import { keywordOf, tagOfKeyword } from '@som/dicom';
import type { Filter, ModelRecord, RecordData } from '@som/core';
import { recordsOf } from '../catalog';
import type { Context } from '../context';
import { tagKey, type DicomJson } from '../dicom-json';
import { HttpError, intParam } from '../http';
import { SERIES_KIND, STUDY_KIND } from '../summaries';

/** How a matching key's value is read and matched. */
type MatchKind = 'uids' | 'text' | 'date' | 'number' | 'list';

/** One attribute of a QIDO level: its tag, VR, the record field holding it, how it matches. */
interface LevelAttribute {
  keyword: string;
  tag: number;
  vr: string;
  /** The record field; undefined when som keeps no value of it (returned empty). */
  field?: string;
  /** How it can be used as a matching key; undefined: returned only. */
  match?: MatchKind;
}

const attr = (
  keyword: string,
  tag: number,
  vr: string,
  field?: string,
  match?: MatchKind,
): LevelAttribute => ({
  keyword,
  tag,
  vr,
  ...(field ? { field } : {}),
  ...(match ? { match } : {}),
});

/** The study level (PS3.18 Table 10.6.3-3 attributes). */
export const STUDY_ATTRIBUTES: readonly LevelAttribute[] = [
  attr('StudyDate', 0x00080020, 'DA', 'StudyDate', 'date'),
  attr('StudyTime', 0x00080030, 'TM'),
  attr('AccessionNumber', 0x00080050, 'SH', 'AccessionNumber', 'text'),
  attr('ModalitiesInStudy', 0x00080061, 'CS', 'ModalitiesInStudy', 'list'),
  attr('ReferringPhysicianName', 0x00080090, 'PN'),
  attr('StudyDescription', 0x00081030, 'LO', 'StudyDescription', 'text'),
  attr('PatientName', 0x00100010, 'PN'),
  attr('PatientID', 0x00100020, 'LO', 'PatientID', 'text'),
  attr('PatientBirthDate', 0x00100030, 'DA'),
  attr('PatientSex', 0x00100040, 'CS', 'PatientSex', 'text'),
  attr('PatientAge', 0x00101010, 'AS', 'PatientAge'),
  attr('StudyInstanceUID', 0x0020000d, 'UI', 'StudyInstanceUID', 'uids'),
  attr('StudyID', 0x00200010, 'SH'),
  attr('NumberOfStudyRelatedSeries', 0x00201206, 'IS', 'NumberOfStudyRelatedSeries'),
  attr('NumberOfStudyRelatedInstances', 0x00201208, 'IS', 'NumberOfStudyRelatedInstances'),
];

/** The series level (PS3.18 Table 10.6.3-4 attributes). */
export const SERIES_ATTRIBUTES: readonly LevelAttribute[] = [
  attr('SeriesDate', 0x00080021, 'DA', 'SeriesDate', 'date'),
  attr('Modality', 0x00080060, 'CS', 'Modality', 'text'),
  attr('SeriesDescription', 0x0008103e, 'LO', 'SeriesDescription', 'text'),
  attr('BodyPartExamined', 0x00180015, 'CS', 'BodyPartExamined', 'text'),
  attr('ProtocolName', 0x00181030, 'LO', 'ProtocolName', 'text'),
  attr('StudyInstanceUID', 0x0020000d, 'UI', 'StudyInstanceUID'),
  attr('SeriesInstanceUID', 0x0020000e, 'UI', 'SeriesInstanceUID', 'uids'),
  attr('SeriesNumber', 0x00200011, 'IS', 'SeriesNumber', 'number'),
  attr('NumberOfSeriesRelatedInstances', 0x00201209, 'IS', 'NumberOfSeriesRelatedInstances'),
];

/** The instance level (PS3.18 Table 10.6.3-5 attributes, and the image's size). */
export const INSTANCE_ATTRIBUTES: readonly LevelAttribute[] = [
  attr('ImageType', 0x00080008, 'CS', 'ImageType'),
  attr('SOPClassUID', 0x00080016, 'UI', 'SOPClassUID', 'uids'),
  attr('SOPInstanceUID', 0x00080018, 'UI', 'SOPInstanceUID', 'uids'),
  attr('Modality', 0x00080060, 'CS', 'Modality'),
  attr('StudyInstanceUID', 0x0020000d, 'UI', 'StudyInstanceUID'),
  attr('SeriesInstanceUID', 0x0020000e, 'UI', 'SeriesInstanceUID'),
  attr('SeriesNumber', 0x00200011, 'IS', 'SeriesNumber'),
  attr('InstanceNumber', 0x00200013, 'IS', 'InstanceNumber', 'number'),
  attr('PhotometricInterpretation', 0x00280004, 'CS', 'PhotometricInterpretation'),
  attr('NumberOfFrames', 0x00280008, 'IS', 'NumberOfFrames'),
  attr('Rows', 0x00280010, 'US', 'Rows'),
  attr('Columns', 0x00280011, 'US', 'Columns'),
  attr('BitsAllocated', 0x00280100, 'US', 'BitsAllocated'),
];

/** Query parameters that are not matching keys. */
const CONTROLS = new Set(['limit', 'offset', 'includefield', 'fuzzymatching']);

/** Longest list of UIDs one query may match. */
export const MAX_UID_LIST = 1000;

/** Default and largest page of results. */
export const DEFAULT_QIDO_LIMIT = 1000;
export const MAX_QIDO_LIMIT = 10_000;

const UID = /^[0-9]+(\.[0-9]+)*$/;
const DATE = /^\d{8}$/;

/** One parsed matching key. */
interface Match {
  attribute: LevelAttribute;
  /** Sent to the metadata store. */
  filters: Filter[];
  /** Checked on each record the store returns; undefined when the filters suffice. */
  test?: (data: RecordData) => boolean;
  /** The UIDs of a list key (each one queried on its own when more than one). */
  uids?: string[];
}

function bad(message: string): HttpError {
  return new HttpError(400, 'InvalidArgument', message);
}

/** The keyword a query parameter names (a keyword, or a tag as eight hex digits), if any. */
function keywordOfParam(name: string): string | undefined {
  if (/^[0-9A-Fa-f]{8}$/.test(name)) return keywordOf(parseInt(name, 16) >>> 0);
  return tagOfKeyword(name) === undefined ? undefined : name;
}

function splitList(value: string): string[] {
  return value
    .split(/[,\\]/)
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** A wildcard pattern (`*` any run, `?` one character) as a whole-value test. */
function wildcard(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}

function parseMatch(attribute: LevelAttribute, value: string): Match | undefined {
  const field = attribute.field as string;
  const name = attribute.keyword;
  if (value === '' || value === '*') return undefined; // universal matching
  switch (attribute.match) {
    case 'uids': {
      const uids = splitList(value);
      if (
        uids.length === 0 ||
        uids.length > MAX_UID_LIST ||
        !uids.every((u) => UID.test(u) && u.length <= 64)
      )
        throw bad(
          `${name} must be a list of 1 to ${MAX_UID_LIST} UIDs (digits and dots, separated by , or \\)`,
        );
      return uids.length === 1
        ? { attribute, filters: [{ field, op: '=', value: uids[0] as string }] }
        : { attribute, filters: [], uids };
    }
    case 'date': {
      const m = /^(\d{8})?(-)?(\d{8})?$/.exec(value);
      const [, from, dash, to] = m ?? [];
      if (m === null || (from === undefined && to === undefined) || (!dash && to !== undefined))
        throw bad(
          `${name} must be YYYYMMDD or a range YYYYMMDD-YYYYMMDD (either end may be left out)`,
        );
      if (!dash) return { attribute, filters: [{ field, op: '=', value: from as string }] };
      const filters: Filter[] = [];
      if (from !== undefined && DATE.test(from)) filters.push({ field, op: '>=', value: from });
      if (to !== undefined && DATE.test(to)) filters.push({ field, op: '<=', value: to });
      return { attribute, filters };
    }
    case 'number': {
      if (!/^-?\d{1,12}$/.test(value)) throw bad(`${name} must be a whole number`);
      return { attribute, filters: [{ field, op: '=', value: Number(value) }] };
    }
    case 'list': {
      const wanted = splitList(value);
      return {
        attribute,
        filters: [],
        test: (data) => {
          const have = typeof data[field] === 'string' ? splitList(data[field] as string) : [];
          return wanted.some((w) => have.includes(w));
        },
      };
    }
    default: {
      if (/[*?]/.test(value)) {
        const re = wildcard(value);
        return {
          attribute,
          filters: [],
          test: (data) => typeof data[field] === 'string' && re.test(data[field] as string),
        };
      }
      return { attribute, filters: [{ field, op: '=', value }] };
    }
  }
}

/** A QIDO query, parsed and checked. */
export interface QidoQuery {
  matches: Match[];
  limit: number;
  offset: number;
  /** Fuzzy matching was asked for (not supported: matching stays literal). */
  fuzzy: boolean;
}

/** Parse the query parameters of a QIDO request at a level; 400 naming what is wrong. */
export function parseQido(query: URLSearchParams, level: readonly LevelAttribute[]): QidoQuery {
  const matches: Match[] = [];
  for (const [name, value] of query) {
    if (name === '' || CONTROLS.has(name.toLowerCase())) continue;
    const keyword = keywordOfParam(name);
    const attribute = level.find((a) => a.keyword === keyword);
    if (attribute?.match === undefined) {
      const usable = level.filter((a) => a.match !== undefined).map((a) => a.keyword);
      throw bad(
        `${JSON.stringify(name.slice(0, 64))} is not a matching key here; the keys are ${usable.join(', ')} (by keyword or tag), limit, offset, includefield and fuzzymatching`,
      );
    }
    const match = parseMatch(attribute, value);
    if (match !== undefined) matches.push(match);
  }
  if (matches.filter((m) => m.filters.some((f) => f.op !== '=')).length > 1)
    throw bad('only one date range can be matched at once');
  for (const field of query.getAll('includefield').flatMap(splitList)) {
    if (field === 'all') continue;
    if (keywordOfParam(field) === undefined && !/^[0-9A-Fa-f]{8}$/.test(field))
      throw bad(
        `includefield: ${JSON.stringify(field.slice(0, 64))} is not an attribute keyword or tag`,
      );
  }
  const fuzzy = (query.get('fuzzymatching') ?? 'false').toLowerCase();
  if (fuzzy !== 'true' && fuzzy !== 'false') throw bad('fuzzymatching must be true or false');
  return {
    matches,
    limit: intParam(query, 'limit', DEFAULT_QIDO_LIMIT, 1, MAX_QIDO_LIMIT),
    offset: intParam(query, 'offset', 0, 0, 1_000_000),
    fuzzy: fuzzy === 'true',
  };
}

/**
 * The records of `kind` in `collection` matching `query` plus `fixed` filters, after
 * `offset`, at most `limit`.
 */
export async function* searchLevel(
  ctx: Context,
  kind: string,
  collection: string,
  query: QidoQuery,
  fixed: Filter[] = [],
): AsyncGenerator<ModelRecord> {
  const filters = [...fixed, ...query.matches.flatMap((m) => m.filters)];
  const tests = query.matches.flatMap((m) => (m.test ? [m.test] : []));
  const list = query.matches.find((m) => m.uids !== undefined);
  const sources =
    list === undefined
      ? [filters]
      : (list.uids as string[]).map((uid) => [
          ...filters,
          { field: list.attribute.field as string, op: '=' as const, value: uid },
        ]);
  let skipped = 0;
  let given = 0;
  for (const source of sources) {
    for await (const record of recordsOf(ctx.client, kind, collection, source)) {
      if (!tests.every((test) => test(record.data))) continue;
      if (skipped < query.offset) {
        skipped++;
        continue;
      }
      yield record;
      if (++given >= query.limit) return;
    }
  }
}

function jsonValue(attribute: LevelAttribute, value: RecordData[string] | undefined) {
  if (value === undefined || value === null || value === '') return undefined;
  if (attribute.vr === 'PN') return [{ Alphabetic: String(value) }];
  if (attribute.vr === 'CS' && typeof value === 'string') return value.split(/[,\\]/);
  return [value];
}

/** The DICOM JSON of a record at a level; `retrieveUrl` is added as RetrieveURL (0008,1190). */
export function levelJson(
  level: readonly LevelAttribute[],
  data: RecordData,
  retrieveUrl: string | undefined,
): DicomJson {
  const out: DicomJson = {};
  for (const attribute of level) {
    const value = jsonValue(attribute, attribute.field ? data[attribute.field] : undefined);
    out[tagKey(attribute.tag)] =
      value === undefined ? { vr: attribute.vr } : { vr: attribute.vr, Value: value };
  }
  if (retrieveUrl !== undefined) out[tagKey(0x00081190)] = { vr: 'UR', Value: [retrieveUrl] };
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Record kinds of the levels. */
export const LEVEL_KINDS = { study: STUDY_KIND, series: SERIES_KIND, instance: 'Image' } as const;
