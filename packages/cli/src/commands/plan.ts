/**
 * `som plan <paths...> --collection <uid> --shards <N> --out <plan-dir>`: the first pass of
 * a distributed upload, once (see docs/scale-out.md): the files of each patient, the
 * aliases, and N shards of whole patients for an engine's array job.
 */
import type { Command } from 'commander';
import { MAX_SHARDS, planRun } from '@som/publish';
import { RunOutput } from '../io/run-output';
import type { Runtime } from '../runtime';
import { VERSION } from '../version';
import { configFor, positiveInteger, type GlobalOptions } from './common';
import {
  addMetadataFlags,
  addRunFlags,
  metadataOptions,
  runOptionsOf,
  type MetadataFlags,
  type RunFlags,
} from './flags';

interface PlanCommandOptions extends GlobalOptions, RunFlags, MetadataFlags {
  collection: string;
  shards: string;
  out: string;
  json?: boolean;
}

/** `1.2 GB` style sizes for the summary. */
function bytesText(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

async function plan(
  runtime: Runtime,
  inputs: string[],
  options: PlanCommandOptions,
): Promise<number> {
  const shards = positiveInteger(options.shards, '--shards', MAX_SHARDS);
  const config = configFor(runtime, options, { stores: false });
  const { metadata, entityMetadata } = metadataOptions(options);
  const run = new RunOutput(runtime.output, options.json === true, {
    command: 'plan',
    collection: options.collection,
    out: options.out,
  });
  const result = await planRun(inputs, {
    config,
    collection: options.collection,
    shards,
    out: options.out,
    somVersion: VERSION,
    cwd: runtime.cwd,
    env: runtime.env,
    signal: runtime.signal,
    ...runOptionsOf(options),
    metadata,
    entityMetadata,
    onFile: run.hooks('plan').onFile,
    onMessage: (text) => runtime.output.message(text),
  });
  const made = result.plan;
  const headline =
    made === undefined
      ? `plan of collection ${options.collection} interrupted: no plan written`
      : `planned ${made.totals.files} files of ${made.totals.patients} patients (${bytesText(made.totals.bytes)}) in ${made.shards} shards into ${result.dir} (it names patients: keep it on the identified side); not planned`;
  return run.finish(result.notPlanned, headline, 'planned');
}

/** Add `som plan` to `program`; `done` receives the exit code. */
export function registerPlan(
  program: Command,
  runtime: Runtime,
  done: (code: number) => void,
): void {
  const command = program
    .command('plan')
    .description(
      'plan a distributed upload: read the headers, group by patient, resolve the aliases once, split whole patients into N shards (run them with som upload --plan)',
    )
    .argument(
      '<paths...>',
      'files and directories (walked in sorted order; DICOM is recognised by content)',
    )
    .requiredOption('--collection <uid>', 'the collection the shards upload into')
    .requiredOption(
      '--shards <n>',
      `the number of shards N (1 to ${MAX_SHARDS}); many more than tasks at once`,
    )
    .requiredOption(
      '--out <plan-dir>',
      'the plan directory to create (holds patient data: keep it on the identified side)',
    );
  addRunFlags(command);
  addMetadataFlags(command, 'the shards make')
    .option('--json', 'print a JSON report of the files not planned (failed or not DICOM)')
    .action(async (inputs: string[], _options: PlanCommandOptions, cmd: Command) => {
      done(await plan(runtime, inputs, cmd.optsWithGlobals<PlanCommandOptions>()));
    });
}
