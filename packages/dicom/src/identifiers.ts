/**
 * Identifiers: which patients (entities) and studies or images (items) a set of files holds,
 * as DASHER request bodies, and the aliases of one file in a DASHER response.
 */
import { SomError } from '@som/core';
import {
  DEFAULT_ID_SOURCES,
  type DasherRequest,
  type DasherRequestIdentifier,
  type DasherRequestItem,
  type DasherResponse,
  type DasherResponseItem,
  type FileIdentifiers,
} from '@som/identifiers';
import type { DeidAliases } from './deid/deidentify';
import type { DicomHeader } from './header';

/** What an item is: a study (StudyInstanceUID) or an image (SOPInstanceUID). */
export type ItemLevel = 'study' | 'image';

/** `id_source` of an entity: the file's Patient ID. */
export const ENTITY_ID_SOURCE = DEFAULT_ID_SOURCES.entity;
/** `id_source` of a study item. */
export const STUDY_ID_SOURCE = DEFAULT_ID_SOURCES.study;
/** `id_source` of an image item. */
export const IMAGE_ID_SOURCE = DEFAULT_ID_SOURCES.image;

/** Options of {@link getIdentifiers}. */
export interface IdentifierOptions {
  /** Items are studies (default) or images. */
  readonly itemLevel?: ItemLevel;
}

/** One item (study or image) of an entity. */
export interface ItemIdentifiers {
  /** StudyInstanceUID or SOPInstanceUID. */
  readonly id: string;
  /** {@link STUDY_ID_SOURCE} or {@link IMAGE_ID_SOURCE}. */
  readonly idSource: string;
  /** ISO 8601 timestamp of the study (StudyDate and StudyTime) or image (ContentDate and ContentTime). */
  readonly timestamp: string | undefined;
  /** Other identifying fields (DASHER `custom_fields`), from the first file of the item. */
  readonly fields: Readonly<Record<string, string>>;
  /** The files of the item. */
  readonly sources: string[];
}

/** One entity (patient). */
export interface EntityIdentifiers {
  /** The Patient ID. */
  readonly id: string;
  /** {@link ENTITY_ID_SOURCE}. */
  readonly idSource: string;
  /** ISO 8601 birth date, if known. */
  readonly timestamp: string | undefined;
  /** Other identifying fields (DASHER `custom_fields`), from the entity's first file. */
  readonly fields: Readonly<Record<string, string>>;
  /** The items, by id. */
  readonly items: Map<string, ItemIdentifiers>;
}

/** A file whose identifiers could not be read. */
export interface IdentifierFailure {
  /** The file. */
  readonly source: string;
  /** Why. */
  readonly error: SomError;
}

/** The identifiers of a set of files. */
export interface Identifiers {
  /** What the items are. */
  readonly itemLevel: ItemLevel;
  /** The entities, by Patient ID. */
  readonly entities: Map<string, EntityIdentifiers>;
  /** Files without the identifiers needed (e.g. no Patient ID); the others are not affected. */
  readonly failures: IdentifierFailure[];
}

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

/** The entity id and item id of one file. */
export function identifiersOf(
  header: DicomHeader,
  itemLevel: ItemLevel = 'study',
): { entityId: string; itemId: string } {
  return {
    entityId: required(header, 'PatientID'),
    itemId: required(header, itemLevel === 'study' ? 'StudyInstanceUID' : 'SOPInstanceUID'),
  };
}

/**
 * Group the identifiers of `files` by entity (Patient ID) and item (StudyInstanceUID, or
 * SOPInstanceUID with `itemLevel: 'image'`). A file without them is a failure of that file.
 */
