/**
 * `deidentifyTree(paths, { out })`: what `som deid` does, as a library call. The DICOM files
 * under `paths` are de-identified into `out`, mirroring their paths relative to each input
 * directory (a file given directly lands at `<out>/<name>`), and `<out>/som-report.json`
 * names every input file with its outcome. A file that fails is never written (temporary
 * name, then rename).
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { mapBounded } from '@som/core';
import { reasonFor, type ScannedFile } from './1-scan/scan';
import { ByteBudget, FILE_BYTES_IN_MEMORY } from './3-deidentify/byte-budget';
import type { Deidentifier } from './3-deidentify/deid-pool';
import { JsonReportFile, Report, type FileReport, type RunSummary } from './5-summarise/report';
import { prepareRun } from './prepare';
import { callbackSink, runConfig, totalsOf, type RunOptions } from './run-options';

/** The report {@link deidentifyTree} writes into its output directory. */
export const DEID_REPORT_NAME = 'som-report.json';

/** Options of {@link deidentifyTree}. */
export interface DeidentifyTreeOptions extends RunOptions {
  /** The output directory (created when missing; relative to `cwd`). */
  out: string;
  /** Bytes of files held in memory at once (default 64 MiB; a larger file runs alone). */
  memoryBudget?: number;
}

/** De-identify one file into `out`, unless another input already claimed its output path. */
async function deidentifyOne(
  file: ScannedFile,
  out: string,
  deidentifier: Deidentifier,
  claimed: Map<string, string>,
): Promise<FileReport> {
  const owner = claimed.get(file.relative);
  if (owner !== undefined)
    return {
      path: file.path,
      outcome: 'failed',
      reason: `its output ${file.relative} is already taken by ${owner}`,
    };
  claimed.set(file.relative, file.path);
  try {
    const written = await deidentifier.deidentifyInto(file, join(out, file.relative));
    return {
      path: file.path,
      outcome: written.outcome,
      entity: written.entity,
      item: written.item,
      image: written.image,
      output: file.relative,
      size: written.size,
    };
  } catch (err) {
    return { path: file.path, outcome: 'failed', reason: reasonFor(file.path, err) };
  }
}

/**
 * De-identify the DICOM files under `paths` into `options.out` (see the module comment).
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
  await mkdir(out, { recursive: true });
  const reportFile = new JsonReportFile(join(out, DEID_REPORT_NAME), { command: 'deid', out });
  const report = new Report([reportFile, ...callbackSink(options.onFile)]);
  const { scan, deidentifier } = await prepareRun(
    paths,
    config,
    (text) => options.onMessage?.(text),
    report,
    {
      cwd,
      env: options.env ?? process.env,
      createKey: true,
      mainThreadBusy: false,
      exclude: [out],
      signal,
      ...(options.ids !== undefined ? { ids: options.ids } : {}),
      ...(options.aliases !== undefined ? { aliases: options.aliases } : {}),
    },
  );
  const claimed = new Map<string, string>([[DEID_REPORT_NAME, 'the report of som deid']]);
  const done = new Set<string>();
  try {
    options.onStart?.(totalsOf(scan.files));
    const budget = new ByteBudget(options.memoryBudget ?? FILE_BYTES_IN_MEMORY);
    const work = (file: ScannedFile): Promise<FileReport> =>
      budget.with(file.size, () => deidentifyOne(file, out, deidentifier, claimed));
    for await (const entry of mapBounded(scan.files, config.concurrency, work, signal)) {
      done.add(entry.path);
      report.add(entry);
      options.onProgress?.(entry.size ?? 0);
    }
  } finally {
    await deidentifier.close();
  }
  for (const file of scan.files) {
    if (!done.has(file.path))
      report.add({
        path: file.path,
        outcome: 'interrupted',
        reason: 'not started: the run was interrupted',
      });
  }
  await report.finish(signal.aborted);
  return report.result(signal.aborted);
}
