/**
 * The second pass for one file: read it into memory (a large one only around its pixel
 * data, see around-pixels.ts), de-identify it with its aliases (fail closed: any problem is
 * an error and nothing comes out; a file whose pixels may show identity is quarantined),
 * and either hand the result on (`som upload`, which never writes DICOM to disk itself),
 * hashing it when asked, or write it to the output file `som deid` names. Runs in the main
 * thread or in a worker thread (see deid-pool.ts).
 */
import { SomError, isValidUid, md5Hex, sanitizeUid } from '@som/core';
import {
  PixelsNeededError,
  deidentify,
  findBurnedInText,
  readDicomHeader,
  textQuarantine,
  textRegions,
  variablesFor,
  type DeidAliases,
  type DeidOptions,
  type DeidResult,
  type PixelCleaning,
} from '@som/dicom';
import type { FileAliasLookup } from '@som/identifiers';
import type { ScannedFile } from '../1-scan/scan';
import { fileHolds, writeFileAtomically } from './atomic-file';
import { STREAM_FROM_BYTES, readAroundPixels } from './around-pixels';
import {
  MAX_FILE_BYTES_IN_MEMORY,
  assembleInPlace,
  closeSource,
  openSource,
  readWithHeadroom,
  tooLargeForMemory,
} from './in-place';
import { md5OfParts, partsLength, type OutputPart } from './output-parts';
import type { DeidSettings } from './settings';

/** What de-identifying a file tells besides its bytes: for the report and the recipe's tally. */
export interface DeidNotes {
  /** The recipe rules that selected something in the file (`DeidResult.matchedRules`). */
  matchedRules: readonly string[];
  /** What was blanked in its pixel data; absent when its pixel data is the input's, byte for byte. */
  pixelCleaning?: PixelCleaning;
}

/** A de-identified file: in memory, or as parts (its pixel data a span of the source file). */
export interface DeidentifiedFile extends DeidNotes {
  /** The de-identified Part 10 bytes, when they are held in memory. */
  bytes?: Buffer;
  /** Else the parts to write in order (see output-parts.ts). */
  parts?: readonly OutputPart[];
  /** Bytes of the de-identified file. */
  size: number;
  /** Their MD5, lowercase hex, when {@link deidentifyPath} was asked for it. */
  md5?: string;
  /** Searchable fields of the de-identified header. */
  searchable: Record<string, string | number>;
  /** The entity uid: the patient's alias. */
  entity: string;
  /** The image uid: the (remapped) SOP Instance UID. */
  image: string;
  /** The alias of the file's item (accession, study or image); absent when it has none. */
  item?: string;
}

/**
 * The aliases of `file` in `lookup`: its patient's, and its item's when one of the
 * patient's items identifies it.
 * @throws SomError naming the response, never an original identifier: NotFound when the
 *   patient has no result, InvalidArgument when the item that matches is ambiguous.
 */
export function aliasesOf(file: ScannedFile, lookup: FileAliasLookup): DeidAliases {
  const { entity, item } = lookup.aliasesOf(file);
  return { entity: { ...entity, items: [...entity.items] }, ...(item ? { item } : {}) };
}

/** The entity uid of a file with `aliases`: the patient's alias (a valid uid by DASHER's rules). */
export function entityUidOf(aliases: DeidAliases): string {
  return sanitizeUid(aliases.entity.suid);
}

/** A file de-identified: the de-identifier's result and the names it goes by. */
interface Deidentified {
  /** The file as read (with room in front: see in-place.ts), when it was read whole. */
  input?: Buffer;
  /** The output's parts: the result's, its pixel data a span of the file when it was not read whole. */
  parts: readonly OutputPart[];
  result: DeidResult;
  entity: string;
  image: string;
  item?: string;
}

