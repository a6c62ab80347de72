/**
 * What `som upload` and `som deid` do before the second pass: load the recipe (failing
 * fast on a bad one), run the first pass over the inputs, and get the aliases.
 */
import type { AliasSource } from '@som/identifiers';
import { fsObjectRoot, type SomConfig } from './config/types';
import { scanInputs, type Scan } from './1-scan/scan';
import { aliasTable, runKey, type Log } from './2-aliases/aliases';
import { loadRecipe } from './3-deidentify/deid-file';
import { startDeidentifier, workerCount, type Deidentifier } from './3-deidentify/deid-pool';
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

/** The first pass's result and what de-identifies its files (close it when done). */
export interface PreparedRun {
  scan: Scan;
  deidentifier: Deidentifier;
}

/** Where som keeps its own data (directories and the key file): never walked as input. */
export function dataDirectories(config: SomConfig): string[] {
  const root = fsObjectRoot(config);
  return [config.dataDir, config.keyFile, ...(root !== undefined ? [root] : [])];
}

/** Recipe, first pass, key and aliases, in that order. */
export async function prepareRun(
  inputs: readonly string[],
  config: SomConfig,
  log: Log,
  report: Report,
  options: PrepareOptions,
): Promise<PreparedRun> {
  const recipe = await loadRecipe(config.recipe);
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
  const init = { ...worker, ...(config.recipe !== undefined ? { recipeFile: config.recipe } : {}) };
  return { scan, deidentifier: startDeidentifier(aliases, { recipe, key }, init, threads) };
}
