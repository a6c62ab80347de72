/**
 * Which aliases de-identify a file: its patient's result in an alias table and, when one
 * of that patient's items identifies the file, that item. Errors name the response and an
 * item's position in it, never an original identifier, so they can be a file's failure
 * reason in a report.
 */
import { SomError } from '@som/core';
import type { AliasTable, EntityAlias, ItemAlias } from './alias-table';
import {
  fileKeyAt,
  ITEM_LEVEL_ATTRIBUTES,
  ITEM_LEVELS,
  itemLevelOfSource,
  type FileKeys,
  type ItemLevel,
} from './file-keys';

/** The aliases of one file. */
export interface FileAliases {
  /** Its patient's aliases: suid, jitter, jittered_timestamp. */
  readonly entity: EntityAlias;
  /**
   * The item that identifies the file (its jitter is the item's own, else the entity's);
   * absent when none of the patient's items does: the file then takes the entity's alias
   * and jitter only.
   */
  readonly item?: ItemAlias;
  /** Which of the file's identifiers the item matched; absent with the item. */
  readonly matchedBy?: ItemLevel;
}

/** Options of {@link FileAliasLookup}. */
export interface FileAliasLookupOptions {
  /**
   * What items whose `id_source` names no level identify, e.g. the level of the request
   * the response answers. Without it such items are matched by trying the file's
   * AccessionNumber, StudyInstanceUID and SOPInstanceUID in turn.
   */
  readonly itemLevel?: ItemLevel;
}

/** One item of an entity, as the lookup sees it. */
interface Candidate {
  readonly alias: ItemAlias;
  /** Where the item is in the response: `results[i].items[j]`, counting from 0. */
  readonly position: string;
  /** What it identifies; undefined when its `id_source` does not say (matched by value). */
  readonly level: ItemLevel | undefined;
}

interface EntityCandidates {
  readonly entity: EntityAlias;
  /** The entity's items by id. */
  readonly items: ReadonlyMap<string, Candidate>;
}

const describeAttributes = (levels: readonly ItemLevel[]): string =>
  levels.map((level) => ITEM_LEVEL_ATTRIBUTES[level]).join(' of some files and the ');

/**
 * An item whose `id_source` does not say what it identifies and whose id is one kind of
 * identifier (say the AccessionNumber) of some files and another (say the
 * StudyInstanceUID) of others: which files it identifies is ambiguous, so the files it
 * would match fail. Code InvalidArgument. The message names the response and the item's
 * position in it, never its id.
 */
export class AmbiguousItemError extends SomError {
  /** The response (a file path or a service URL). */
  readonly source: string;
  /** The item's position in the response: `results[i].items[j]`, counting from 0. */
  readonly position: string;
  /** The kinds of identifier its id is of different files, in matching order. */
  readonly levels: readonly ItemLevel[];

  /**
   * @param source the response.
   * @param position the item's position in it.
   * @param levels the kinds of identifier its id matched (at least two).
   */
  constructor(source: string, position: string, levels: readonly ItemLevel[]) {
    super(
      'InvalidArgument',
      `ambiguous item ${position} in ${source}: its id is the ${describeAttributes(levels)} of others; name what it identifies in its id_source (e.g. "DCM Accession #" or "DICOM StudyInstanceUID")`,
    );
    this.name = 'AmbiguousItemError';
    this.source = source;
    this.position = position;
    this.levels = [...levels];
  }
}

/** True when every set in `sets` holds the same members. */
function allEqual(sets: readonly ReadonlySet<number>[]): boolean {
  const [first, ...rest] = sets;
  return rest.every((set) => set.size === first?.size && [...set].every((n) => first.has(n)));
}

