/**
 * `som deid <paths...> --out <dir>`: de-identify files into `<dir>`, mirroring paths
 * relative to each input directory, with `<dir>/som-report.json` naming every input file
 * with its outcome (see `deidentifyTree` of @som/publish).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEID_REPORT_NAME, deidentifyTree } from '@som/publish';
import { RunOutput } from '../io/run-output';
import { EXIT, type Runtime } from '../runtime';
import { configFor, type GlobalOptions } from './common';
import { addRunFlags, type RunFlags } from './flags';

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
  const run = new RunOutput(runtime.output, options.json === true, { command: 'deid', out });
  try {
    await deidentifyTree(inputs, {
      out,
      config,
      cwd: runtime.cwd,
      env: runtime.env,
      signal: runtime.signal,
      ...(options.ids !== undefined ? { ids: options.ids } : {}),
      ...run.hooks('deid'),
    });
  } finally {
    run.stopProgress();
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
    .option('--json', `also print the report (as in ${DEID_REPORT_NAME}) on stdout`)
    .action(async (inputs: string[], _options: DeidCommandOptions, command: Command) => {
      done(await deid(runtime, inputs, command.optsWithGlobals<DeidCommandOptions>()));
    });
}
