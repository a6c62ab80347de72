/**
 * The settings of a run that decide what is stored, besides the key and the recipe: the
 * profile options, the pixel safeguards, the recipe's functions and variables, the fields
 * added to the records and the item level of the aliases. A plan records them, and a shard
 * run with other settings would store its patients differently from the others: it is
 * refused before anything is stored.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SomError, isJsonObject, type FieldValue, type RecordData } from '@som/core';
import { DEFAULT_ITEM_LEVEL, ITEM_LEVELS, type ItemLevel } from '@som/identifiers';
import {
  PIXEL_FILTER_CHOICES,
  PIXEL_TEXT_MODES,
  type PixelFilterChoice,
  type PixelTextMode,
} from '../3-deidentify/settings';
import type { RunOptions } from '../run-options';

/** What a plan records of its run's settings (files by digest, never by content). */
export interface RunSettings {
  /** The profile options given, by name (e.g. `retainUids: true`), in name order. */
  profile: Record<string, boolean>;
  /** The pixel filter choice. */
  pixelFilter: PixelFilterChoice;
  /** The OCR mode, or null for none. */
  pixelText: PixelTextMode | null;
  /** {@link contentDigest} of the recipe's functions module, or null for none. */
  functions: string | null;
  /** {@link contentDigest} of the recipe's variables file, or null for none. */
  variables: string | null;
  /** The fields added to every image record, in name order. */
  metadata: RecordData;
  /** The fields added to every entity record, in name order. */
  entityMetadata: RecordData;
  /** What the items of the aliases are. */
  itemLevel: ItemLevel;
}

/** Where {@link runSettings} takes the settings from: a run's options. */
export interface SettingsSource extends Pick<
  RunOptions,
  'cwd' | 'profile' | 'pixelFilter' | 'pixelText' | 'functions' | 'variables' | 'itemLevel'
> {
  /** Fields added to every image record. */
  metadata?: RecordData;
  /** Fields added to every entity record. */
  entityMetadata?: RecordData;
}

/**
 * The digest of some bytes: `sha256:` and their SHA-256 (hex), or null for none. Shards
 * whose recipe, functions or variables give another digest than the plan's refuse to run.
 */
export function contentDigest(bytes: Buffer | undefined): string | null {
  return bytes === undefined ? null : `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * {@link contentDigest} of the file at `path` (relative to `cwd`), or null for none.
 * @throws SomError InvalidArgument naming `what` when it cannot be read.
 */
export async function fileDigest(
  path: string | undefined,
  cwd: string,
  what: string,
): Promise<string | null> {
  if (path === undefined) return null;
  const absolute = resolve(cwd, path);
  try {
    return contentDigest(await readFile(absolute));
  } catch (err) {
    throw new SomError(
      'InvalidArgument',
      `${what} ${absolute}: ${(err as NodeJS.ErrnoException).code ?? 'cannot be read'}`,
    );
  }
}

/** `record` with its keys in code unit order (so that equal settings print equal). */
function sorted<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The settings of a run with `options` (see the module comment). */
export async function runSettings(options: SettingsSource): Promise<RunSettings> {
  const cwd = options.cwd ?? process.cwd();
  const given = Object.entries(options.profile ?? {}).filter(
    (entry): entry is [string, boolean] => entry[1] !== undefined,
  );
  return {
    profile: sorted(Object.fromEntries(given)),
    pixelFilter: options.pixelFilter ?? 'default',
    pixelText: options.pixelText ?? null,
    functions: await fileDigest(options.functions, cwd, 'the functions module'),
    variables: await fileDigest(options.variables, cwd, 'the variables file'),
    metadata: sorted(options.metadata ?? {}),
    entityMetadata: sorted(options.entityMetadata ?? {}),
    itemLevel: options.itemLevel ?? DEFAULT_ITEM_LEVEL,
  };
}

const isDigest = (value: unknown): value is string | null =>
  value === null || (typeof value === 'string' && /^sha256:[0-9a-f]{64}$/.test(value));

const isFields = (value: unknown): value is RecordData => isJsonObject(value);

/** The settings in `value` (the `settings` field of `plan.json`), or undefined when it holds none. */
export function parseRunSettings(value: unknown): RunSettings | undefined {
  if (!isJsonObject(value)) return undefined;
  const { profile, pixelFilter, pixelText, functions, variables, metadata, entityMetadata } = value;
  const itemLevel = value.itemLevel;
  if (
    !isJsonObject(profile) ||
    !Object.values(profile).every((on) => typeof on === 'boolean') ||
    !PIXEL_FILTER_CHOICES.includes(pixelFilter as PixelFilterChoice) ||
    !(pixelText === null || PIXEL_TEXT_MODES.includes(pixelText as PixelTextMode)) ||
    !isDigest(functions) ||
    !isDigest(variables) ||
    !isFields(metadata) ||
    !isFields(entityMetadata) ||
    !ITEM_LEVELS.includes(itemLevel as ItemLevel)
  )
    return undefined;
  return {
    profile: profile as Record<string, boolean>,
    pixelFilter: pixelFilter as PixelFilterChoice,
    pixelText: pixelText as PixelTextMode | null,
    functions,
    variables,
    metadata,
    entityMetadata,
    itemLevel: itemLevel as ItemLevel,
  };
}

/** How each setting is named in messages: what it is, and the `som` flags that give it. */
const SETTING_NAMES: Readonly<Record<keyof RunSettings, string>> = {
  profile: 'the profile options (--retain, --clean-descriptors)',
  pixelFilter: 'the pixel filter (--pixel-filter)',
  pixelText: 'the OCR of the pixels (--pixel-text)',
  functions: "the recipe's functions (--functions)",
  variables: "the recipe's variables (--vars)",
  metadata: 'the fields added to image records (--metadata)',
  entityMetadata: 'the fields added to entity records (--entity-metadata)',
  itemLevel: 'the item level of the aliases (--item-level)',
};

/** A canonical text of a setting's value, to compare (objects with their keys in order). */
function canonical(value: FieldValue | RecordData): string {
  if (isJsonObject(value))
    return `{${Object.entries(sorted(value))
      .map(([key, inner]) => `${JSON.stringify(key)}:${canonical(inner as FieldValue)}`)
      .join(',')}}`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  return JSON.stringify(value);
}

/**
 * The settings of `shard` that differ from `plan`'s, each named as in messages (what it
 * is, and its flags); empty when they are the same.
 */
export function settingsDifferences(plan: RunSettings, shard: RunSettings): string[] {
  return (Object.keys(SETTING_NAMES) as (keyof RunSettings)[])
    .filter((name) => canonical(plan[name]) !== canonical(shard[name]))
    .map((name) => SETTING_NAMES[name]);
}
