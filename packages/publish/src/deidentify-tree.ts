/**
 * `deidentifyTree(paths, { out })`: what `som deid` does, as a library call. The DICOM files
 * under `paths` are de-identified into `out`, mirroring their paths relative to each input
 * directory (a file given directly lands at `<out>/<name>`), and `<out>/som-report.json`
 * names every input file with its outcome. A file that fails is never written (temporary
 * name, then rename).
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SomError, errorMessage, mapBounded } from '@som/core';
import type { Scan, ScannedFile } from './1-scan/scan';
import type { SomConfig } from './config/types';
import { ByteBudget, FILE_BYTES_IN_MEMORY, memoryCost } from './3-deidentify/byte-budget';
import type { Deidentifier } from './3-deidentify/deid-pool';
import {
  DEID_REPORT_NAME,
  JsonReportFile,
  PendingFiles,
  Report,
  failureEntry,
  pixelsEntry,
  type FileReport,
  type RunSummary,
} from './5-summarise/report';
import { loadSettings, scanRun, startRun, type LoadedSettings } from './prepare';
import {
  callbackSink,
  deidChoices,
  runConfig,
  sayUnmatched,
  totalsOf,
  type RunOptions,
} from './run-options';

/** Options of {@link deidentifyTree}. */
export interface DeidentifyTreeOptions extends RunOptions {
  /** The output directory (created when missing; relative to `cwd`). */
  out: string;
  /** Bytes of files held in memory at once (default 64 MiB; a larger file runs alone). */
  memoryBudget?: number;
}

/**
 * Create the output directory `out` (named `shown` in errors) when missing.
 * @throws SomError InvalidArgument when it is a file (or under one), PermissionDenied when
 *   it cannot be created.
 */