export function getIdentifiers(
  files: Iterable<{ source: string; header: DicomHeader }>,
  options: IdentifierOptions = {},
): Identifiers {
  const itemLevel = options.itemLevel ?? 'study';
  const entities = new Map<string, EntityIdentifiers>();
  const failures: IdentifierFailure[] = [];
  for (const { source, header } of files) {
    let ids: { entityId: string; itemId: string };
    try {
      ids = identifiersOf(header, itemLevel);
    } catch (err) {
      failures.push({ source, error: err as SomError });
      continue;
    }
    let entity = entities.get(ids.entityId);
    const details = entity?.items.has(ids.itemId) ? undefined : fileIdentifiersOf(header);
    if (!entity) {
      entity = {
        id: ids.entityId,
        idSource: ENTITY_ID_SOURCE,
        timestamp: details?.entity?.timestamp,
        fields: details?.entity?.fields ?? {},
        items: new Map(),
      };
      entities.set(ids.entityId, entity);
    }
    let item = entity.items.get(ids.itemId);
    if (!item) {
      const itemDetails = itemLevel === 'study' ? details?.study : details?.image;
      item = {
        id: ids.itemId,
        idSource: itemLevel === 'study' ? STUDY_ID_SOURCE : IMAGE_ID_SOURCE,
        timestamp: itemDetails?.timestamp,
        fields: itemDetails?.fields ?? {},
        sources: [],
      };
      entity.items.set(ids.itemId, item);
    }
    item.sources.push(source);
  }
  return { itemLevel, entities, failures };
}

/** Options of {@link toDasherRequest}. */
export interface DasherRequestOptions {
  /** Items of one entity per request, 1 to 1,000 (DASHER's limit, the default). */
  readonly maxItemsPerRequest?: number;
}

function requestItem(x: {
  id: string;
  idSource: string;
  timestamp: string | undefined;
  fields: Readonly<Record<string, string>>;
}): DasherRequestItem {
  return {
    id: x.id,
    id_source: x.idSource,
    ...(x.timestamp ? { id_timestamp: x.timestamp } : {}),
    custom_fields: { ...x.fields },
  };
}

/**
 * DASHER request bodies for `identifiers`: every entity with its items, at most
 * `maxItemsPerRequest` items of an entity per body; an entity with more items continues
 * in the next bodies. Entities and items are in id order.
 */
export function toDasherRequest(
  identifiers: Identifiers,
  options: DasherRequestOptions = {},
): DasherRequest[] {
  const max = options.maxItemsPerRequest ?? 1000;
  if (!Number.isInteger(max) || max < 1 || max > 1000) {
    throw new SomError(
      'InvalidArgument',
      `maxItemsPerRequest must be a whole number from 1 to 1000, got ${max}`,
    );
  }
  const requests: DasherRequest[] = [];
  const entities = [...identifiers.entities.values()].sort((a, b) => compare(a.id, b.id));
  for (const entity of entities) {
    const items = [...entity.items.values()].sort((a, b) => compare(a.id, b.id));
    for (let chunk = 0; chunk * max < items.length; chunk++) {
      const identifier: DasherRequestIdentifier = {
        ...requestItem(entity),
        items: items.slice(chunk * max, (chunk + 1) * max).map(requestItem),
      };
      (requests[chunk] ??= { identifiers: [] }).identifiers.push(identifier);
    }
  }
  return requests;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The aliases of the file of `header` in a DASHER response: the result of its entity (by
 * Patient ID) and, when the response has it, the item of its study (or image). A file whose
 * entity has no result is a SomError NotFound (it cannot be de-identified).
 */
export function aliasesFor(
  response: DasherResponse,
  header: DicomHeader,
  itemLevel: ItemLevel = 'study',
): DeidAliases {
  const { entityId, itemId } = identifiersOf(header, itemLevel);
  const entity = response.results.find((r) => r.id === entityId);
  if (!entity)
    throw new SomError(
      'NotFound',
      `${header.source}: the aliases have no entity for this file's Patient ID`,
    );
  const source = itemLevel === 'study' ? STUDY_ID_SOURCE : IMAGE_ID_SOURCE;
  const items = entity.items ?? [];
  const item: DasherResponseItem | undefined =
    items.find((i) => i.id === itemId && i.id_source === source) ??
    items.find((i) => i.id === itemId);
  return item ? { entity, item } : { entity };
}
