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
  defaultRecipe,
  deidentify,
  layerRecipes,
  parseRecipe,
  type DeidAliases,
  type DeidResult,
  type Recipe,
} from '@som/dicom';
import type { AliasTable, PseudonymKey } from '@som/identifiers';
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
  /** The alias of the file's study. */
  item: string;
}

/**
 * The recipe of a run: the default PS3.15 profile, or the rules of `recipeFile` deciding
 * first with the default profile deciding whatever they do not mention.
 */
export async function loadRecipe(recipeFile: string | undefined): Promise<Recipe> {
  const profile = defaultRecipe({});
  if (recipeFile === undefined) return profile;
  return layerRecipes(parseRecipe(await readFile(recipeFile, 'utf8'), recipeFile), profile);
}

/**
 * The aliases of `file` in `table`.
 * @throws SomError NotFound naming the table, never the original identifier.
 */
export function aliasesOf(file: ScannedFile, table: AliasTable): DeidAliases {
  if (!table.hasEntity(file.entityId))
    throw new SomError('NotFound', `${table.source} has no alias for the patient of this file`);
  if (!table.hasItem(file.entityId, file.itemId))
    throw new SomError('NotFound', `${table.source} has no alias for the study of this file`);
  const entity = table.entity(file.entityId);
  return {
    entity: { ...entity, items: [...entity.items] },
    item: table.item(file.entityId, file.itemId),
  };
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
  item: string;
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
    item: aliases.item?.suid ?? '',
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
  /** The alias of the file's study. */
  item: string;
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
  return { outcome: same ? 'unchanged' : 'written', size: result.byteLength, entity, image, item };
}
