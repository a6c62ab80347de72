/**
 * The three sources of configuration, each read into a {@link ConfigLayer}: the
 * configuration file, the `SOM_*` environment and the command-line flags. Problems are
 * collected (one readable sentence each), never thrown one at a time.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isJsonObject, parseJson } from '@som/core';
import { dasherSecretsPathFromEnv } from '@som/identifiers';
import { CONFIG_FILE_NAME, type ConfigFlags, type DasherSettings } from './types';

/** Store settings as one source gives them (a bare type is `{type}`). */
export type StoreLayer = Record<string, unknown>;

/** What one source sets. Paths are absolute (relative ones resolved against the source's base). */
export interface ConfigLayer {
  /** Names the source in messages: the file path, `the environment` or `the command line`. */
  origin: string;
  objectStore?: StoreLayer;
  /** Names the setting that gave `objectStore`, e.g. `SOM_OBJECT_STORE`. */
  objectStoreOrigin?: string;
  metadataStore?: StoreLayer;
  /** Names the setting that gave `metadataStore`. */
  metadataStoreOrigin?: string;
  dataDir?: string;
  keyFile?: string;
  secret?: string;
  concurrency?: unknown;
  recipe?: string;
  dasher?: Partial<DasherSettings>;
}

/** Store settings that name files or directories: resolved against the source's base directory. */
const PATH_SETTINGS = new Set(['root', 'path', 'keyFilename']);

const FILE_SETTINGS = new Set([
  'objectStore',
  'metadataStore',
  'dataDir',
  'keyFile',
  'concurrency',
  'recipe',
  'dasher',
]);
const DASHER_SETTINGS = new Set(['url', 'study', 'secretsFile']);

function absolute(base: string, path: string): string {
  return isAbsolute(path) ? path : resolve(base, path);
}

/** Store settings from a type name or a JSON object given as text. */
function storeFromText(
  text: string,
  what: string,
  base: string,
  problems: string[],
): StoreLayer | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) {
    if (trimmed === '') {
      problems.push(`${what} is empty: give a store type or a JSON object`);
      return undefined;
    }
    return { type: trimmed };
  }
  try {
    return storeFromJson(parseJson(trimmed, what), what, base, problems);
  } catch (err) {
    problems.push((err as Error).message);
    return undefined;
  }
}

/** Store settings from parsed JSON (a type name or an object). */
function storeFromJson(
  value: unknown,
  what: string,
  base: string,
  problems: string[],
): StoreLayer | undefined {
  if (typeof value === 'string') return storeFromText(value, what, base, problems);
  if (!isJsonObject(value)) {
    problems.push(`${what} must be a store type or an object with a "type"`);
    return undefined;
  }
  const out: StoreLayer = {};
  for (const [name, setting] of Object.entries(value)) {
    out[name] =
      PATH_SETTINGS.has(name) && typeof setting === 'string' && setting !== ':memory:'
        ? absolute(base, setting)
        : setting;
  }
  return out;
}

/** A string setting, or a problem. */
function stringSetting(value: unknown, what: string, problems: string[]): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value.trim() !== '') return value;
  problems.push(`${what} must be a non-empty string`);
  return undefined;
}

function dasherFromJson(
  value: unknown,
  where: string,
  base: string,
  problems: string[],
): Partial<DasherSettings> | undefined {
  if (!isJsonObject(value)) {
    problems.push(
      `${where} "dasher" must be an object with "study", "secretsFile" and optionally "url"`,
    );
    return undefined;
  }
  const out: Partial<DasherSettings> = {};
  for (const name of Object.keys(value)) {
    if (!DASHER_SETTINGS.has(name))
      problems.push(
        `${where}: unknown setting "dasher.${name}" (known: ${[...DASHER_SETTINGS].join(', ')})`,
      );
  }
  const url = stringSetting(value.url, `${where} "dasher.url"`, problems);
  const study = stringSetting(value.study, `${where} "dasher.study"`, problems);
  const secretsFile = stringSetting(value.secretsFile, `${where} "dasher.secretsFile"`, problems);
  if (url !== undefined) out.url = url;
  if (study !== undefined) out.study = study;
  if (secretsFile !== undefined) out.secretsFile = absolute(base, secretsFile);
  return out;
}

/**
 * The configuration file: `explicit` (from `--config` or `SOM_CONFIG`, must exist), else
 * `som.config.json` in `cwd` when present. Relative paths in it are relative to the file.
 */
