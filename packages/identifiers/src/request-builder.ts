/**
 * Building the DASHER request for a set of files: one identifier per patient, with one item
 * per accession, study or image, and the `id_source` strings the DASHER deployment expects.
 */
import { SomError } from '@som/core';
import {
  fileKeyAt,
  itemLevelOfSource,
  ITEM_LEVELS,
  type FileKeys,
  type ItemLevel,
} from './file-keys';
import { normaliseDasherRequest } from './request';
import type { CustomFields, DasherRequest, DasherRequestItem } from './types';

/** The `id_source` of entities and of each item level when none is configured. */
export const DEFAULT_ID_SOURCES: Readonly<{ entity: string } & Record<ItemLevel, string>> =
  Object.freeze({
    entity: 'DICOM PatientID',
    accession: 'DICOM AccessionNumber',
    study: 'DICOM StudyInstanceUID',
    image: 'DICOM SOPInstanceUID',
  });

/** The item level when none is configured: one item per study. */
export const DEFAULT_ITEM_LEVEL: ItemLevel = 'study';

/** The longest `id_source` accepted. */
const MAX_SOURCE_LENGTH = 128;

/** The timestamp and extra fields sent with an entity or item. */
export interface IdentifierDetails {
  /** An ISO 8601 timestamp (the birth date of a patient, the date and time of a study or image). */
  readonly timestamp?: string;
  /** Extra fields (DASHER `custom_fields`). */
  readonly fields?: CustomFields;
}

/** A file's identifiers and what a request sends with them. */
export interface FileIdentifiers extends FileKeys {
  /** Sent with the patient. */
  readonly entity?: IdentifierDetails;
  /** Sent with the file's accession or study item. */
  readonly study?: IdentifierDetails;
  /** Sent with the file's image item. */
  readonly image?: IdentifierDetails;
}

/** Options of {@link DasherRequestBuilder}. */
export interface DasherRequestBuilderOptions {
  /** What the items are; default {@link DEFAULT_ITEM_LEVEL}. */
  readonly itemLevel?: ItemLevel;
  /** The entities' `id_source`, e.g. `Stanford MRN`; default `DICOM PatientID`. */
  readonly entitySource?: string;
  /**
   * The items' `id_source`, e.g. `DCM Accession #`; default the DICOM attribute of the
   * level. It must not name another level (see {@link itemLevelOfSource}).
   */
  readonly itemSource?: string;
}

interface EntityEntry {
  readonly details: IdentifierDetails | undefined;
  readonly items: Map<string, IdentifierDetails | undefined>;
}

function checkSource(value: string, what: string): string {
  const source = value.trim();
  if (source === '' || source.length > MAX_SOURCE_LENGTH) {
    throw new SomError(
      'InvalidArgument',
      `the ${what} id_source must be 1-${MAX_SOURCE_LENGTH} characters, not ${JSON.stringify(value.slice(0, MAX_SOURCE_LENGTH + 1))}`,
    );
  }
  return source;
}

function requestItem(
  id: string,
  idSource: string,
  details: IdentifierDetails | undefined,
): DasherRequestItem {
  const item: DasherRequestItem = { id, id_source: idSource };
  if (details?.timestamp !== undefined && details.timestamp !== '')
    item.id_timestamp = details.timestamp;
  if (details?.fields !== undefined && Object.keys(details.fields).length > 0)
    item.custom_fields = { ...details.fields };
  return item;
}

const byId = <T>(entries: Iterable<[string, T]>): [string, T][] =>
  [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * Gathers the identifiers of files, one file at a time, into one DASHER request: an
 * identifier per patient (PatientID), each with an item per accession number, study or
 * image the files have at the item level. A file without an identifier at that level (say
 * no AccessionNumber) adds its patient only. The first file of a patient or item decides
 * its timestamp and extra fields. Only these small strings are kept.
 */
export class DasherRequestBuilder {
  /** What the items are. */
  readonly itemLevel: ItemLevel;
  /** The entities' `id_source`. */
  readonly entitySource: string;
  /** The items' `id_source`. */
  readonly itemSource: string;
  readonly #entities = new Map<string, EntityEntry>();

  /**
   * @throws SomError InvalidArgument for an unknown item level, an empty or overlong
   *   source, or an item source naming another level than the item level.
   */
  constructor(options: DasherRequestBuilderOptions = {}) {
    const level = options.itemLevel ?? DEFAULT_ITEM_LEVEL;
    if (!ITEM_LEVELS.includes(level)) {
      throw new SomError(
        'InvalidArgument',
        `unknown item level ${JSON.stringify(level)}: use ${ITEM_LEVELS.join(', ')}`,
      );
    }
    this.itemLevel = level;
    this.entitySource = checkSource(options.entitySource ?? DEFAULT_ID_SOURCES.entity, 'entity');
    this.itemSource = checkSource(options.itemSource ?? DEFAULT_ID_SOURCES[level], 'item');
    const named = itemLevelOfSource(this.itemSource);
    if (named !== undefined && named !== level) {
      // The answer would be matched to files by the level the source names, not by this one.
      throw new SomError(
        'InvalidArgument',
        `the item id_source ${JSON.stringify(this.itemSource)} names ${named} items but the item level is ${level}`,
      );
    }
  }

  /**
   * Add one file.
   * @throws SomError InvalidArgument when the file has no entity id (PatientID).
   */
  add(file: FileIdentifiers): void {
    if (file.entityId.trim() === '') {
      throw new SomError('InvalidArgument', 'a file without a PatientID cannot be requested');
    }
    let entity = this.#entities.get(file.entityId);
    if (entity === undefined) {
      entity = { details: file.entity, items: new Map() };
      this.#entities.set(file.entityId, entity);
    }
    const itemId = fileKeyAt(file, this.itemLevel);
    if (itemId !== undefined && !entity.items.has(itemId)) {
      entity.items.set(itemId, this.itemLevel === 'image' ? file.image : file.study);
    }
  }

  /**
   * The request for every file added: entities and their items in id order (the DASHER
   * client splits it into batches DASHER accepts).
   */
  request(): DasherRequest {
    return normaliseDasherRequest({
      identifiers: byId(this.#entities).map(([id, entity]) => ({
        ...requestItem(id, this.entitySource, entity.details),
        items: byId(entity.items).map(([itemId, details]) =>
          requestItem(itemId, this.itemSource, details),
        ),
      })),
    });
  }
}
