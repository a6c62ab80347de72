/**
 * `som deid <paths...> --out <dir>` (CONTRACT): de-identify files into `<dir>`, mirroring
 * paths relative to each input directory (a file given directly lands at `<dir>/<name>`),
 * and write `<dir>/som-report.json` naming every input file with its outcome. A file that
 * fails is never written (fail closed: temporary name, then rename).
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { mapBounded } from '@som/core';
import {
  ByteBudget,
  FILE_BYTES_IN_MEMORY,
  JsonReportFile,
  prepareRun,
  reasonFor,
  type Deidentifier,
  type FileReport,
  type ScannedFile,
} from '@som/publish';
import { RunOutput } from '../io/run-output';
import { EXIT, type Runtime } from '../runtime';
import { configFor, type GlobalOptions } from './common';

/** The report `som deid` writes into its output directory. */
export const DEID_REPORT_NAME = 'som-report.json';

interface DeidCommandOptions extends GlobalOptions {
  out: string;
  recipe?: string;
  ids?: string;
  concurrency?: string;
  json?: boolean;
  secret?: string;
}

/** De-identify one file into `out`, unless another input already claimed its output path. */
async function deidOne(
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

async function deid(
  runtime: Runtime,
  inputs: string[],
  options: DeidCommandOptions,
): Promise<number> {
  const { output } = runtime;
  const config = configFor(runtime, options, { stores: false });
  const out = resolve(runtime.cwd, options.out);
  await mkdir(out, { recursive: true });
  const reportFile = new JsonReportFile(join(out, DEID_REPORT_NAME), { command: 'deid', out });
  const run = new RunOutput(output, options.json === true, { command: 'deid', out }, [reportFile]);
  const { scan, deidentifier } = await prepareRun(
    inputs,
    config,
    (text) => output.message(text),
    run.report,
    {
      cwd: runtime.cwd,
      env: runtime.env,
      createKey: true,
      mainThreadBusy: false,
      exclude: [out],
      signal: runtime.signal,
      ...(options.ids ? { ids: options.ids } : {}),
    },
  );
  const claimed = new Map<string, string>([[DEID_REPORT_NAME, 'the report of som deid']]);
  const done = new Set<string>();
  try {
    await run.withProgress('deid', scan.files, async (progress) => {
      const budget = new ByteBudget(FILE_BYTES_IN_MEMORY);
      const work = (file: ScannedFile): Promise<FileReport> =>
        budget.with(file.size, () => deidOne(file, out, deidentifier, claimed));
      for await (const entry of mapBounded(scan.files, config.concurrency, work, runtime.signal)) {
        done.add(entry.path);
        run.report.add(entry);
        progress.advance(entry.size ?? 0);
      }
    });
  } finally {
    await deidentifier.close();
  }
  for (const file of scan.files) {
    if (!done.has(file.path)) {
      run.report.add({
        path: file.path,
        outcome: 'interrupted',
        reason: 'not started: the run was interrupted',
      });
    }
  }
  const headline = `deid into ${out} (report: ${DEID_REPORT_NAME})`;
  const summary = await run.finish(runtime.signal.aborted, headline, 'written');
  return summary.ok ? EXIT.ok : EXIT.failed;
}

/** Add `som deid` to `program`; `done` receives the exit code. */
export function registerDeid(
  program: Command,
  runtime: Runtime,
  done: (code: number) => void,
): void {
  program
    .command('deid')
    .description(
      `de-identify DICOM files into a directory, mirroring their paths; writes <dir>/${DEID_REPORT_NAME}`,
    )
    .argument(
      '<paths...>',
      'files and directories (walked; DICOM is recognised by content, not extension)',
    )
    .requiredOption(
      '--out <dir>',
      'output directory (created when missing); a file given directly lands at <dir>/<its name>',
    )
    .option(
      '--recipe <file>',
      'a deid recipe whose rules decide before the default PS3.15 profile (env SOM_RECIPE)',
    )
    .option(
      '--ids <file>',
      'a DASHER response (JSON) with the aliases; default: the DASHER service when configured, else the local pseudonymiser',
    )
    .option('--concurrency <n>', 'files processed at once (default 8; env SOM_CONCURRENCY)')
    .option('--json', `also print the report (as in ${DEID_REPORT_NAME}) on stdout`)
    .option(
      '--secret <key>',
      'the pseudonymisation key (env SOM_SECRET; default: the key file, created on first use)',
    )
    .action(async (inputs: string[], _options: DeidCommandOptions, command: Command) => {
      done(await deid(runtime, inputs, command.optsWithGlobals<DeidCommandOptions>()));
    });
}