/** The options of `deidentify` for a file of `bytes` named `source`, besides its aliases. */
function deidOptions(
  bytes: Buffer,
  source: string,
  settings: DeidSettings,
): Omit<DeidOptions, 'aliases'> {
  const { variables, functions, pixelFilter } = settings;
  return {
    source,
    recipe: settings.recipe,
    uidKey: settings.key,
    ...(functions !== undefined ? { functions } : {}),
    // A file's variables come from its rows of the table: by its path and its PatientID.
    ...(variables !== undefined
      ? {
          variables: variablesFor(variables, {
            path: source,
            header: readDicomHeader(bytes, source),
          }),
          variableNames: variables.names,
        }
      : {}),
    ...(pixelFilter !== undefined ? { pixelFilter } : {}),
  };
}

/**
 * De-identify `bytes`, then, when the settings ask for OCR, look for text in the pixels the
 * output would have (after the filter's cleaning): `detect` quarantines a file with text,
 * `redact` de-identifies it again with the text boxes blanked too.
 * @throws QuarantineError (of @som/dicom) for a file that must not be written.
 */
async function deidentifyBytes(
  bytes: Buffer,
  source: string,
  aliases: DeidAliases,
  settings: DeidSettings,
  pixelsElsewhere = false,
): Promise<DeidResult> {
  const options = { ...deidOptions(bytes, source, settings), aliases, pixelsElsewhere };
  const result = deidentify(bytes, options);
  if (settings.pixelText === undefined) return result;
  const found = await findBurnedInText(result.bytes, source);
  if (found.boxes.length === 0) return result;
  if (settings.pixelText === 'detect') throw textQuarantine(source, found);
  return deidentify(bytes, { ...options, redactRegions: textRegions(found.boxes) });
}

