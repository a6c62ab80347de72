/**
 * `som identifiers <paths...>`: the identifiers found in DICOM files (patients and their
 * studies), printed as a DASHER request body. Only headers are read.
 */
import type { Command } from 'commander';
import { Report, entryLine, scanInputs } from '@som/publish';
import { ProblemSink } from '../io/sinks';
import { EXIT, type Runtime } from '../runtime';
import { configFor, type GlobalOptions } from './common';
import { concurrencyOption } from './flags';

interface IdentifiersOptions extends GlobalOptions {
  concurrency?: string;
}

async function identifiers(
  runtime: Runtime,
  inputs: string[],
  options: IdentifiersOptions,
): Promise<number> {
  const config = configFor(runtime, options, { stores: false });
  const report = new Report([new ProblemSink(runtime.output)]);
  const scan = await scanInputs(
    inputs,
    { cwd: runtime.cwd, concurrency: config.concurrency, signal: runtime.signal },
    report,
  );
  runtime.output.json(scan.request);
  const entities = scan.request.identifiers.length;
  const items = scan.request.identifiers.reduce((sum, e) => sum + e.items.length, 0);
  runtime.output.message(
    `som: ${scan.files.length} DICOM files: ${entities} patients, ${items} studies`,
  );
  if (report.problems.length > 0) {
    runtime.output.message(
      `som: ${report.problems.length} ${report.problems.length === 1 ? 'input was' : 'inputs were'} not used:`,
    );
    for (const problem of report.problems) runtime.output.message(`  ${entryLine(problem)}`);
  }
  return report.problems.length > 0 || runtime.signal.aborted ? EXIT.failed : EXIT.ok;
}

/** Add `som identifiers` to `program`; `done` receives the exit code. */
export function registerIdentifiers(
  program: Command,
  runtime: Runtime,
  done: (code: number) => void,
): void {
  program
    .command('identifiers')
    .description(
      'print the identifiers found (patients and their studies) as a DASHER request body (JSON)',
    )
    .argument('<paths...>', 'files and directories (walked; DICOM is recognised by content)')
    .addOption(concurrencyOption('files read at once'))
    .addHelpText(
      'after',
      '\nThe output holds original identifiers (PHI): send it to DASHER only, never publish it.',
    )
    .action(async (inputs: string[], _options: IdentifiersOptions, command: Command) => {
      done(await identifiers(runtime, inputs, command.optsWithGlobals<IdentifiersOptions>()));
    });
}
