/**
 * `som deid <paths...> --out <dir>`: de-identify files into `<dir>`, mirroring paths
 * relative to each input directory, with `<dir>/som-report.json` naming every input file
 * with its outcome (see `deidentifyTree` of @som/publish).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEID_REPORT_NAME, deidentifyTree, type RunSummary } from '@som/publish';
import { RunOutput } from '../io/run-output';
import type { Runtime } from '../runtime';
import { configFor, type GlobalOptions } from './common';
import { addRunFlags, runOptionsOf, type RunFlags } from './flags';

interface DeidCommandOptions extends GlobalOptions, RunFlags {
  out: string;
  json?: boolean;
}

async function deid(
  runtime: Runtime,
  inputs: string[],
  options: DeidCommandOptions,
): Promise<number> {
  const config = configFor(runtime, options, { stores: false });
  const out = resolve(runtime.cwd, options.out);
  const run = new RunOutput(
    runtime.output,
    options.json === true,
    { command: 'deid', out },
    options.strict === true,
  );
  let result: RunSummary;
  try {
    result = await deidentifyTree(inputs, {
      ...runOptionsOf(options),
      out: options.out,
      config,
      cwd: runtime.cwd,
      env: runtime.env,
      signal: runtime.signal,
      ...run.hooks('deid'),
    });
  } catch (err) {
    await run.abort(err);
    throw err;
  } finally {
    run.stopProgress();
  }
  const headline = `deid into ${out} (report: ${DEID_REPORT_NAME})`;
  return run.finish(result, headline, 'written', `listed in ${DEID_REPORT_NAME}`);
}

/** Add `som deid` to `program`; `done` receives the exit code. */
export function registerDeid(
  program: Command,
  runtime: Runtime,
  done: (code: number) => void,
): void {
  const command = program
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
    );
  addRunFlags(command)
    .option(
      '--json',
      `also print the report (as in ${DEID_REPORT_NAME}: per file its path, outcome, reason, entity, item, output, noItemAlias) on stdout`,
    )
    .action(async (inputs: string[], _options: DeidCommandOptions, command: Command) => {
      done(await deid(runtime, inputs, command.optsWithGlobals<DeidCommandOptions>()));
    });
}