export function fileLayer(
  cwd: string,
  explicit: string | undefined,
  problems: string[],
): ConfigLayer | undefined {
  const path = absolute(cwd, explicit ?? CONFIG_FILE_NAME);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && explicit === undefined) return undefined;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES'
          ? 'cannot be read (permission denied)'
          : code === 'EISDIR'
            ? 'is a directory'
            : `cannot be read (${code})`;
    problems.push(`configuration file ${path} ${why}`);
    return undefined;
  }
  let json: unknown;
  try {
    json = parseJson(text, `configuration file ${path}`);
  } catch (err) {
    problems.push((err as Error).message);
    return undefined;
  }
  if (!isJsonObject(json)) {
    problems.push(`configuration file ${path} must hold a JSON object`);
    return undefined;
  }
  const base = dirname(path);
  const layer: ConfigLayer = { origin: path };
  for (const name of Object.keys(json)) {
    if (name === 'secret')
      problems.push(
        `${path}: "secret" does not belong in a file that may be shared; use "keyFile", SOM_SECRET or --secret`,
      );
    else if (!FILE_SETTINGS.has(name) && !name.startsWith('$'))
      problems.push(`${path}: unknown setting "${name}" (known: ${[...FILE_SETTINGS].join(', ')})`);
  }
  for (const store of ['objectStore', 'metadataStore'] as const) {
    if (json[store] === undefined) continue;
    const settings = storeFromJson(json[store], `${path} "${store}"`, base, problems);
    if (settings !== undefined) {
      layer[store] = settings;
      layer[`${store}Origin`] = path;
    }
  }
  const dataDir = stringSetting(json.dataDir, `${path} "dataDir"`, problems);
  const keyFile = stringSetting(json.keyFile, `${path} "keyFile"`, problems);
  const recipe = stringSetting(json.recipe, `${path} "recipe"`, problems);
  if (dataDir !== undefined) layer.dataDir = absolute(base, dataDir);
  if (keyFile !== undefined) layer.keyFile = absolute(base, keyFile);
  if (recipe !== undefined) layer.recipe = absolute(base, recipe);
  if (json.concurrency !== undefined) layer.concurrency = json.concurrency;
  if (json.dasher !== undefined) {
    const dasher = dasherFromJson(json.dasher, path, base, problems);
    if (dasher !== undefined) layer.dasher = dasher;
  }
  return layer;
}

/** A non-empty environment variable, or undefined. */
function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** The `SOM_*` environment variables (see ENVIRONMENT); relative paths are relative to `cwd`. */
export function envLayer(cwd: string, env: NodeJS.ProcessEnv, problems: string[]): ConfigLayer {
  const layer: ConfigLayer = { origin: 'the environment' };
  for (const [store, name] of [
    ['objectStore', 'SOM_OBJECT_STORE'],
    ['metadataStore', 'SOM_METADATA_STORE'],
  ] as const) {
    const text = envValue(env, name);
    const settings = text === undefined ? undefined : storeFromText(text, name, cwd, problems);
    if (settings !== undefined) {
      layer[store] = settings;
      layer[`${store}Origin`] = name;
    }
  }
  const dataDir = envValue(env, 'SOM_DATA_DIR');
  const keyFile = envValue(env, 'SOM_KEY_FILE');
  const recipe = envValue(env, 'SOM_RECIPE');
  const secret = envValue(env, 'SOM_SECRET');
  const concurrency = envValue(env, 'SOM_CONCURRENCY');
  if (dataDir !== undefined) layer.dataDir = absolute(cwd, dataDir);
  if (keyFile !== undefined) layer.keyFile = absolute(cwd, keyFile);
  if (recipe !== undefined) layer.recipe = absolute(cwd, recipe);
  if (secret !== undefined) layer.secret = secret;
  if (concurrency !== undefined) layer.concurrency = concurrency;
  const url = envValue(env, 'SOM_DASHER_URL');
  const study = envValue(env, 'SOM_DASHER_STUDY');
  const secretsFile = dasherSecretsPathFromEnv(env);
  if (url !== undefined || study !== undefined) {
    layer.dasher = { ...(url ? { url } : {}), ...(study ? { study } : {}) };
  }
  if (secretsFile !== undefined)
    layer.dasher = { ...layer.dasher, secretsFile: absolute(cwd, secretsFile) };
  return layer;
}

/** The configuration flags; relative paths are relative to `cwd`. */
export function flagLayer(cwd: string, flags: ConfigFlags, problems: string[]): ConfigLayer {
  const layer: ConfigLayer = { origin: 'the command line' };
  for (const [store, flag] of [
    ['objectStore', '--object-store'],
    ['metadataStore', '--metadata-store'],
  ] as const) {
    const given = flags[store];
    const settings =
      given === undefined
        ? undefined
        : typeof given === 'string'
          ? storeFromText(given, flag, cwd, problems)
          : storeFromJson(given, flag, cwd, problems);
    if (settings !== undefined) {
      layer[store] = settings;
      layer[`${store}Origin`] = flag;
    }
  }
  if (flags.dataDir !== undefined) layer.dataDir = absolute(cwd, flags.dataDir);
  if (flags.recipe !== undefined) layer.recipe = absolute(cwd, flags.recipe);
  if (flags.secret !== undefined) layer.secret = flags.secret;
  if (flags.concurrency !== undefined) layer.concurrency = flags.concurrency;
  return layer;
}
