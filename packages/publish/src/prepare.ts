/**
 * What `som upload` and `som deid` do before the second pass, in order: load the recipe,
 * its functions and variables (failing fast, before any input is read or anything made,
 * on a bad one or on a name the recipe uses that none of them gives), run the first pass
 * over the inputs, then (only when they hold DICOM files) get the key and the aliases and
 * start the de-identifier. A caller may open its stores between the last two steps.
 */
import { DEFAULT_ITEM_LEVEL, type AliasSourceKind, type SecretKey } from '@som/identifiers';
import { localStorePaths } from './adapters';
import type { SomConfig } from './config/types';
import { scanInputs, type Scan } from './1-scan/scan';
import { aliasLookup, runKey, type Log } from './2-aliases/aliases';
import { startDeidentifier, workerCount, type Deidentifier } from './3-deidentify/deid-pool';
import {
  checkRecipeReferences,
  checkTesseract,
  loadRecipeSettings,
  type DeidChoices,
  type RecipeSettings,
} from './3-deidentify/settings';
import { DEID_REPORT_NAME, type Report } from './5-summarise/report';
import type { RunOptions } from './run-options';

/**
 * Options of {@link scanRun}: the run's (`itemLevel`, `entitySource`, `itemSource` make the
 * DASHER request) and the pass's own.
 */
export interface ScanRunOptions extends Pick<
  RunOptions,
  'itemLevel' | 'entitySource' | 'itemSource'
> {
  /** The working directory. */
  cwd: string;
  /** Directories not to walk into. */
  exclude?: readonly string[];
  /** Stop starting files when aborted. */
  signal: AbortSignal;
}

/**
 * Options of {@link startRun}: the run's (where the aliases come from) and the start's own.
 */
export interface StartRunOptions extends Pick<RunOptions, 'ids' | 'aliases' | 'itemLevel'> {
  /** Create the key file when missing (false for dry runs). */
  createKey: boolean;
  /** The main thread has work of its own (uploads): one de-identification thread fewer. */
  mainThreadBusy: boolean;
  /** The environment (for `SOM_WORKERS`). */
  env: NodeJS.ProcessEnv;
}

/** What de-identifies the files of a run (close it when done), with its key and aliases' source. */
export interface StartedRun {
  deidentifier: Deidentifier;
  /** The key that makes the local aliases and remaps UIDs. */
  key: SecretKey;
  /** Where the aliases came from. */
  aliasSource: AliasSourceKind;
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

/**
 * Load the recipe of the configuration and what `deid` names besides (functions,
 * variables, profile options), check that the recipe names nothing they lack and that OCR
 * can run when asked, and say the recipe's warnings: all before any input is read.
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

/** Where som keeps its own data (directories and the key file): never walked as input. */
export function dataDirectories(config: SomConfig): string[] {
  const local = localStorePaths(config);
  return [config.dataDir, config.keyFile, ...local.objectStore, ...local.metadataStore];
}

/**
 * The first pass over `inputs` (folders `som deid` wrote are skipped). When they hold no
 * DICOM file the run should stop there (no key file is created for a typo in a path), and
 * the report says so (`noDicomFiles`) unless there were no inputs at all.
 */
export async function scanRun(
  inputs: readonly string[],
  config: SomConfig,
  report: Report,
  options: ScanRunOptions,
): Promise<Scan> {
  const scan = await scanInputs(
    inputs,
    {
      cwd: options.cwd,
      concurrency: config.concurrency,
      signal: options.signal,
      exclude: [...(options.exclude ?? []), ...dataDirectories(config)],
      skipDirectoriesHolding: DEID_REPORT_NAME,
      request: {
        itemLevel: options.itemLevel ?? DEFAULT_ITEM_LEVEL,
        ...(options.entitySource !== undefined ? { entitySource: options.entitySource } : {}),
        ...(options.itemSource !== undefined ? { itemSource: options.itemSource } : {}),
      },
    },
    report,
  );
  // Inputs without DICOM files are a mistake; no inputs (an empty shard) are nothing to do.
  if (scan.files.length === 0 && inputs.length > 0 && !options.signal.aborted)
    report.noDicomFiles = true;
  return scan;
}

/** The key, the aliases of the scanned files, and a de-identifier with the `loaded` settings. */
export async function startRun(
  scan: Scan,
  loaded: LoadedSettings,
  config: SomConfig,
  log: Log,
  options: StartRunOptions,
): Promise<StartedRun> {
  const { key, origin, worker } = await runKey(config, log, options.createKey);
  if (!options.createKey && origin !== config.keyFile && config.secret === undefined) {
    log(
      `som: no key file ${config.keyFile} yet: this dry run uses a temporary key, so its aliases are not the ones a real run gives`,
    );
  }
  const { lookup, aliasSource } = await aliasLookup(scan.request, scan.files, config, key, log, {
    ...(options.ids !== undefined ? { idsFile: options.ids } : {}),
    ...(options.aliases !== undefined ? { source: options.aliases } : {}),
    ...(options.itemLevel !== undefined ? { itemLevel: options.itemLevel } : {}),
    requestLevel: options.itemLevel ?? DEFAULT_ITEM_LEVEL,
  });
  const threads = workerCount(
    options.env,
    config.concurrency,
    scan.files.length,
    options.mainThreadBusy,
  );
  const { settings, choices } = loaded;
  const deidentifier = startDeidentifier(
    lookup,
    { ...settings, key },
    { ...worker, ...choices },
    threads,
  );
  return { deidentifier, key, aliasSource };
}
