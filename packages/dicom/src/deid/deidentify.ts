/**
 * `deidentify`: one DICOM file in memory in, the de-identified Part 10 file out, or a
 * SomError and nothing.
 */
import { deflateRawSync } from 'node:zlib';
import { SomError, errorKind } from '@som/core';
import type { DasherResponseItem, DasherResponseResult, PseudonymKey } from '@som/identifiers';
import { DicomHeader } from '../header';
import { parseDicom, type ParsedDicom } from '../reader';
import { compileRecipe } from '../recipe/compile';
import { RECIPE_VARIABLES, type Recipe, type RecipeFunction } from '../recipe/types';
import { Tags } from '../tags';
import { remapUidValues } from '../uids';
import { identifyingValues, type IdentifyingValues } from '../validate/leaks';
import { validatePlan } from '../validate/structure';
import { writeDataset } from '../writer';
import type { PixelFilter, PixelRegion } from '../pixels/filter-types';
import { applyPixelStep, type PixelCleaning, pixelStep } from '../pixels/step';
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
  /**
   * The aliases of the file's patient and study, or a function that picks them from the
   * file's header (e.g. by `fileIdentifiersOf(h)` in a `FileAliasLookup`), which saves
   * parsing the file twice.
   */
  readonly aliases: DeidAliases | ((header: DicomHeader) => DeidAliases);
  /** The key of UID remapping (the same key gives the same UIDs in every run). */
  readonly uidKey: PseudonymKey;
  /** Functions for `func:<name>`. */
  readonly functions?: Readonly<Record<string, RecipeFunction>>;
  /** More variables for `var:<name>` (the alias variables cannot be overridden). */
  readonly variables?: Readonly<Record<string, string | number>>;
  /** Variable names a recipe may use although this file has no value for them (the rules decline), e.g. `RecipeVariableTable.names`. */
  readonly variableNames?: readonly string[];
  /**
   * The pixel filter that screens the file for burned-in identity (see `DEFAULT_PIXEL_FILTER`);
   * undefined: the recipe's own `%filter` sections, if it has any; null: no screening.
   */
  readonly pixelFilter?: PixelFilter | null;
  /** Regions to blank in every frame besides the filter's (e.g. text found by OCR). */
  readonly redactRegions?: readonly PixelRegion[];
}

/** The result of {@link deidentify}. */
export interface DeidResult {
  /** The de-identified Part 10 file (assembled on first read: writers may write {@link parts} instead). */
  readonly bytes: Buffer;
  /**
   * The file as consecutive parts (the pixel data is a slice of the input, not a copy):
   * writing them in order, e.g. with `FileHandle.writev`, writes {@link bytes} without copying.
   */
  readonly parts: readonly Buffer[];
  /** The length of the file in bytes. */
  readonly byteLength: number;
  /** The header of the output (for its searchable fields). */
  readonly header: DicomHeader;
  /** The searchable fields of the output (never of the original). */
  readonly searchable: Record<string, string | number>;
  /** The output's SOP Instance UID (remapped unless the recipe keeps UIDs). */
  readonly sopInstanceUid: string;
  /** What was blanked in the pixel data; absent when the pixel data is the input's, byte for byte. */
  readonly pixelCleaning?: PixelCleaning;
  /**
   * The origins (`my.recipe line 12`) of the recipe rules whose field selected something in
   * this file (rules of parsed recipes, not the default profile's), for {@link SelectorTally}.
   */
  readonly matchedRules: readonly string[];
}

/** The 128-byte preamble (zeros: the input's may hold anything) and `DICM`. */
const PREFIX = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1')]);

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
    if (err instanceof SomError) throw err;
    // Not one of this package's errors (a bug): its message is not shown, as it may quote a value.
    throw new SomError(
      'Internal',
      `${options.source}: de-identification failed: an internal error (${errorKind(err)})`,
      { cause: err },
    );
  }
}

function run(bytes: Buffer, options: DeidOptions): DeidResult {
  // The input's parse is garbage once written: the output's parse never adds to it.
  const written = write(bytes, options);
  const output = readBack(written.head, options.source);
  written.identifying.scan(output);
  return new DeidOutput(
    written.parts,
    new DicomHeader(output),
    written.sopInstanceUid,
    written.matchedRules,
    written.pixelCleaning,
  );
}

