/**
 * `deidentify`: one DICOM file in memory in, the de-identified Part 10 file out, or a
 * SomError and nothing.
 */
import { deflateRawSync } from 'node:zlib';
import { SomError, toSomError } from '@som/core';
import type { DasherResponseItem, DasherResponseResult, PseudonymKey } from '@som/identifiers';
import { DicomHeader } from '../header';
import { parseDicom, type ParsedDicom } from '../reader';
import { compileRecipe } from '../recipe/compile';
import { RECIPE_VARIABLES, type Recipe, type RecipeFunction } from '../recipe/types';
import { Tags } from '../tags';
import { remapUidValues } from '../uids';
import { writeDataset } from '../writer';
import { Engine } from './engine';
import { buildMeta } from './meta';
import { searchableFields } from './searchable';

/** The aliases of the file's entity (patient) and, when known, of its item (study or image). */
export interface DeidAliases {
  /** The entity's DASHER result: `suid` is `var:entity_id`, `jitter` the days dates move. */
  readonly entity: DasherResponseResult;
  /** The item's DASHER result: `suid` is `var:item_id`; its `jitter`, if any, wins over the entity's. */
  readonly item?: DasherResponseItem;
}

/** Options of {@link deidentify}. */
export interface DeidOptions {
  /** The file name, for messages. */
  readonly source: string;
  /** The recipe, e.g. `defaultRecipe({})` or a parsed recipe layered over it. */
  readonly recipe: Recipe;
  /** The aliases of the file's patient and study. */
  readonly aliases: DeidAliases;
  /** The key of UID remapping (the same key gives the same UIDs in every run). */
  readonly uidKey: PseudonymKey;
  /** Functions for `func:<name>`. */
  readonly functions?: Readonly<Record<string, RecipeFunction>>;
  /** More variables for `var:<name>` (the alias variables cannot be overridden). */
  readonly variables?: Readonly<Record<string, string | number>>;
}

/** The result of {@link deidentify}. */
export interface DeidResult {
  /** The de-identified Part 10 file. */
  readonly bytes: Buffer;
  /** The header of the output (for its searchable fields). */
  readonly header: DicomHeader;
  /** The searchable fields of the output (never of the original). */
  readonly searchable: Record<string, string | number>;
  /** The output's SOP Instance UID (remapped unless the recipe keeps UIDs). */
  readonly sopInstanceUid: string;
}

/** The Media Storage Directory Storage SOP Class (DICOMDIR). */
const MEDIA_STORAGE_DIRECTORY = '1.2.840.10008.1.3.10';

/**
 * De-identify one DICOM file held in memory with `options.recipe`. Fails closed: anything
 * that cannot be de-identified with certainty (a malformed file, a value the recipe cannot
 * compute or write, an output that does not read back) is a SomError naming the file, and
 * nothing is returned.
 */
export function deidentify(bytes: Buffer, options: DeidOptions): DeidResult {
  try {
    return run(bytes, options);
  } catch (err) {
    throw toSomError(err, `${options.source}: de-identification failed`);
  }
}

function run(bytes: Buffer, options: DeidOptions): DeidResult {
  const { source } = options;
  const parsed = parseDicom(bytes, source);
  checkSupported(parsed);
  const header = new DicomHeader(parsed);
  const { variables, known } = aliasVariables(options);
  const engine = new Engine(compileRecipe(options.recipe), {
    source,
    header,
    variables,
    knownVariables: known,
    functions: options.functions ?? {},
    uidKey: options.uidKey,
  });
  const plans = engine.planTopLevel(parsed.dataset);
  const dataset = writeDataset(plans, parsed.dataset);

  const metaClass = header.string(Tags.MediaStorageSOPClassUID);
  const metaInstance = header.string(Tags.MediaStorageSOPInstanceUID);
  const sopClassUid = engine.planned.sopClassUid || metaClass;
  const sopInstanceUid =
    engine.planned.sopInstanceUid ||
    (metaInstance ? remapUidValues(options.uidKey, metaInstance) : '');
  if (!sopClassUid || !sopInstanceUid) {
    throw new SomError(
      'InvalidArgument',
      `${source}: no SOP Class and SOP Instance UID, cannot write a Part 10 file`,
    );
  }
  const syntax = parsed.transferSyntax;
  const out = Buffer.concat([
    Buffer.alloc(128),
    Buffer.from('DICM', 'latin1'),
    buildMeta({ sopClassUid, sopInstanceUid, transferSyntaxUid: syntax.uid }),
    syntax.deflated ? deflateRawSync(dataset) : dataset,
  ]);

  let written: ParsedDicom;
  try {
    written = parseDicom(out, source);
  } catch (err) {
    throw new SomError(
      'Internal',
      `${source}: the de-identified output does not read back: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const outHeader = new DicomHeader(written);
  return { bytes: out, header: outHeader, searchable: searchableFields(outHeader), sopInstanceUid };
}

/** Files this writer refuses, with the reason. */
function checkSupported(parsed: ParsedDicom): void {
  const { source, meta, dataset, transferSyntax } = parsed;
  const mediaClass = meta.string(Tags.MediaStorageSOPClassUID);
  if (
    mediaClass === MEDIA_STORAGE_DIRECTORY ||
    dataset.string(Tags.SOPClassUID) === MEDIA_STORAGE_DIRECTORY
  ) {
    throw new SomError(
      'InvalidArgument',
      `${source}: a DICOMDIR (media storage directory) is not de-identified: its record offsets would break; ` +
        'de-identify the files it lists and build a new directory',
    );
  }
  const pixels = dataset.get(Tags.PixelData);
  if (pixels?.encapsulated && !transferSyntax.explicitVr) {
    throw new SomError(
      'InvalidArgument',
      `${source}: encapsulated (compressed) pixel data in an implicit VR data set: no transfer syntax describes this file`,
    );
  }
}

/** The `var:` variables of the aliases and the caller, and the names a recipe may use. */
function aliasVariables(options: DeidOptions): {
  variables: Record<string, string | number>;
  known: Set<string>;
} {
  const { entity, item } = options.aliases;
  const variables: Record<string, string | number> = {};
  const set = (name: string, value: string | number | undefined): void => {
    if (value !== undefined && value !== '') variables[name] = value;
  };
  for (const [name, value] of Object.entries(options.variables ?? {})) {
    if ((RECIPE_VARIABLES as readonly string[]).includes(name)) {
      throw new SomError(
        'InvalidArgument',
        `${options.source}: the variable ${name} comes from the aliases`,
      );
    }
    set(name, value);
  }
  set('entity_id', entity.suid);
  set('item_id', item?.suid);
  // A jitter is a whole number of days; anything else means no jitter (dates are removed).
  set(
    'jitter',
    [item?.jitter, entity.jitter].find((j) => Number.isInteger(j)),
  );
  set('entity_timestamp', entity.jittered_timestamp);
  set('item_timestamp', item?.jittered_timestamp);
  return {
    variables,
    known: new Set([...RECIPE_VARIABLES, ...Object.keys(options.variables ?? {})]),
  };
}
