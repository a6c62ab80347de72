/**
 * The second pass for one file: read it into memory, look up its aliases and de-identify
 * it (fail closed: any problem is an error and nothing comes out). Never writes to disk.
 */
import { readFile } from 'node:fs/promises';
import { SomError, isValidUid, sanitizeUid } from '@som/core';
import { defaultRecipe, deidentify, layerRecipes, parseRecipe, type Recipe } from '@som/dicom';
import type { AliasTable, SecretKey } from '@som/identifiers';
import type { ScannedFile } from './scan';

/** Everything de-identification needs besides the file. */
export interface DeidContext {
  /** The recipe (the default profile, or a recipe file layered over it). */
  recipe: Recipe;
  /** The aliases of every patient and study of the run. */
  aliases: AliasTable;
  /** The key that remaps UIDs. */
  key: SecretKey;
}

/** A de-identified file, in memory. */
export interface DeidentifiedFile {
  /** The de-identified Part 10 bytes. */
  bytes: Buffer;
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

/** De-identify `file` in memory. @throws SomError naming what is wrong (never an original identifier). */
export async function deidentifyFile(file: ScannedFile, context: DeidContext): Promise<DeidentifiedFile> {
  const { aliases } = context;
  if (!aliases.hasEntity(file.entityId)) throw new SomError('NotFound', `${aliases.source} has no alias for the patient of this file`);
  if (!aliases.hasItem(file.entityId, file.itemId)) throw new SomError('NotFound', `${aliases.source} has no alias for the study of this file`);
  const entity = aliases.entity(file.entityId);
  const item = aliases.item(file.entityId, file.itemId);
  let bytes: Buffer;
  try {
    bytes = await readFile(file.absolute);
  } catch (err) {
    throw new SomError('FailedPrecondition', `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  const result = deidentify(bytes, {
    source: file.path,
    recipe: context.recipe,
    aliases: { entity: { ...entity, items: [...entity.items] }, item },
    uidKey: context.key,
  });
  return {
    bytes: result.bytes,
    searchable: result.searchable,
    entity: sanitizeUid(entity.suid),
    image: isValidUid(result.sopInstanceUid) ? result.sopInstanceUid : sanitizeUid(result.sopInstanceUid),
    item: item.suid,
  };
}