/**
 * Finds the aliases of files in an {@link AliasTable}.
 *
 * A file belongs to the result whose id is its PatientID. Its item is the first, trying
 * the file's AccessionNumber, StudyInstanceUID and SOPInstanceUID in that order, that one
 * of the patient's items identifies: an item whose `id_source` names a level (see
 * {@link itemLevelOfSource}) identifies the file when its id equals the file's identifier
 * of that level; any other item when its id equals any of them. Ids are compared exactly,
 * the file's values without DICOM padding.
 *
 * The files are given up front so that an ambiguous item (see {@link AmbiguousItemError})
 * is known before the first file is looked up.
 */
export class FileAliasLookup {
  readonly #source: string;
  readonly #entities = new Map<string, EntityCandidates>();
  readonly #ambiguous = new Map<Candidate, AmbiguousItemError>();

  /**
   * @param table the aliases.
   * @param files every file that will be looked up (only their identifiers are read).
   * @param options see {@link FileAliasLookupOptions}.
   */
  constructor(table: AliasTable, files: Iterable<FileKeys>, options: FileAliasLookupOptions = {}) {
    this.#source = table.source;
    table.entityIds().forEach((entityId, resultIndex) => {
      const entity = table.entity(entityId);
      const items = new Map<string, Candidate>();
      entity.items.forEach((item, itemIndex) => {
        items.set(item.id, {
          alias: table.item(entityId, item.id),
          position: `results[${resultIndex}].items[${itemIndex}]`,
          level: itemLevelOfSource(item.id_source) ?? options.itemLevel,
        });
      });
      this.#entities.set(entityId, { entity, items });
    });
    this.#findAmbiguities(files);
  }

  /** One error per ambiguous item, in the order they were found (each names the item's position). */
  get ambiguities(): readonly AmbiguousItemError[] {
    return [...this.#ambiguous.values()];
  }

  /**
   * The aliases of `file`.
   * @throws SomError NotFound when the table has no result for the file's patient;
   *   {@link AmbiguousItemError} when the item that matches it is ambiguous. Neither
   *   message holds an original identifier.
   */
  aliasesOf(file: FileKeys): FileAliases {
    const candidates = this.#entities.get(file.entityId);
    if (candidates === undefined) {
      throw new SomError('NotFound', `${this.#source} has no alias for the patient of this file`);
    }
    for (const level of ITEM_LEVELS) {
      const key = fileKeyAt(file, level);
      const candidate = key === undefined ? undefined : candidates.items.get(key);
      if (candidate === undefined || (candidate.level ?? level) !== level) continue;
      const ambiguity = this.#ambiguous.get(candidate);
      if (ambiguity !== undefined) throw ambiguity;
      return { entity: candidates.entity, item: candidate.alias, matchedBy: level };
    }
    return { entity: candidates.entity };
  }

  /** Record, for every item that names no level, which files each kind of identifier matches. */
  #findAmbiguities(files: Iterable<FileKeys>): void {
    const matches = new Map<Candidate, Map<ItemLevel, Set<number>>>();
    let index = 0;
    for (const file of files) {
      const candidates = this.#entities.get(file.entityId);
      for (const level of ITEM_LEVELS) {
        const key = fileKeyAt(file, level);
        const candidate = key === undefined ? undefined : candidates?.items.get(key);
        if (candidate === undefined || candidate.level !== undefined) continue;
        const byLevel = matches.get(candidate) ?? new Map<ItemLevel, Set<number>>();
        matches.set(candidate, byLevel);
        const fileSet = byLevel.get(level) ?? new Set<number>();
        byLevel.set(level, fileSet.add(index));
      }
      index += 1;
    }
    // Reading the id as one kind or another must give the same files, else it is ambiguous.
    for (const [candidate, byLevel] of matches) {
      if (byLevel.size > 1 && !allEqual([...byLevel.values()])) {
        const levels = ITEM_LEVELS.filter((level) => byLevel.has(level));
        this.#ambiguous.set(
          candidate,
          new AmbiguousItemError(this.#source, candidate.position, levels),
        );
      }
    }
  }
}
