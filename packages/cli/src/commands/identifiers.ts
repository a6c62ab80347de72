/**
 * `som identifiers <paths...>`: the identifiers found in DICOM files (patients and their
 * accessions, studies or images), printed as a DASHER request body. Only headers are read.
 */
import type { Command } from 'commander';
import { DEFAULT_ITEM_LEVEL, type ItemLevel } from '@som/identifiers';
import { Report, entryLine, scanInputs } from '@som/publish';
import { ProblemSink } from '../io/sinks';
import { counted } from '../io/words';
import { EXIT, type Runtime } from '../runtime';
import { configFor, type GlobalOptions } from './common';
import { addRequestFlags, concurrencyOption, requestOptions, type RequestFlags } from './flags';

interface IdentifiersOptions extends GlobalOptions, RequestFlags {
  concurrency?: string;
}

/** What the items of a request at each level are called, one and many. */
const ITEM_WORDS: Readonly<Record<ItemLevel, readonly [string, string]>> = {
  accession: ['accession', 'accessions'],
  study: ['study', 'studies'],
  image: ['image', 'images'],
};

async function identifiers(
  runtime: Runtime,
  inputs: string[],
  options: IdentifiersOptions,
): Promise<number> {
  const config = configFor(runtime, options, { stores: false });
  const report = new Report([new ProblemSink(runtime.output)]);
  const itemLevel = options.itemLevel ?? DEFAULT_ITEM_LEVEL;
  const scan = await scanInputs(
    inputs,
    {
      cwd: runtime.cwd,
      concurrency: config.concurrency,
      signal: runtime.signal,
      request: { ...requestOptions(options), itemLevel },
    },
    report,
  );
  if (scan.files.length === 0) {
    runtime.output.error('no DICOM files found');
    return EXIT.failed;
  }
  runtime.output.json(scan.request);
  const entities = scan.request.identifiers.length;
  const items = scan.request.identifiers.reduce((sum, e) => sum + e.items.length, 0);
  const [one, many] = ITEM_WORDS[itemLevel];
  runtime.output.message(
    `som: ${counted(scan.files.length, 'DICOM file', 'DICOM files')}: ${counted(entities, 'patient', 'patients')}, ${counted(items, one, many)}`,
  );
  if (report.problems.length > 0) {
    runtime.output.message(
      `som: ${report.problems.length} ${report.problems.length === 1 ? 'input was' : 'inputs were'} not used:`,
    );
    for (const problem of report.problems) runtime.output.message(`  ${entryLine(problem)}`);
  }
  return report.summary(runtime.signal.aborted).ok ? EXIT.ok : EXIT.failed;
}

/** Add `som identifiers` to `program`; `done` receives the exit code. */
export function registerIdentifiers(
  program: Command,
  runtime: Runtime,
  done: (code: number) => void,
): void {
  const command = program
    .command('identifiers')
    .description(
      'print the identifiers found (patients and their studies, accessions or images) as a DASHER request body (JSON)',
    )
    .argument('<paths...>', 'files and directories (walked; DICOM is recognised by content)');
  addRequestFlags(command)
    .addOption(concurrencyOption('files read at once'))
    .addHelpText(
      'after',
      '\nThe output holds original identifiers (PHI): send it to DASHER only, never publish it.',
    )
    .action(async (inputs: string[], _options: IdentifiersOptions, command: Command) => {
      done(await identifiers(runtime, inputs, command.optsWithGlobals<IdentifiersOptions>()));
    });
}
