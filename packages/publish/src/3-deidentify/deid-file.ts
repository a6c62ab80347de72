/**
 * The second pass for one file: read it into memory, de-identify it with its aliases (fail
 * closed: any problem is an error and nothing comes out) and either keep the result in
 * memory (`som upload`, which never writes DICOM to disk itself), hashing it when asked, or
 * write it to the output file `som deid` names. Runs in the main thread or in a worker
 * thread (see deid-pool.ts).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SomError, isValidUid, sanitizeUid } from '@som/core';
import {
  checkRecipeVariables,
  defaultRecipe,
  deidentify,
  layerRecipes,
  parseRecipe,
  type DeidAliases,
  type DeidResult,
  type ProfileOptions,
  type Recipe,
} from '@som/dicom';
import type { FileAliasLookup, PseudonymKey } from '@som/identifiers';
import type { ScannedFile } from '../1-scan/scan';
import { fileHolds, writeFileAtomically } from './atomic-file';
import { assembleInPlace, readWithHeadroom } from './in-place';

/** A de-identified file, in memory. */
export interface DeidentifiedFile {
  /** The de-identified Part 10 bytes. */
  bytes: Buffer;
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
 * The recipe of a run: the default PS3.15 profile with `profile`'s options, or the rules of
 * `recipeFile` deciding first with that profile deciding whatever they do not mention.
 * @throws SomError InvalidArgument for a recipe that cannot be read or parsed, or that names
 *   a variable no file can have (before any file is read).
 */
export async function loadRecipe(
  recipeFile: string | undefined,
  profile: ProfileOptions = {},
): Promise<Recipe> {
  const base = defaultRecipe(profile);
  if (recipeFile === undefined) return base;
  const recipe = parseRecipe(await readFile(recipeFile, 'utf8'), recipeFile);
  checkRecipeVariables(recipe);
  return layerRecipes(recipe, base);
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

/** The MD5 of `bytes`, lowercase hex. */
function md5Hex(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** The entity uid of a file with `aliases`: the patient's alias (a valid uid by DASHER's rules). */
export function entityUidOf(aliases: DeidAliases): string {
  return sanitizeUid(aliases.entity.suid);
}

/** What de-identifying a file needs besides the file and its aliases. */
export interface DeidSettings {
  recipe: Recipe;
  /** The key that remaps UIDs. */
  key: PseudonymKey;
}

/** A file de-identified in memory: the de-identifier's result and the names it goes by. */
interface Deidentified {
  /** The file as read (with room in front: see in-place.ts). */
  input: Buffer;
  result: DeidResult;
  entity: string;
  image: string;
  item?: string;
}

/** Read the file at `path` (named `source` in errors) and de-identify it in memory. */
async function deidentifyFile(
  path: string,
  source: string,
  aliases: DeidAliases,
  settings: DeidSettings,
): Promise<Deidentified> {
  let bytes: Buffer;
  try {
    bytes = await readWithHeadroom(path);
  } catch (err) {
    throw new SomError(
      'FailedPrecondition',
      `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      { cause: err },
    );
  }
  const result = deidentify(bytes, {
    source,
    recipe: settings.recipe,
    aliases,
    uidKey: settings.key,
  });
  return {
    input: bytes,
    result,
    entity: entityUidOf(aliases),
    image: isValidUid(result.sopInstanceUid)
      ? result.sopInstanceUid
      : sanitizeUid(result.sopInstanceUid),
    ...(aliases.item ? { item: aliases.item.suid } : {}),
  };
}

/**
 * Read the file at `path` (named `source` in errors) and de-identify it in memory; with
 * `hash`, compute the MD5 of the result too.
 * @throws SomError naming what is wrong (never an original identifier).
 */
export async function deidentifyPath(
  path: string,
  source: string,
  aliases: DeidAliases,
  settings: DeidSettings,
  hash = false,
): Promise<DeidentifiedFile> {
  const { input, result, ...names } = await deidentifyFile(path, source, aliases, settings);
  const { searchable } = result; // read before the input's memory is reused
  const bytes = assembleInPlace(result.parts, input);
  return { bytes, ...(hash ? { md5: md5Hex(bytes) } : {}), searchable, ...names };
}

/** What became of a file de-identified into an output file. */
export interface WrittenOutput {
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
 * atomically from the de-identifier's parts (the pixel data is never copied in memory), or
 * left as it is when it holds the same bytes already. Nothing is written for a file that
 * fails.
 * @throws SomError naming what is wrong (never an original identifier).
 */
export async function deidentifyInto(
  path: string,
  source: string,
  aliases: DeidAliases,
  settings: DeidSettings,
  target: string,
): Promise<WrittenOutput> {
  const { result, entity, image, item } = await deidentifyFile(path, source, aliases, settings);
  const same = await fileHolds(target, result.parts);
  if (!same) await writeFileAtomically(target, result.parts);
  const outcome = same ? 'unchanged' : 'written';
  return { outcome, size: result.byteLength, entity, image, ...(item ? { item } : {}) };
}