/** A file written but not yet checked. */
interface Written {
  /** The file as consecutive parts. */
  readonly parts: readonly Buffer[];
  /** The first part: everything before the top-level pixel data, or the whole file. */
  readonly head: Buffer;
  /** The input's identifying values, to search the output for. */
  readonly identifying: IdentifyingValues;
  /** The output's SOP Instance UID. */
  readonly sopInstanceUid: string;
  /** See {@link DeidResult.matchedRules}. */
  readonly matchedRules: readonly string[];
  /** See {@link DeidResult.pixelCleaning}. */
  readonly pixelCleaning: PixelCleaning | undefined;
}

/** Parse, plan, validate and write one file. */
function write(bytes: Buffer, options: DeidOptions): Written {
  const { source } = options;
  const parsed = parseDicom(bytes, source);
  checkSupported(parsed);
  const header = new DicomHeader(parsed);
  const aliases = typeof options.aliases === 'function' ? options.aliases(header) : options.aliases;
  const { variables, known } = aliasVariables(options, aliases);
  const engine = new Engine(compileRecipe(options.recipe), {
    source,
    header,
    variables,
    knownVariables: known,
    functions: options.functions ?? {},
    uidKey: options.uidKey,
  });
  const pixels = pixelStep(
    parsed,
    header,
    options.pixelFilter === null ? undefined : (options.pixelFilter ?? options.recipe.pixelFilter),
    options.redactRegions,
  );
  const plans = engine.planTopLevel(parsed.dataset);
  if (pixels) applyPixelStep(plans, pixels);
  validatePlan(plans, parsed);
  const jitter = variables.jitter;
  const identifying = identifyingValues(parsed, plans, {
    jitter: typeof jitter === 'number' ? jitter : undefined,
    recipe: options.recipe,
    variables,
  });

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
  const meta = buildMeta({ sopClassUid, sopInstanceUid, transferSyntaxUid: syntax.uid });
  // Everything before the top-level pixel data is assembled and read back (the output's
  // header, and a check that it reads); the pixel data is handed on as a slice of the input.
  // Deflated files, and files with elements after the pixel data, are read back whole.
  const split = plans.findIndex((p) => p.op === 'copy' && p.element.tag === Tags.PixelData);
  const fast = !syntax.deflated && split >= 0 && split === plans.length - 1;
  const body = writeDataset(fast ? plans.slice(0, split) : plans, parsed.dataset);
  const headBody = syntax.deflated
    ? [deflateRawSync(Buffer.concat(body.parts, body.length))]
    : body.parts;
  const head = Buffer.concat([PREFIX, meta, ...headBody]);
  const pixelPlan = plans[split];
  // The pixel data as a slice of the input, whatever its size (callers may assemble the
  // output in the input's memory: see DeidResult.parts).
  const tail =
    fast && pixelPlan?.op === 'copy'
      ? [parsed.dataset.buffer.subarray(pixelPlan.element.offset, pixelPlan.element.end)]
      : [];
  const parts = [head, ...tail];
  return {
    parts,
    head,
    identifying,
    sopInstanceUid,
    matchedRules: [...engine.matched].map((r) => r.origin),
    pixelCleaning: pixels?.cleaning,
  };
}

/** Parse what was written; a failure is a bug of this package, reported as Internal. */
function readBack(bytes: Buffer, source: string): ParsedDicom {
  try {
    return parseDicom(bytes, source);
  } catch (err) {
    throw new SomError(
      'Internal',
      `${source}: the de-identified output does not read back: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/** A {@link DeidResult} whose bytes and searchable fields are computed on first read. */
class DeidOutput implements DeidResult {
  readonly byteLength: number;
  private assembled: Buffer | undefined;
  private fields: Record<string, string | number> | undefined;

  constructor(
    readonly parts: readonly Buffer[],
    readonly header: DicomHeader,
    readonly sopInstanceUid: string,
    readonly matchedRules: readonly string[],
    readonly pixelCleaning: PixelCleaning | undefined,
  ) {
    this.byteLength = parts.reduce((n, p) => n + p.length, 0);
  }

  get searchable(): Record<string, string | number> {
    this.fields ??= searchableFields(this.header);
    return this.fields;
  }

  get bytes(): Buffer {
    this.assembled ??=
      this.parts.length === 1 && this.parts[0]
        ? this.parts[0]
        : Buffer.concat(this.parts, this.byteLength);
    return this.assembled;
  }
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
function aliasVariables(
  options: DeidOptions,
  aliases: DeidAliases,
): {
  variables: Record<string, string | number>;
  known: Set<string>;
} {
  const { entity, item } = aliases;
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
    known: new Set([
      ...RECIPE_VARIABLES,
      ...Object.keys(options.variables ?? {}),
      ...(options.variableNames ?? []),
    ]),
  };
}