/** The error of a file that cannot be read. */
function unreadable(err: unknown): SomError {
  if (err instanceof SomError) return err;
  return new SomError(
    'FailedPrecondition',
    `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    { cause: err },
  );
}

/** The names of a file de-identified with `aliases` into `result`. */
function namesOf(
  aliases: DeidAliases,
  result: DeidResult,
): Pick<Deidentified, 'entity' | 'image' | 'item'> {
  return {
    entity: entityUidOf(aliases),
    image: isValidUid(result.sopInstanceUid)
      ? result.sopInstanceUid
      : sanitizeUid(result.sopInstanceUid),
    ...(aliases.item ? { item: aliases.item.suid } : {}),
  };
}

/**
 * De-identify the file at `path` (named `source` in errors) around its pixel data, or say
 * why it cannot be.
 */
async function deidentifyAroundPixels(
  path: string,
  source: string,
  aliases: DeidAliases,
  settings: DeidSettings,
): Promise<Deidentified | string> {
  // OCR reads the pixels themselves.
  if (settings.pixelText !== undefined) return 'looking for text in its pixels';
  const around = await readAroundPixels(path, source).catch((err: unknown) => {
    throw unreadable(err);
  });
  if ('notStreamable' in around) return around.notStreamable;
  let result: DeidResult;
  try {
    result = await deidentifyBytes(around.standIn, source, aliases, settings, true);
  } catch (err) {
    if (err instanceof PixelsNeededError) return 'its pixels must be cleaned';
    throw err;
  }
  // The stand-in must have been copied as it is: then the real element goes in its place.
  const at = result.pixelDataPart;
  const copied = at === undefined ? undefined : result.parts[at];
  const { standInElement: expected } = around;
  if (
    at === undefined ||
    copied === undefined ||
    copied.buffer !== expected.buffer ||
    copied.byteOffset !== expected.byteOffset ||
    copied.length !== expected.length
  )
    return 'its pixel data is not kept as it is';
  const parts = result.parts.map((part, i) => (i === at ? around.pixelData : part));
  return { parts, result, ...namesOf(aliases, result) };
}

/**
 * De-identify the file at `path` (named `source` in errors): a large one around its pixel
 * data when it can be, else in memory, unless it is larger than that allows.
 */
async function deidentifyFile(
  path: string,
  source: string,
  aliases: DeidAliases,
  settings: DeidSettings,
): Promise<Deidentified> {
  const file = await openSource(path).catch((err: unknown) => {
    throw unreadable(err);
  });
  let bytes: Buffer;
  try {
    const { size } = file;
    if (size >= (settings.streamFromBytes ?? STREAM_FROM_BYTES)) {
      const streamed = await deidentifyAroundPixels(path, source, aliases, settings);
      if (typeof streamed !== 'string') return streamed;
      if (size > MAX_FILE_BYTES_IN_MEMORY)
        throw tooLargeForMemory(size, MAX_FILE_BYTES_IN_MEMORY, ` (${streamed})`);
    }
    bytes = await readWithHeadroom(file).catch((err: unknown) => {
      throw unreadable(err);
    });
  } finally {
    await closeSource(file).catch(() => undefined); // read only: nothing to lose
  }
  const result = await deidentifyBytes(bytes, source, aliases, settings);
  return { input: bytes, parts: result.parts, result, ...namesOf(aliases, result) };
}

/** The notes of a result. */
function notesOf(result: DeidResult): DeidNotes {
  return {
    matchedRules: [...result.matchedRules],
    ...(result.pixelCleaning !== undefined ? { pixelCleaning: result.pixelCleaning } : {}),
  };
}

/**
 * Read the file at `path` (named `source` in errors) and de-identify it (a large file around
 * its pixel data, which stays on disk); with `hash`, compute the MD5 of the result too.
 * @throws SomError naming what is wrong (never an original identifier).
 */
export async function deidentifyPath(
  path: string,
  source: string,
  aliases: DeidAliases,
  settings: DeidSettings,
  hash = false,
): Promise<DeidentifiedFile> {
  const { input, parts, result, ...names } = await deidentifyFile(path, source, aliases, settings);
  const { searchable } = result; // read before the input's memory is reused
  const notes = { searchable, ...names, ...notesOf(result) };
  if (input === undefined)
    return {
      parts,
      size: partsLength(parts),
      ...(hash ? { md5: await md5OfParts(parts) } : {}),
      ...notes,
    };
  const bytes = assembleInPlace(result.parts, input);
  return { bytes, size: bytes.length, ...(hash ? { md5: md5Hex(bytes) } : {}), ...notes };
}

/** What became of a file de-identified into an output file. */
export interface WrittenOutput extends DeidNotes {
  /** `unchanged` when the output file held the same bytes already. */
  outcome: 'written' | 'unchanged';
  /** Bytes of the output. */
  size: number;
  /** The entity uid: the patient's alias. */
  entity: string;
  /** The image uid: the (remapped) SOP Instance UID. */
  image: string;
  /** The alias of the file's item; absent when it has none. */
  item?: string;
}

/**
 * De-identify the file at `path` (named `source` in errors) into the file `target`: written
 * atomically from the de-identifier's parts (the pixel data is never copied in memory, and
 * a large file's is copied from its file a window at a time) by
 * way of the temporary file `temp` (default: a new name beside it), or left as it is when
 * it holds the same bytes already. Nothing is written for a file that fails.
 * @throws SomError naming what is wrong (never an original identifier).
 */
export async function deidentifyInto(
  path: string,
  source: string,
  aliases: DeidAliases,
  settings: DeidSettings,
  target: string,
  temp?: string,
): Promise<WrittenOutput> {
  const { parts, result, entity, image, item } = await deidentifyFile(
    path,
    source,
    aliases,
    settings,
  );
  const same = await fileHolds(target, parts);
  if (!same) await writeFileAtomically(target, parts, undefined, temp);
  return {
    outcome: same ? 'unchanged' : 'written',
    size: partsLength(parts),
    entity,
    image,
    ...(item !== undefined ? { item } : {}),
    ...notesOf(result),
  };
}
