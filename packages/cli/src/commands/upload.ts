/**
 * `som upload <paths...> --collection <uid>`: de-identify DICOM files in memory and upload
 * them, one entity per (aliased) patient. Re-running is safe: what is stored is skipped.
 */
import type { Command } from 'commander';
import { SomError, validateUid, type Client } from '@som/core';
import { CollectionKeyMismatchError } from '@som/identifiers';
import { openClient, publish, type RunSummary } from '@som/publish';
import { GarbageCollector } from '../collect-garbage';
import { RunOutput } from '../io/run-output';
import type { Runtime } from '../runtime';
import { configFor, type GlobalOptions } from './common';
import {
  addMetadataFlags,
  addRunFlags,
  metadataOptions,
  runOptionsOf,
  type MetadataFlags,
  type RunFlags,
} from './flags';
import { uploadShard, type ShardCommandOptions } from './shard';

interface UploadCommandOptions extends GlobalOptions, RunFlags, MetadataFlags {
  collection?: string;
  plan?: string;
  shard?: string;
  dryRun?: boolean;
  newKey?: boolean;
  json?: boolean;
}

/** What to do when the collection was made with another key or alias source. */
const NEW_KEY_HINT =
  'to add to it anyway, run again with --new-key: its patients get new aliases, so those stored already appear twice';

/** The options of a shard upload, refusing what the plan decides (paths, collection, aliases). */
function planOptions(
  inputs: readonly string[],
  options: UploadCommandOptions & { plan: string },
): ShardCommandOptions {
  const given = [
    ...(inputs.length > 0 ? ['paths'] : []),
    ...(['collection', 'ids', 'dryRun'] as const).filter((flag) => options[flag] !== undefined),
  ];
  if (given.length > 0)
    throw new SomError(
      'InvalidArgument',
      `--plan takes the files, collection and aliases from the plan: not with ${given.map((g) => (g === 'paths' ? 'paths' : g === 'dryRun' ? '--dry-run' : `--${g}`)).join(', ')}`,
    );
  return options;
}

async function upload(
  runtime: Runtime,
  inputs: string[],
  options: UploadCommandOptions,
): Promise<number> {
  if (inputs.length === 0)
    throw new SomError('InvalidArgument', 'give the paths to upload (or --plan <plan-dir>)');
  if (options.collection === undefined)
    throw new SomError('InvalidArgument', "required option '--collection <uid>' not specified");
  const config = configFor(runtime, options);
  const collection = validateUid('collection', options.collection);
  const { metadata, entityMetadata } = metadataOptions(options);
  const dryRun = options.dryRun === true;
  const run = new RunOutput(
    runtime.output,
    options.json === true,
    { command: 'upload', collection, dryRun },
    options.strict === true,
  );
  let client: Client | undefined;
  const garbage = new GarbageCollector();
  let result: RunSummary;
  try {
    result = await publish(inputs, {
      ...runOptionsOf(options),
      ...(dryRun ? {} : { client: async () => (client = await openClient({ config })) }),
      config,
      collection,
      metadata,
      entityMetadata,
      newKey: options.newKey === true,
      dryRun,
      cwd: runtime.cwd,
      env: runtime.env,
      signal: runtime.signal,
      ...run.hooks(dryRun ? 'dry run' : 'upload'),
      onBytesReleased: (bytes) => garbage.letGo(bytes),
    });
  } catch (err) {
    await run.abort(err);
    if (err instanceof CollectionKeyMismatchError)
      throw new SomError(err.code, `${err.message}; ${NEW_KEY_HINT}`);
    throw err;
  } finally {
    run.stopProgress();
    await client?.close().catch(() => undefined);
  }
  const headline = `${dryRun ? 'dry run of ' : ''}upload to collection ${collection}`;
  return run.finish(result, headline, dryRun ? 'checked' : 'uploaded');
}

/** Add `som upload` to `program`; `done` receives the exit code. */
export function registerUpload(
  program: Command,
  runtime: Runtime,
  done: (code: number) => void,
): void {
  const command = program
    .command('upload')
    .description(
      'de-identify DICOM files in memory and upload them: one entity per (aliased) patient; re-running is safe',
    )
    .argument(
      '[paths...]',
      'files and directories (walked; DICOM is recognised by content, not extension)',
    )
    .option('--collection <uid>', 'the collection to upload into (created when absent)')
    .option(
      '--plan <plan-dir>',
      "upload one shard of a plan (made by som plan) instead of paths: the plan's collection, aliases and files",
    )
    .option(
      '--shard <i>',
      'with --plan: the shard index (default: the engine task index, e.g. SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX)',
    );
  addRunFlags(command).option(
    '--dry-run',
    'de-identify in memory and report what would be stored; write nothing',
  );
  addMetadataFlags(command, 'of this upload')
    .option(
      '--new-key',
      'add to a collection made with another pseudonymisation key or alias source: creates new aliases, so its patients already stored appear twice',
    )
    .option(
      '--json',
      'print a JSON report: per file its path, outcome (written, unchanged, failed, quarantined, skipped-not-DICOM, skipped, interrupted), reason, code (of a failure), entity, image, noItemAlias',
    )
    .action(async (inputs: string[], _options: UploadCommandOptions, command: Command) => {
      const options = command.optsWithGlobals<UploadCommandOptions>();
      done(
        options.plan !== undefined
          ? await uploadShard(runtime, planOptions(inputs, { ...options, plan: options.plan }))
          : await upload(runtime, inputs, options),
      );
    });
}
