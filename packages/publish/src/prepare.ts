/**
 * What `som upload` and `som deid` do before the second pass: load the recipe, its
 * functions and variables (failing fast, before any input is read, on a bad one or on a
 * name the recipe uses that none of them gives), run the first pass over the inputs, and
 * get the aliases.
 */
import type { AliasSource } from '@som/identifiers';
import { localStorePaths } from './adapters';
import type { SomConfig } from './config/types';
import { scanInputs, type Scan } from './1-scan/scan';
import { aliasTable, runKey, type Log } from './2-aliases/aliases';
import { startDeidentifier, workerCount, type Deidentifier } from './3-deidentify/deid-pool';
import {
  checkRecipeReferences,
  checkTesseract,
  loadRecipeSettings,
  type DeidChoices,
  type RecipeSettings,
} from './3-deidentify/settings';
import type { Report } from './5-summarise/report';

/** Options of {@link prepareRun}. */
export interface PrepareOptions {
  /** The working directory. */
  cwd: string;
  /** A `--ids` DASHER response file. */
  ids?: string;
  /** Where aliases come from without `ids` (default: the configured DASHER service or the local pseudonymiser). */
  aliases?: AliasSource;
  /** Create the key file when missing (false for dry runs). */
  createKey: boolean;
  /** The main thread has work of its own (uploads): one de-identification thread fewer. */
  mainThreadBusy: boolean;
  /** Directories not to walk into. */
  exclude?: readonly string[];
  /** Stop starting files when aborted. */
  signal: AbortSignal;
  /** The environment (for `SOM_WORKERS`). */
  env: NodeJS.ProcessEnv;
}

/** The de-identification settings of a run, loaded and checked (see {@link loadSettings}). */
export interface LoadedSettings {
  /** The choices they were loaded from (for the worker threads). */
  choices: DeidChoices;
  /** The settings. */
  settings: RecipeSettings;
  /** The recipe's warnings (lines that do nothing), said once when loaded. */
  recipeWarnings: readonly string[];
}

/** The first pass's result and what de-identifies its files (close it when done). */
export interface PreparedRun {
  scan: Scan;
  deidentifier: Deidentifier;
}

/** Where som keeps its own data (directories and the key file): never walked as input. */
export function dataDirectories(config: SomConfig): string[] {
  const local = localStorePaths(config);
  return [config.dataDir, config.keyFile, ...local.objectStore, ...local.metadataStore];
}

/**
 * Load the recipe of the configuration and what `deid` names besides (functions,
 * variables), check that the recipe names nothing they lack and that OCR can run when
 * asked, and say the recipe's warnings: all before any input is read.
 * @throws SomError InvalidArgument for a bad recipe, functions module or variables file;
 *   FailedPrecondition when OCR is asked and tesseract is missing.
 */
export async function loadSettings(
  config: SomConfig,
  deid: Omit<DeidChoices, 'recipeFile'>,
  log: Log,
): Promise<LoadedSettings> {
  const choices: DeidChoices = {
    ...deid,
    ...(config.recipe !== undefined ? { recipeFile: config.recipe } : {}),
  };
  const settings = await loadRecipeSettings(choices);
  checkRecipeReferences(settings);
  if (choices.pixelText !== undefined) await checkTesseract();
  const recipeWarnings = settings.recipe.warnings ?? [];
  for (const warning of recipeWarnings) log(`som: warning: ${warning}`);
  return { choices, settings, recipeWarnings };
}

/** First pass, key and aliases, in that order, for the settings `loaded`. */
export async function prepareRun(
  inputs: readonly string[],
  config: SomConfig,
  loaded: LoadedSettings,
  log: Log,
  report: Report,
  options: PrepareOptions,
): Promise<PreparedRun> {
  const exclude = [...(options.exclude ?? []), ...dataDirectories(config)];
  const scan = await scanInputs(
    inputs,
    { cwd: options.cwd, concurrency: config.concurrency, signal: options.signal, exclude },
    report,
  );
  // No key file is created for a run with nothing to de-identify (a typo in a path).
  const createKey = options.createKey && scan.files.length > 0;
  const { key, origin, worker } = await runKey(config, log, createKey);
  if (!options.createKey && origin !== config.keyFile && config.secret === undefined) {
    log(
      `som: no key file ${config.keyFile} yet: this dry run uses a temporary key, so its aliases are not the ones a real run gives`,
    );
  }
  const aliases = await aliasTable(scan.request, config, key, log, options.ids, options.aliases);
  const threads = workerCount(
    options.env,
    config.concurrency,
    scan.files.length,
    options.mainThreadBusy,
  );
  const { settings, choices } = loaded;
  return {
    scan,
    deidentifier: startDeidentifier(
      aliases,
      { ...settings, key },
      { ...worker, ...choices },
      threads,
    ),
  };
}
