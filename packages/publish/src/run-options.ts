/**
 * What {@link publish} and {@link deidentifyTree} share: where their settings come from
 * (the configuration of the working directory, or of the client, with explicit options
 * over it) and the callbacks that tell the caller how the run goes.
 */
import { resolve } from 'node:path';
import { SomError, type Client } from '@som/core';
import type { AliasSource } from '@som/identifiers';
import { loadConfig } from './config/load';
import { SecretValue } from './config/secret-value';
import { MAX_CONCURRENCY, type SomConfig } from './config/types';
import type { ScannedFile } from './1-scan/scan';
import { configOf } from './open-client';
import type { FileReport, ReportSink } from './5-summarise/report';

/** Options of a run over files. */
export interface RunOptions {
  /**
   * The configuration (key file, recipe, DASHER, concurrency). Default: the one the client
   * was opened with by `openClient`, else `som.config.json` / `SOM_*` of `cwd`.
   */
  config?: SomConfig;
  /** The working directory: relative paths, `som.config.json` and `./som-data` (default `process.cwd()`). */
  cwd?: string;
  /** The environment (default `process.env`): `SOM_*`, and `SOM_WORKERS` for the threads. */
  env?: NodeJS.ProcessEnv;
  /** The pseudonymisation key itself (default: the configuration's, else its key file, created on first use). */
  secret?: string;
  /** A deid recipe file whose rules decide before the default PS3.15 profile. */
  recipe?: string;
  /** A DASHER response file with the aliases. */
  ids?: string;
  /** Where aliases come from without `ids` (default: the configured DASHER service, else the local pseudonymiser). */
  aliases?: AliasSource;
  /** Files processed at once (default: the configuration's, 8). */
  concurrency?: number;
  /** Stop starting files when aborted; files in flight finish, the others are reported `interrupted`. */
  signal?: AbortSignal;
  /** Called with every input file's outcome as it is known. */
  onFile?: (entry: FileReport) => void;
  /** Called once the inputs are read, with the files and bytes the run goes on to process. */
  onStart?: (totals: { files: number; bytes: number }) => void;
  /** Called as each file to process is done (whatever its outcome), with its size. */
  onProgress?: (bytes: number) => void;
  /** Messages for the person running, e.g. that a key file was created. */
  onMessage?: (text: string) => void;
}

/** The configuration of a run: the caller's, the client's or the working directory's, with the options over it. */
export function runConfig(options: RunOptions, client?: Client): SomConfig {
  const cwd = options.cwd ?? process.cwd();
  const base =
    options.config ??
    (client !== undefined ? configOf(client) : undefined) ??
    loadConfig({ cwd, ...(options.env !== undefined ? { env: options.env } : {}), stores: false });
  if (options.secret !== undefined && options.secret.trim() === '')
    throw new SomError('InvalidArgument', 'the pseudonymisation key (secret) is empty');
  const { concurrency } = options;
  if (
    concurrency !== undefined &&
    !(Number.isSafeInteger(concurrency) && concurrency >= 1 && concurrency <= MAX_CONCURRENCY)
  )
    throw new SomError(
      'InvalidArgument',
      `concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, not ${concurrency}`,
    );
  return {
    ...base,
    ...(options.secret !== undefined ? { secret: new SecretValue(options.secret) } : {}),
    ...(options.recipe !== undefined ? { recipe: resolve(cwd, options.recipe) } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
  };
}

/** A report sink that hands each entry to `onFile`. */
export function callbackSink(onFile: RunOptions['onFile']): ReportSink[] {
  if (onFile === undefined) return [];
  return [{ add: onFile, finish: async () => undefined }];
}

/** The files and bytes of `files`. */
export function totalsOf(files: readonly ScannedFile[]): { files: number; bytes: number } {
  return { files: files.length, bytes: files.reduce((sum, file) => sum + file.size, 0) };
}