async function makeOutputDirectory(out: string, shown: string): Promise<void> {
  try {
    await mkdir(out, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR')
      throw new SomError('InvalidArgument', `the output directory ${shown} is not a directory`);
    if (code === 'EACCES' || code === 'EPERM')
      throw new SomError('PermissionDenied', `the output directory ${shown} cannot be created`);
    throw err;
  }
}

/**
 * The input file each output path was given to, so that no two inputs write the same output
 * (nor any the report). The files of one input have distinct paths inside it, so a run of
 * one input claims only the report's name and holds nothing per file.
 */
class OutputClaims {
  readonly #owners = new Map<string, string>([[DEID_REPORT_NAME, 'the report of som deid']]);

  /** @param perFile whether the run has several inputs, whose files' paths may meet. */
  constructor(private readonly perFile: boolean) {}

  /** The owner of the output `relative` when it is taken; else it is taken for `path`. */
  claim(relative: string, path: string): string | undefined {
    const owner = this.#owners.get(relative);
    if (owner === undefined && this.perFile) this.#owners.set(relative, path);
    return owner;
  }
}

/** De-identify one file into `out`, unless another input already claimed its output path. */
async function deidentifyOne(
  file: ScannedFile,
  out: string,
  deidentifier: Deidentifier,
  claims: OutputClaims,
): Promise<FileReport> {
  const owner = claims.claim(file.relative, file.path);
  if (owner !== undefined)
    return {
      path: file.path,
      outcome: 'failed',
      reason: `its output ${file.relative} is already taken by ${owner}`,
    };
  try {
    const written = await deidentifier.deidentifyInto(file, join(out, file.relative));
    return {
      path: file.path,
      outcome: written.outcome,
      entity: written.entity,
      image: written.image,
      ...(written.item !== undefined ? { item: written.item } : { noItemAlias: true as const }),
      output: file.relative,
      size: written.size,
      ...pixelsEntry(written),
    };
  } catch (err) {
    return { path: file.path, ...failureEntry(file.path, err) };
  }
}

/**
 * De-identify the DICOM files under `paths` into `options.out` (see the module comment).
 * The report is written whatever happens once the output directory exists: at the end, when
 * the run is interrupted (the files it did not start are `interrupted`), when an error stops
 * it (the report's summary names it; the error is thrown after), and when the process exits
 * in the middle (e.g. a second Ctrl-C: the files not done are `interrupted`).
 * @returns how many files had each outcome (`written`, `unchanged`, `failed`, ...), and the
 *   files not done.
 */
export async function deidentifyTree(
  paths: readonly string[],
  options: DeidentifyTreeOptions,
): Promise<RunSummary> {
  const cwd = options.cwd ?? process.cwd();
  const config = runConfig(options);
  const signal = options.signal ?? new AbortController().signal;
  const out = resolve(cwd, options.out);
  const log = (text: string): void => options.onMessage?.(text);
  const loaded = await loadSettings(config, deidChoices(options), log);
  await makeOutputDirectory(out, options.out);
  const reportFile = new JsonReportFile(join(out, DEID_REPORT_NAME), { command: 'deid', out });
  const pending = new PendingFiles();
  const report = new Report([reportFile, pending, ...callbackSink(options.onFile)], {
    strict: options.strict === true,
  });
  const findings = { recipeWarnings: loaded.recipeWarnings, unmatchedSelectors: [] as string[] };
  const leave = (reason: string): void => pending.interrupt(report, reason);
  // Should the process exit in the middle, the report is finished as it goes.
  const onExit = (): void => {
    leave('not finished: som was stopped');
    reportFile.finishNow(report.summary(true, findings));
  };
  process.once('exit', onExit);
  try {
    const scan = await scanRun(paths, config, report, { ...options, cwd, exclude: [out], signal });
    pending.expect(scan.files);
    if (scan.files.length > 0) {
      findings.unmatchedSelectors = await deidentifyFiles(scan, out, loaded, config, {
        ...options,
        signal,
        inputs: paths.length,
        onEntry: (entry, file) => {
          report.add(entry, file);
          options.onProgress?.(entry.size ?? 0);
        },
      });
    }
    leave('not started: the run was interrupted');
    sayUnmatched(findings.unmatchedSelectors, options.onMessage);
    await report.finish(signal.aborted, findings);
    return report.result(signal.aborted, findings);
  } catch (err) {
    leave('not started: the run stopped on an error');
    report.error = errorMessage(err);
    try {
      await report.finish(signal.aborted, findings);
    } catch {
      reportFile.abandon(); // the report cannot be written either: the run's error says why
    }
    throw err;
  } finally {
    process.off('exit', onExit);
  }
}

/** Options of {@link deidentifyFiles}. */
interface DeidentifyFilesOptions extends DeidentifyTreeOptions {
  signal: AbortSignal;
  /** Called with each file's report entry as it is known. */
  onEntry: (entry: FileReport, file: ScannedFile) => void;
  /** How many inputs the run has (see {@link OutputClaims}). */
  inputs: number;
}

/**
 * The second pass of {@link deidentifyTree}: de-identify the files of `scan` into `out`,
 * with bounded concurrency and memory. Returns the recipe's rules that selected nothing.
 */
async function deidentifyFiles(
  scan: Scan,
  out: string,
  loaded: LoadedSettings,
  config: SomConfig,
  options: DeidentifyFilesOptions,
): Promise<string[]> {
  const log = (text: string): void => options.onMessage?.(text);
  const { deidentifier } = await startRun(scan, loaded, config, log, {
    ...options,
    env: options.env ?? process.env,
    createKey: true,
    mainThreadBusy: false,
  });
  const { files } = scan;
  try {
    const claims = new OutputClaims(options.inputs > 1);
    options.onStart?.(totalsOf(files));
    const budget = new ByteBudget(options.memoryBudget ?? FILE_BYTES_IN_MEMORY);
    const work = async (file: ScannedFile): Promise<[FileReport, ScannedFile]> => [
      await budget.with(memoryCost(file), () => deidentifyOne(file, out, deidentifier, claims)),
      file,
    ];
    for await (const [entry, file] of mapBounded(files, config.concurrency, work, options.signal))
      options.onEntry(entry, file);
    return deidentifier.unmatchedSelectors();
  } finally {
    await deidentifier.close();
  }
}
